// Compact and pretty JSON layout; see json_text.h.
#include "cli/json_text.h"

#include <cstddef>

namespace pubsub::cli {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Copies the string that starts at json[i] (its opening quote) to `out`;
// returns the index after its closing quote.
std::size_t copy_string(std::string_view json, std::size_t i, std::string& out) {
  const std::size_t start = i++;
  while (i < json.size() && json[i] != '"') i += json[i] == '\\' ? 2 : 1;
  const std::size_t end = i < json.size() ? i + 1 : json.size();
  out.append(json.substr(start, end - start));
  return end;
}

// The index of the first character at or after `i` that is not white space.
std::size_t skip_space(std::string_view json, std::size_t i) {
  while (i < json.size() && is_space(json[i])) ++i;
  return i;
}

void new_line(std::string& out, int depth) {
  out += '\n';
  out.append(static_cast<std::size_t>(depth) * 2, ' ');
}

}  // namespace

std::string compact_json(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (std::size_t i = 0; i < json.size();) {
    if (json[i] == '"') {
      i = copy_string(json, i, out);
    } else {
      if (!is_space(json[i])) out += json[i];
      ++i;
    }
  }
  return out;
}

std::string pretty_json(std::string_view json) {
  std::string out;
  int depth = 0;
  for (std::size_t i = skip_space(json, 0); i < json.size(); i = skip_space(json, i)) {
    const char c = json[i];
    if (c == '"') {
      i = copy_string(json, i, out);
      continue;
    }
    ++i;
    if (c == '{' || c == '[') {
      const std::size_t next = skip_space(json, i);
      if (next < json.size() && (json[next] == '}' || json[next] == ']')) {
        out += c;
        out += json[next];
        i = next + 1;
      } else {
        out += c;
        new_line(out, ++depth);
      }
    } else if (c == '}' || c == ']') {
      new_line(out, --depth);
      out += c;
    } else if (c == ',') {
      out += c;
      new_line(out, depth);
    } else if (c == ':') {
      out += ": ";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace pubsub::cli
