// Host field value checks; see http_host.h.
#include "protocol/http_host.h"

#include "common/hex.h"

namespace pubsub::protocol {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// unreserved / sub-delims of RFC 3986 section 2.
bool is_name_character(char c) {
  constexpr std::string_view kMarks = "-._~!$&'()*+,;=";
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || kMarks.find(c) != std::string_view::npos;
}

// True if `text` is made of name characters and percent-encoded octets,
// and also of ':' if `colons` (inside an IP literal's brackets).
bool is_host_text(std::string_view text, bool colons) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size() || !common::is_hex_digit(text[i + 1]) || !common::is_hex_digit(text[i + 2]))
        return false;
      i += 2;
    } else if (!is_name_character(c) && !(colons && c == ':')) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool is_host_field_value(std::string_view value) {
  std::string_view port;  // from the ':' on, if any
  if (value.starts_with('[')) {
    const std::size_t close = value.find(']');
    if (close == std::string_view::npos || close == 1 || !is_host_text(value.substr(1, close - 1), true)) return false;
    port = value.substr(close + 1);
  } else {
    const std::size_t colon = value.find(':');
    if (!is_host_text(value.substr(0, colon), false)) return false;
    if (colon != std::string_view::npos) port = value.substr(colon);
  }
  if (port.empty()) return true;
  if (port.front() != ':') return false;
  for (char c : port.substr(1)) {
    if (!is_digit(c)) return false;
  }
  return true;
}

}  // namespace pubsub::protocol
