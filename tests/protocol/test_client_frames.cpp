// Tests of the client's side of the framing (client_frames.h): RFC 6455
// section 5.7's examples both ways, the three length forms, masking checked
// by the server's own reader, and server frames arriving a byte at a time.
#include "protocol/client_frames.h"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <span>
#include <string>
#include <vector>

#include "protocol/websocket_frame.h"
#include "protocol/websocket_reader.h"

using pubsub::protocol::append_client_frame;
using pubsub::protocol::client_frame;
using pubsub::protocol::read_server_frame;

namespace {

std::string bytes(std::initializer_list<unsigned char> list) { return std::string(list.begin(), list.end()); }

// What read_server_frame found, copied out of the buffer.
struct Seen {
  int opcode;
  bool fin;
  std::string payload;
  bool operator==(const Seen&) const = default;
};

// Reads every whole frame of `buffer` and drops them from it.
std::vector<Seen> take_frames(std::string& buffer) {
  std::vector<Seen> seen;
  while (auto frame = read_server_frame(buffer)) {
    seen.push_back({frame->opcode, frame->fin, std::string(frame->payload)});
    buffer.erase(0, frame->size());
  }
  return seen;
}

}  // namespace

TEST_CASE("RFC 6455 5.7: the masked examples are built byte for byte") {
  const std::string masked_hello = bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  CHECK(client_frame(0x81, "Hello") == masked_hello);
  // The masked pong of the section's ping example.
  CHECK(client_frame(0x8A, "Hello") == bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
  CHECK(client_frame(0x81, "Hello", false) == bytes({0x81, 0x05, 'H', 'e', 'l', 'l', 'o'}));
}

TEST_CASE("RFC 6455 5.7: the unmasked examples are read, fragments and control frames included") {
  std::string buffer = bytes({0x81, 0x05, 'H', 'e', 'l', 'l', 'o'}) +  // a single-frame text message
                       bytes({0x01, 0x03, 'H', 'e', 'l'}) + bytes({0x80, 0x02, 'l', 'o'}) +  // fragmented
                       bytes({0x89, 0x05, 'H', 'e', 'l', 'l', 'o'});                         // a ping
  CHECK(take_frames(buffer) ==
        std::vector<Seen>{{0x1, true, "Hello"}, {0x1, false, "Hel"}, {0x0, true, "lo"}, {0x9, true, "Hello"}});
  CHECK(buffer.empty());

  // 256 bytes and 64 KiB of binary data, in the 16 and 64-bit length forms.
  std::string big = bytes({0x82, 0x7E, 0x01, 0x00}) + std::string(256, 'b') +
                    bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0, 0}) + std::string(65536, 'B');
  auto first = read_server_frame(big);
  REQUIRE(first);
  CHECK(first->header_size == 4);
  CHECK(first->payload == std::string(256, 'b'));
  big.erase(0, first->size());
  auto second = read_server_frame(big);
  REQUIRE(second);
  CHECK(second->opcode == 0x2);
  CHECK(second->header_size == 10);
  CHECK(second->payload.size() == 65536);
  CHECK(second->size() == big.size());
}

TEST_CASE("The length takes the shortest of the three forms, masked or not") {
  struct Case {
    std::size_t size;
    std::string length_bytes;  // after the first byte, mask bit clear
  };
  const Case cases[] = {
      {0, bytes({0x00})},
      {125, bytes({0x7d})},
      {126, bytes({0x7e, 0x00, 0x7e})},
      {65535, bytes({0x7e, 0xff, 0xff})},
      {65536, bytes({0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00})},
  };
  for (const Case& c : cases) {
    CAPTURE(c.size);
    const std::string payload(c.size, 'x');
    const std::string unmasked = client_frame(0x82, payload, false);
    CHECK(unmasked == "\x82" + c.length_bytes + payload);
    CHECK(pubsub::protocol::client_frame_header_size(c.size, false) == 1 + c.length_bytes.size());
    const std::string masked = client_frame(0x82, payload);
    std::string masked_length = c.length_bytes;
    masked_length[0] = static_cast<char>(masked_length[0] | 0x80);
    CHECK(masked.substr(1, masked_length.size()) == masked_length);
    CHECK(masked.size() == 1 + masked_length.size() + 4 + c.size);
    CHECK(pubsub::protocol::client_frame_header_size(c.size) == 1 + masked_length.size() + 4);
  }
}

TEST_CASE("Any length encoding is read, and a huge 64-bit length only asks for more") {
  std::string long_five = bytes({0x81, 0x7e, 0x00, 0x05}) + "Hello";  // 5 in the 16-bit form
  auto frame = read_server_frame(long_five);
  REQUIRE(frame);
  CHECK(frame->payload == "Hello");
  CHECK(frame->header_size == 4);
  const std::string huge = bytes({0x81, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) + "data";
  CHECK_FALSE(read_server_frame(huge));
}

TEST_CASE("A masked frame from a server is reported as masked, its payload as on the wire") {
  const std::string wire = client_frame(0x81, "Hello");
  auto frame = read_server_frame(wire);
  REQUIRE(frame);
  CHECK(frame->masked);
  CHECK(frame->header_size == 6);
  CHECK(frame->payload == wire.substr(6));
}

TEST_CASE("Frames masked with any key are unmasked by the server's reader to the same bytes") {
  using pubsub::protocol::ClientFrameReader;
  const std::size_t size = GENERATE(as<std::size_t>{}, 0, 1, 5, 125, 126, 300, 65535, 65536, 70001);
  const pubsub::protocol::MaskKey key = GENERATE(pubsub::protocol::kExampleMaskKey, pubsub::protocol::kZeroMaskKey,
                                                 pubsub::protocol::MaskKey{0xff, 0x00, 0x81, 0x7e});
  CAPTURE(size, key[0], key[2]);
  std::string payload(size, ' ');
  for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<char>('a' + i % 26);
  std::string wire = "left alone";
  append_client_frame(wire, 0x81, payload, key);
  std::span<char> input(wire.data() + 10, wire.size() - 10);
  ClientFrameReader reader(1 << 20);
  auto item = reader.next(input);
  CHECK(item.kind == ClientFrameReader::Kind::text);
  CHECK(item.payload == payload);
  CHECK(input.empty());
  CHECK(wire.substr(0, 10) == "left alone");
}

TEST_CASE("Server frames fed a byte at a time come out whole, once, in order") {
  using pubsub::protocol::Opcode;
  std::string stream;
  pubsub::protocol::append_server_text_frame(stream, "first");
  pubsub::protocol::append_server_frame(stream, Opcode::ping, "p");
  pubsub::protocol::append_server_text_frame(stream, std::string(300, 'm'));
  pubsub::protocol::append_server_frame(stream, Opcode::binary, std::string(70000, 'L'));
  pubsub::protocol::append_close_frame(stream, 1001);
  std::string buffer;
  std::vector<Seen> seen;
  for (char c : stream) {
    buffer += c;
    const std::size_t before = seen.size();
    for (const Seen& s : take_frames(buffer)) seen.push_back(s);
    // A frame completes only on its last byte, which empties the buffer.
    if (seen.size() > before) CHECK(buffer.empty());
  }
  CHECK(seen == std::vector<Seen>{{0x1, true, "first"},
                                  {0x9, true, "p"},
                                  {0x1, true, std::string(300, 'm')},
                                  {0x2, true, std::string(70000, 'L')},
                                  {0x8, true, "\x03\xe9"}});
}
