// The frames pubsub-bench sends: subscribe and publish requests, and pongs,
// framed as a client's frames (protocol/client_frames.h) with a zero mask
// key, so that the payload goes out as built.
//
// Functions: any thread. A PublishFrameBuilder belongs to one thread.
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

// Builds publish frames without allocating once its buffer has grown: a
// publisher builds one per publish, so this is on the client's hot path.
class PublishFrameBuilder {
 public:
  // `payload`: the size the payload object is padded to (at least its fields).
  explicit PublishFrameBuilder(std::size_t payload) : payload_(payload) {}

  // Appends to `out` the publish of publisher `p` to `topic` whose payload
  // object carries "bp" (p), "bn" (`n`, the number subscribers check) and
  // "bt" (`sent_ns`, on the now_ns() clock). The message id is a UUID made
  // of p and `id_counter`, the publisher's count of publishes so far, so
  // that ids stay distinct when `n` is counted per topic.
  void append(std::string& out, std::string_view topic, std::uint64_t p, std::uint64_t id_counter, std::uint64_t n,
              std::uint64_t sent_ns);

 private:
  const std::size_t payload_;
  std::string body_;
};

}  // namespace pubsub::bench
