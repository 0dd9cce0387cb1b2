// The client's side of the WebSocket wire format (RFC 6455 section 5):
// building the frames a client sends, masked, and reading the frames a
// server sends out of a byte buffer. pubsub-bench and the tests speak to
// the server through these; the server's own side is websocket_frame.h
// (its frames) and websocket_reader.h (reading a client's).
//
// Pure functions over caller-owned buffers, no Asio and no I/O, no shared
// state: callable from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pubsub::protocol {

// The 4-byte key a client frame's payload is masked with (section 5.3).
using MaskKey = std::array<unsigned char, 4>;

// The key of RFC 6455 section 5.7's examples, for frames that must be
// masked but need no unpredictable key (tests, load generation).
inline constexpr MaskKey kExampleMaskKey = {0x37, 0xfa, 0x21, 0x3d};

// A key of zeros: the frame is masked on the wire, yet its payload bytes
// are the plain ones, so that building it costs no XOR pass.
inline constexpr MaskKey kZeroMaskKey = {0, 0, 0, 0};

// The size of a client frame's header for a payload of `payload_size`
// bytes: 2, 4 or 10 bytes of opcode and length, plus 4 for the key when
// `masked`.
std::size_t client_frame_header_size(std::size_t payload_size, bool masked = true);

// Appends to `out` one frame whose first byte is `first` (FIN, RSV bits and
// opcode as given: 0x81 is a final text frame; nothing is checked, so
// tests can build broken frames), masked with `key`, the length in its
// shortest encoding (section 5.2). `payload` must not overlap `out`.
void append_client_frame(std::string& out, std::uint8_t first, std::string_view payload,
                         const MaskKey& key = kExampleMaskKey);

// Appends the same frame unmasked: a violation from a client (section 5.1),
// for tests of the server's checks.
void append_unmasked_client_frame(std::string& out, std::uint8_t first, std::string_view payload);

// Returns one frame as append_client_frame builds it (masked with the
// example key), or unmasked when `masked` is false.
std::string client_frame(std::uint8_t first, std::string_view payload, bool masked = true);

// One frame a server sent, as found at the front of a buffer.
struct ServerFrame {
  std::uint8_t opcode = 0;   // the low 4 bits of the first byte
  bool fin = false;          // the final frame of its message
  bool masked = false;       // a server must not mask (section 5.1); `payload` is then as on the wire
  std::string_view payload;  // inside the buffer given to read_server_frame
  std::size_t header_size = 0;

  // Bytes the frame takes in the buffer: drop these to reach the next one.
  std::size_t size() const { return header_size + payload.size(); }
};

// Reads the frame at the front of `bytes`: returns it when it is all there,
// or nullopt when more bytes are needed (the caller keeps these and calls
// again with more appended). Takes the 7, 16 and 64-bit length forms,
// whatever their encoding; a 64-bit length beyond the address space never
// completes. The frame's payload points into `bytes`.
std::optional<ServerFrame> read_server_frame(std::string_view bytes);

}  // namespace pubsub::protocol
