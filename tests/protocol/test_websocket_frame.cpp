// Tests of the server's RFC 6455 text framing (websocket_frame.h): the
// examples of section 5.7 and each boundary of the length encoding.
#include "protocol/websocket_frame.h"

#include <catch2/catch_test_macros.hpp>

#include <string>

using pubsub::protocol::append_server_text_frame;

namespace {

std::string header_of(std::size_t payload_size) {
  std::string out;
  append_server_text_frame(out, std::string(payload_size, 'x'));
  REQUIRE(out.size() > payload_size);
  CHECK(out.substr(out.size() - payload_size) == std::string(payload_size, 'x'));
  return out.substr(0, out.size() - payload_size);
}

}  // namespace

TEST_CASE("A short text frame is FIN, opcode 1, unmasked, 7-bit length (RFC 6455 5.7)") {
  std::string out;
  append_server_text_frame(out, "Hello");
  CHECK(out == std::string("\x81\x05Hello", 7));
}

TEST_CASE("Frames append after what the buffer already holds") {
  std::string out = "head";
  append_server_text_frame(out, "a");
  append_server_text_frame(out, "");
  CHECK(out == std::string("head\x81\x01"
                           "a\x81\x00",
                           9));
}

TEST_CASE("The length takes the shortest of the three encodings") {
  CHECK(header_of(125) == std::string("\x81\x7d", 2));
  CHECK(header_of(126) == std::string("\x81\x7e\x00\x7e", 4));
  CHECK(header_of(256) == std::string("\x81\x7e\x01\x00", 4));  // RFC 6455 5.7's 256-byte example
  CHECK(header_of(65535) == std::string("\x81\x7e\xff\xff", 4));
  CHECK(header_of(65536) == std::string("\x81\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10));
  CHECK(header_of(1 << 20) == std::string("\x81\x7f\x00\x00\x00\x00\x00\x10\x00\x00", 10));
}

TEST_CASE("Control frames carry their opcode; a close frame its code in network order") {
  using pubsub::protocol::Opcode;
  std::string out;
  pubsub::protocol::append_server_frame(out, Opcode::pong, "p");
  pubsub::protocol::append_server_frame(out, Opcode::ping, "");
  pubsub::protocol::append_close_frame(out, 1009);
  CHECK(out == std::string("\x8a\x01p\x89\x00\x88\x02\x03\xf1", 9));
}

TEST_CASE("server_frame_payload returns the payload of each length form", "[frame]") {
  for (std::size_t size : {0u, 125u, 126u, 65535u, 65536u}) {
    const std::string payload(size, 'p');
    std::string frame;
    pubsub::protocol::append_server_text_frame(frame, payload);
    CHECK(pubsub::protocol::server_frame_payload(frame) == payload);
  }
}
