// RFC 6455 server frames; see websocket_frame.h.
#include "protocol/websocket_frame.h"

#include <algorithm>

namespace pubsub::protocol {

namespace {

// Writes the header of an unfragmented, unmasked frame of `size` payload
// bytes into `header` (room for kMaxServerHeader); returns its length.
std::size_t write_header(char* header, Opcode opcode, std::uint64_t size) {
  header[0] = static_cast<char>(0x80 | static_cast<unsigned char>(opcode));  // FIN
  if (size < 126) {
    header[1] = static_cast<char>(size);
    return 2;
  }
  if (size <= 0xFFFF) {
    header[1] = 126;
    header[2] = static_cast<char>(size >> 8);
    header[3] = static_cast<char>(size);
    return 4;
  }
  header[1] = 127;
  for (int i = 0; i < 8; ++i) header[2 + i] = static_cast<char>(size >> (56 - 8 * i));
  return 10;
}

}  // namespace

void append_server_frame(std::string& out, Opcode opcode, std::string_view payload) {
  char header[kMaxServerHeader];
  out.append(header, write_header(header, opcode, payload.size()));
  out.append(payload);
}

void begin_server_frame(std::string& out) { out.assign(kMaxServerHeader, '\0'); }

std::string_view finish_server_frame(std::string& out, Opcode opcode) {
  char header[kMaxServerHeader];
  const std::size_t size = write_header(header, opcode, out.size() - kMaxServerHeader);
  char* start = out.data() + kMaxServerHeader - size;
  std::copy(header, header + size, start);
  return std::string_view(start, out.size() - (kMaxServerHeader - size));
}

void append_close_frame(std::string& out, std::uint16_t code) {
  const char body[2] = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  append_server_frame(out, Opcode::close, std::string_view(body, 2));
}

std::string_view server_frame_payload(std::string_view frame) {
  if (frame.size() < 2) return {};
  const auto length7 = static_cast<unsigned char>(frame[1]) & 0x7f;
  const std::size_t header = length7 == 127 ? 10 : length7 == 126 ? 4 : 2;
  return header <= frame.size() ? frame.substr(header) : std::string_view{};
}

}  // namespace pubsub::protocol
