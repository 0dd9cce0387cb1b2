// RFC 6455 framing of the server's frames: the connection writer appends
// events and replies to its socket buffer already framed, so that a whole
// queue leaves in one system call without a WebSocket write operation per
// message. Control frames (pong, ping, close) are framed here too.
//
// Pure functions; callable from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pubsub::protocol {

// Frame opcodes (section 5.2).
enum class Opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

// Close codes the server sends or checks (section 7.4.1).
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t no_status = 1005;  // never on the wire: "the close frame had no code"
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t policy_violation = 1008;
inline constexpr std::uint16_t too_big = 1009;
}  // namespace close_code

// Appends `payload` to `out` as one unfragmented, unmasked frame (a server's
// frames are never masked, section 5.1), with the shortest length encoding
// (section 5.2). Control frames' payloads must be at most 125 bytes.
void append_server_frame(std::string& out, Opcode opcode, std::string_view payload);

inline void append_server_text_frame(std::string& out, std::string_view payload) {
  append_server_frame(out, Opcode::text, payload);
}

// Appends a close frame carrying `code` (section 5.5.1), without a reason.
void append_close_frame(std::string& out, std::uint16_t code);

// Framing in place, for a payload built directly in the output buffer:
// begin_server_frame empties `out` and reserves room for the longest
// header; the caller appends the payload; finish_server_frame writes the
// header right before it and returns the whole frame (a view into `out`).
inline constexpr std::size_t kMaxServerHeader = 10;
void begin_server_frame(std::string& out);
std::string_view finish_server_frame(std::string& out, Opcode opcode);

// Returns the payload of `frame`, one whole frame as the functions above
// build it (the server's own frames: unmasked, complete).
std::string_view server_frame_payload(std::string_view frame);

}  // namespace pubsub::protocol
