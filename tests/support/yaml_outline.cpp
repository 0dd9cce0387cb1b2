// The YAML outline reader; see yaml_outline.h.
#include "support/yaml_outline.h"

#include <map>
#include <stdexcept>

namespace pubsub::testing {
namespace {

// A mapping key or sequence item that holds the lines indented below it.
struct Open {
  std::size_t indent;
  std::string key;
  bool item;
};

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

// Returns `line` without its comment: a '#' outside quotes, at the start
// or after a space.
std::string_view strip_comment(std::string_view line) {
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      if (i == 0 || line[i - 1] == ' ') quote = c;
    } else if (c == '#' && (i == 0 || line[i - 1] == ' ')) {
      return line.substr(0, i);
    }
  }
  return line;
}

// The position of the ':' that ends a mapping key in `content` (one
// followed by a space or ending the line, outside quotes), or npos.
std::size_t key_end(std::string_view content) {
  char quote = 0;
  for (std::size_t i = 0; i < content.size(); ++i) {
    const char c = content[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if ((c == '\'' || c == '"') && i == 0) {
      quote = c;
    } else if (c == ':' && (i + 1 == content.size() || content[i + 1] == ' ')) {
      return i;
    }
  }
  return std::string_view::npos;
}

// A one-line scalar without its quotes ('' is a quote in single quotes;
// \" and \\ in double quotes).
std::string unquote(std::string_view text, std::size_t line_number) {
  if (text.size() < 2 || (text.front() != '\'' && text.front() != '"')) return std::string(text);
  const char quote = text.front();
  if (text.back() != quote) throw std::runtime_error("line " + std::to_string(line_number) + ": unterminated quote");
  std::string out;
  const std::string_view inner = text.substr(1, text.size() - 2);
  for (std::size_t i = 0; i < inner.size(); ++i) {
    if (quote == '\'' && inner[i] == '\'' && i + 1 < inner.size() && inner[i + 1] == '\'') ++i;
    if (quote == '"' && inner[i] == '\\' && i + 1 < inner.size()) ++i;
    out += inner[i];
  }
  return out;
}

class Reader {
 public:
  std::vector<YamlNode> read(std::string_view text) {
    std::size_t number = 0;
    while (!text.empty()) {
      const std::size_t end = text.find('\n');
      const std::string_view line = text.substr(0, end);
      text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
      read_line(line, ++number);
    }
    return std::move(nodes_);
  }

 private:
  void read_line(std::string_view line, std::size_t number) {
    const std::size_t indent = line.find_first_not_of(' ');
    if (block_scalar_ && (indent == std::string_view::npos || indent > block_indent_ || trim(line).empty())) {
      return;  // a line of a block scalar
    }
    block_scalar_ = false;
    const std::string_view content = trim(strip_comment(line.substr(indent == std::string_view::npos ? 0 : indent)));
    if (content.empty() || content == "---") return;
    if (content == "-" || content.starts_with("- ")) return read_item(indent, content, number);
    read_entry(indent, content, number);
  }

  // "- scalar", "- key: value" or "-" followed by indented lines.
  void read_item(std::size_t indent, std::string_view content, std::size_t number) {
    while (!open_.empty() && (open_.back().indent > indent || (open_.back().indent == indent && open_.back().item))) {
      open_.pop_back();
    }
    const std::string index = std::to_string(counts_[joined()]++);
    const std::string_view rest = content == "-" ? std::string_view{} : trim(content.substr(2));
    if (rest.empty() || key_end(rest) != std::string_view::npos) {
      add(index, "");
      open_.push_back({indent, index, true});
      if (!rest.empty()) read_entry(indent + 2 + (content.substr(2).size() - rest.size()), rest, number);
      return;
    }
    add(index, unquote(rest, number));
  }

  // "key: value", or "key:" followed by indented lines.
  void read_entry(std::size_t indent, std::string_view content, std::size_t number) {
    while (!open_.empty() && open_.back().indent >= indent) open_.pop_back();
    const std::size_t colon = key_end(content);
    if (colon == std::string_view::npos) {
      throw std::runtime_error("line " + std::to_string(number) +
                               ": not a key, an item or a one-line scalar: " + std::string(content));
    }
    const std::string key = unquote(trim(content.substr(0, colon)), number);
    const std::string_view value = trim(content.substr(colon + 1));
    if (value.starts_with('|') || value.starts_with('>')) {
      add(key, std::string(value.substr(0, 1)));
      block_scalar_ = true;
      block_indent_ = indent;
      return;
    }
    add(key, unquote(value, number));
    if (value.empty()) open_.push_back({indent, key, false});
  }

  void add(const std::string& key, std::string value) {
    YamlNode node;
    for (const Open& open : open_) node.path.push_back(open.key);
    node.path.push_back(key);
    node.value = std::move(value);
    nodes_.push_back(std::move(node));
  }

  // The open path as one string, the key of its item counter.
  std::string joined() const {
    std::string out;
    for (const Open& open : open_) out += open.key + '\n';
    return out;
  }

  std::vector<YamlNode> nodes_;
  std::vector<Open> open_;
  std::map<std::string, std::size_t> counts_;  // items so far, by the path holding them
  bool block_scalar_ = false;
  std::size_t block_indent_ = 0;
};

}  // namespace

std::vector<YamlNode> read_yaml_outline(std::string_view text) { return Reader().read(text); }

std::vector<const YamlNode*> yaml_match(const std::vector<YamlNode>& nodes, const std::vector<std::string>& pattern) {
  std::vector<const YamlNode*> out;
  for (const YamlNode& node : nodes) {
    if (node.path.size() != pattern.size()) continue;
    bool match = true;
    for (std::size_t i = 0; i < pattern.size() && match; ++i) match = pattern[i] == "*" || pattern[i] == node.path[i];
    if (match) out.push_back(&node);
  }
  return out;
}

std::string yaml_value(const std::vector<YamlNode>& nodes, const std::vector<std::string>& path) {
  const std::vector<const YamlNode*> found = yaml_match(nodes, path);
  return found.empty() ? std::string() : found.front()->value;
}

std::vector<std::string> yaml_reference_path(std::string_view reference) {
  std::vector<std::string> path;
  if (!reference.starts_with("#/")) return path;
  reference.remove_prefix(2);
  while (true) {
    const std::size_t slash = reference.find('/');
    std::string key(reference.substr(0, slash));
    for (std::size_t at; (at = key.find("~1")) != std::string::npos;) key.replace(at, 2, "/");
    for (std::size_t at; (at = key.find("~0")) != std::string::npos;) key.replace(at, 2, "~");
    path.push_back(std::move(key));
    if (slash == std::string_view::npos) return path;
    reference.remove_prefix(slash + 1);
  }
}

}  // namespace pubsub::testing
