// Sec-WebSocket-Key checks; see websocket_handshake.h.
#include "protocol/websocket_handshake.h"

namespace pubsub::protocol {
namespace {

bool is_base64_digit(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

}  // namespace

std::optional<std::size_t> base64_decoded_size(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  const std::string_view digits = text.substr(0, text.size() - padding);
  for (char c : digits) {
    if (!is_base64_digit(c)) return std::nullopt;  // a third '=' or one inside lands here too
  }
  return text.size() / 4 * 3 - padding;
}

bool is_websocket_key(std::string_view key) { return base64_decoded_size(key) == std::size_t{16}; }

}  // namespace pubsub::protocol
