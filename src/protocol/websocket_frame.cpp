// RFC 6455 server frames; see websocket_frame.h.
#include "protocol/websocket_frame.h"

namespace pubsub::protocol {

void append_server_frame(std::string& out, Opcode opcode, std::string_view payload) {
  char header[10];
  std::size_t header_size;
  const std::uint64_t size = payload.size();
  header[0] = static_cast<char>(0x80 | static_cast<unsigned char>(opcode));  // FIN
  if (size < 126) {
    header[1] = static_cast<char>(size);
    header_size = 2;
  } else if (size <= 0xFFFF) {
    header[1] = 126;
    header[2] = static_cast<char>(size >> 8);
    header[3] = static_cast<char>(size);
    header_size = 4;
  } else {
    header[1] = 127;
    for (int i = 0; i < 8; ++i) header[2 + i] = static_cast<char>(size >> (56 - 8 * i));
    header_size = 10;
  }
  out.append(header, header_size);
  out.append(payload);
}

void append_close_frame(std::string& out, std::uint16_t code) {
  const char body[2] = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  append_server_frame(out, Opcode::close, std::string_view(body, 2));
}

}  // namespace pubsub::protocol
