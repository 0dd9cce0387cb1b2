// Recursive-descent validator for RFC 8259 JSON; see json_scan.h.
#include "protocol/json_scan.h"

#include <cstdint>
#include <vector>

#include "common/hex.h"
#include "common/text.h"

namespace pubsub::protocol {

std::string too_deep_error(std::string_view what) {
  return std::string(what) + " has JSON nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels";
}
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Cursor over the input; every method returns false on invalid input and
// leaves the cursor somewhere inside the bad token.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  void skip_space() {
    while (p_ < end_ && is_space(*p_)) ++p_;
  }
  bool at_end() const { return p_ == end_; }
  bool peek(char c) const { return p_ < end_ && *p_ == c; }
  // True if the scan stopped at nesting deeper than kMaxJsonDepth.
  bool too_deep() const { return too_deep_; }

  // Scans the value at the cursor into `out`.
  bool value(JsonValue& out, int depth) {
    const char* start = p_;
    if (p_ == end_) return false;
    bool ok = false;
    switch (*p_) {
      case '{':
        out.type = JsonType::object;
        ok = object(nullptr, depth + 1);
        break;
      case '[':
        out.type = JsonType::array;
        ok = array(nullptr, depth + 1);
        break;
      case '"':
        out.type = JsonType::string;
        ok = string();
        break;
      case 't':
        out.type = JsonType::boolean;
        ok = literal("true");
        break;
      case 'f':
        out.type = JsonType::boolean;
        ok = literal("false");
        break;
      case 'n':
        out.type = JsonType::null;
        ok = literal("null");
        break;
      default:
        out.type = JsonType::number;
        ok = number();
        break;
    }
    out.raw = std::string_view(start, static_cast<std::size_t>(p_ - start));
    return ok;
  }

  // Scans an object; reports its members to `visitor` when one is given.
  bool object(MemberVisitor* visitor, int depth) {
    if (!within_depth(depth)) return false;
    ++p_;  // '{'
    skip_space();
    if (peek('}')) return ++p_, true;
    for (;;) {
      skip_space();
      const char* key_start = p_;
      if (!peek('"') || !string()) return false;
      std::string_view raw_key(key_start + 1, static_cast<std::size_t>(p_ - key_start - 2));
      skip_space();
      if (!peek(':')) return false;
      ++p_;
      skip_space();
      JsonValue member;
      if (!value(member, depth)) return false;
      if (visitor != nullptr) visitor->member(raw_key, member);
      skip_space();
      if (peek('}')) return ++p_, true;
      if (!peek(',')) return false;
      ++p_;
    }
  }

  // Scans an array; appends its elements to `elements` when given.
  bool array(std::vector<JsonValue>* elements, int depth) {
    if (!within_depth(depth)) return false;
    ++p_;  // '['
    skip_space();
    if (peek(']')) return ++p_, true;
    for (;;) {
      skip_space();
      JsonValue element;
      if (!value(element, depth)) return false;
      if (elements != nullptr) elements->push_back(element);
      skip_space();
      if (peek(']')) return ++p_, true;
      if (!peek(',')) return false;
      ++p_;
    }
  }

 private:
  // Returns false, and remembers why, past kMaxJsonDepth.
  bool within_depth(int depth) {
    if (depth <= kMaxJsonDepth) return true;
    too_deep_ = true;
    return false;
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size()) return false;
    if (std::string_view(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }

  bool digits() {
    if (p_ == end_ || !is_digit(*p_)) return false;
    while (p_ < end_ && is_digit(*p_)) ++p_;
    return true;
  }

  bool number() {
    if (peek('-')) ++p_;
    if (peek('0')) {
      ++p_;
    } else if (!digits()) {
      return false;
    }
    if (peek('.')) {
      ++p_;
      if (!digits()) return false;
    }
    if (peek('e') || peek('E')) {
      ++p_;
      if (peek('+') || peek('-')) ++p_;
      if (!digits()) return false;
    }
    return true;
  }

  bool string() {
    ++p_;  // opening quote
    while (p_ < end_) {
      auto c = static_cast<unsigned char>(*p_);
      if (c == '"') return ++p_, true;
      if (c == '\\') {
        if (!escape()) return false;
      } else if (c < 0x20) {
        return false;
      } else if (c < 0x80) {
        ++p_;
      } else if (!utf8_sequence()) {
        return false;
      }
    }
    return false;
  }

  bool escape() {
    ++p_;  // backslash
    if (p_ == end_) return false;
    switch (*p_) {
      case '"':
      case '\\':
      case '/':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't': ++p_; return true;
      case 'u':
        ++p_;
        if (end_ - p_ < 4) return false;
        for (int i = 0; i < 4; ++i) {
          if (!common::is_hex_digit(p_[i])) return false;
        }
        p_ += 4;
        return true;
      default: return false;
    }
  }

  // Validates one multi-byte UTF-8 sequence (common::utf8_sequence_length).
  bool utf8_sequence() {
    std::size_t len = common::utf8_sequence_length(std::string_view(p_, static_cast<std::size_t>(end_ - p_)));
    p_ += len;
    return len > 0;
  }

  const char* p_;
  const char* end_;
  bool too_deep_ = false;
};

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::uint32_t hex4(const char* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = v * 16 + static_cast<std::uint32_t>(common::hex_value(p[i]));
  return v;
}

}  // namespace

bool scan_json(std::string_view text, JsonValue& out) {
  Scanner scanner(text);
  scanner.skip_space();
  if (!scanner.value(out, 0)) return false;
  scanner.skip_space();
  return scanner.at_end();
}

ObjectScan scan_object(std::string_view text, MemberVisitor& visitor) {
  Scanner scanner(text);
  scanner.skip_space();
  const bool is_object = scanner.peek('{');
  JsonValue ignored;
  const bool scanned = is_object ? scanner.object(&visitor, 1) : scanner.value(ignored, 0);
  if (!scanned) return scanner.too_deep() ? ObjectScan::too_deep : ObjectScan::invalid_json;
  scanner.skip_space();
  if (!scanner.at_end()) return ObjectScan::invalid_json;
  return is_object ? ObjectScan::ok : ObjectScan::not_an_object;
}

std::vector<JsonValue> array_elements(std::string_view text) {
  std::vector<JsonValue> elements;
  Scanner scanner(text);
  scanner.skip_space();
  if (scanner.peek('[') && !scanner.array(&elements, 1)) elements.clear();
  return elements;
}

bool decode_json_string(std::string_view raw_inner, std::string& out) {
  out.clear();
  out.reserve(raw_inner.size());
  const char* p = raw_inner.data();
  const char* end = p + raw_inner.size();
  while (p < end) {
    if (*p != '\\') {
      out += *p++;
      continue;
    }
    ++p;
    char e = *p++;
    switch (e) {
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        std::uint32_t cp = hex4(p);
        p += 4;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return false;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (end - p < 6 || p[0] != '\\' || p[1] != 'u') return false;
          std::uint32_t low = hex4(p + 2);
          if (low < 0xDC00 || low > 0xDFFF) return false;
          p += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        append_utf8(out, cp);
        break;
      }
      default: out += e; break;  // '"', '\\', '/'
    }
  }
  return true;
}

std::string_view decode_key(std::string_view raw_key, std::string& scratch) {
  if (raw_key.find('\\') == std::string_view::npos) return raw_key;
  if (!decode_json_string(raw_key, scratch)) return {};
  return scratch;
}

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

}  // namespace pubsub::protocol
