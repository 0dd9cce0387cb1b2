// Log line rendering and output; see log.h.
#include "common/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>

#include "common/text.h"

namespace pubsub::log {
namespace {

std::atomic<Level> g_level{Level::info};
std::atomic<Format> g_format{Format::text};

std::string_view level_name(Level level) {
  switch (level) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
  }
  return "info";
}

// Appends `s` as a JSON string; bytes that are not valid UTF-8 become
// U+FFFD, so that every line stays valid JSON whatever a client sent.
void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += s[i];
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else if (c < 0x80) {
      out += s[i];
    } else if (std::size_t len = common::utf8_sequence_length(s.substr(i)); len > 0) {
      out.append(s, i, len);
      i += len - 1;
    } else {
      out += "\\ufffd";
    }
  }
  out += '"';
}

bool needs_quotes(std::string_view s) {
  if (s.empty()) return true;
  for (char c : s) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

}  // namespace

void configure(Level level, Format format) {
  g_level.store(level);
  g_format.store(format);
}

bool enabled(Level level) { return level >= g_level.load(std::memory_order_relaxed); }

std::string format_line(Format format, Level level, std::string_view time, std::string_view message,
                        std::initializer_list<Field> fields) {
  std::string line;
  line.reserve(128);
  if (format == Format::json) {
    line += R"({"time":")";
    line += time;
    line += R"(","level":")";
    line += level_name(level);
    line += R"(","message":)";
    append_json_string(line, message);
    for (const Field& f : fields) {
      line += ',';
      append_json_string(line, f.key);
      line += ':';
      if (f.quoted) {
        append_json_string(line, f.value);
      } else {
        line += f.value;
      }
    }
    line += "}\n";
    return line;
  }
  line += time;
  line += ' ';
  line += level_name(level);
  line += ' ';
  line += message;
  for (const Field& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    if (f.quoted && needs_quotes(f.value)) {
      append_json_string(line, f.value);
    } else {
      line += f.value;
    }
  }
  line += '\n';
  return line;
}

void write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (!enabled(level)) return;
  std::string time = common::format_timestamp(std::chrono::system_clock::now());
  std::string line = format_line(g_format.load(std::memory_order_relaxed), level, time, message, fields);
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace pubsub::log
