// The frames pubsub-bench sends: subscribe and publish requests, and pongs,
// framed as a client's frames (protocol/client_frames.h) with a zero mask
// key, so that the payload goes out as built.
//
// Pure functions; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pubsub::bench {

// Appends `payload` as one final frame of `opcode` (0x1 text, 0xA pong).
void append_request_frame(std::string& out, std::string_view payload, std::uint8_t opcode = 0x1);

// Returns the subscribe request for `topic`, framed.
std::string subscribe_frame(const std::string& topic);

// Appends the publish frame of message `n` of publisher `p` to `topic`: its
// payload object carries "bp" (p), "bn" (n) and "bt" (the send time,
// now_ns()), padded to `payload` bytes.
void publish_frame(std::string& out, const std::string& topic, std::uint64_t p, std::uint64_t n, std::size_t payload);

}  // namespace pubsub::bench
