// Builds the frames a WebSocket client sends (RFC 6455 section 5), for
// tests that need exact bytes: fragments, control frames, broken frames.
//
// Pure function; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pubsub::testing {

// One frame: `first` is the FIN/RSV/opcode byte (0x81: a final text frame);
// masked with a fixed key unless `masked` is false; the length in its
// shortest form.
inline std::string client_frame(std::uint8_t first, std::string_view payload, bool masked = true) {
  const unsigned char mask[4] = {0x37, 0xfa, 0x21, 0x3d};
  std::string out(1, static_cast<char>(first));
  const char mask_bit = masked ? static_cast<char>(0x80) : 0;
  if (payload.size() < 126) {
    out += static_cast<char>(mask_bit | static_cast<char>(payload.size()));
  } else if (payload.size() <= 0xFFFF) {
    out += static_cast<char>(mask_bit | 126);
    out += static_cast<char>(payload.size() >> 8);
    out += static_cast<char>(payload.size() & 0xFF);
  } else {
    out += static_cast<char>(mask_bit | 127);
    for (int i = 7; i >= 0; --i) out += static_cast<char>((std::uint64_t{payload.size()} >> (8 * i)) & 0xFF);
  }
  if (!masked) return out + std::string(payload);
  out.append(reinterpret_cast<const char*>(mask), 4);
  for (std::size_t i = 0; i < payload.size(); ++i) out += static_cast<char>(payload[i] ^ mask[i % 4]);
  return out;
}

}  // namespace pubsub::testing
