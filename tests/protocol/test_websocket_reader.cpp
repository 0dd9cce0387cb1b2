// Tests of the client frame reader (websocket_reader.h): RFC 6455's
// examples, every check it makes, and the same results whether the bytes
// arrive at once or one at a time.
#include "protocol/websocket_reader.h"

#include "protocol/client_frames.h"

#include <catch2/catch_test_macros.hpp>
#include <catch2/catch_tostring.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <cstdint>
#include <string>
#include <vector>

using pubsub::protocol::ClientFrameReader;
using Kind = ClientFrameReader::Kind;
using pubsub::protocol::client_frame;

namespace {

std::string text(std::string_view payload) { return client_frame(0x81, payload); }

struct Seen {
  Kind kind;
  std::string payload;
  std::uint16_t code;
  bool operator==(const Seen&) const = default;
};

// Feeds `bytes` `chunk` at a time, as the connection does: what the reader
// leaves is offered again with the next chunk after it.
std::vector<Seen> read_all(ClientFrameReader& reader, const std::string& bytes, std::size_t chunk) {
  std::vector<Seen> seen;
  std::string pending;
  for (std::size_t at = 0; at < bytes.size(); at += chunk) {
    pending += bytes.substr(at, chunk);
    std::span<char> input(pending.data(), pending.size());
    for (;;) {
      auto item = reader.next(input);
      if (item.kind == Kind::need_more) break;
      seen.push_back({item.kind, std::string(item.payload), item.code});
      if (item.kind == Kind::violation) return seen;
    }
    pending.erase(0, pending.size() - input.size());
  }
  return seen;
}

}  // namespace

template <>
struct Catch::StringMaker<Seen> {
  static std::string convert(const Seen& seen) {
    return "{kind " + std::to_string(static_cast<int>(seen.kind)) + ", \"" + seen.payload.substr(0, 40) + "\", " +
           std::to_string(seen.code) + "}";
  }
};

namespace {

std::vector<Seen> read_all(const std::string& bytes, std::size_t max = 1024 * 1024) {
  const std::size_t chunk = GENERATE(as<std::size_t>{}, 1, 3, 7, 1 << 20);
  CAPTURE(chunk);
  ClientFrameReader reader(max);
  return read_all(reader, bytes, chunk);
}

Seen violation(std::uint16_t code) { return {Kind::violation, "", code}; }

}  // namespace

TEST_CASE("RFC 6455 5.7: a masked text frame, and a fragmented one with a ping between") {
  const std::string hello("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);
  CHECK(read_all(hello) == std::vector<Seen>{{Kind::text, "Hello", 0}});
  const std::string fragmented = client_frame(0x01, "Hel") + client_frame(0x89, "p") + client_frame(0x80, "lo");
  CHECK(read_all(fragmented) == std::vector<Seen>{{Kind::ping, "p", 0}, {Kind::text, "Hello", 0}});
}

TEST_CASE("Messages of every length encoding, binary and empty ones, in one stream") {
  const std::string medium(300, 'm'), large(70000, 'L');
  const std::string stream = text("a") + text(medium) + client_frame(0x82, std::string("\x00\xff", 2)) + text("") +
                             text(large) + client_frame(0x8A, "");
  CHECK(read_all(stream) == std::vector<Seen>{{Kind::text, "a", 0},
                                              {Kind::text, medium, 0},
                                              {Kind::binary, std::string("\x00\xff", 2), 0},
                                              {Kind::text, "", 0},
                                              {Kind::text, large, 0},
                                              {Kind::pong, "", 0}});
}

TEST_CASE("A whole frame in the input is unmasked in place, not copied") {
  std::string bytes = text("in place");
  std::span<char> input(bytes.data(), bytes.size());
  ClientFrameReader reader(1024);
  auto item = reader.next(input);
  REQUIRE(item.kind == Kind::text);
  CHECK(item.payload == "in place");
  CHECK(item.payload.data() == bytes.data() + 6);
  CHECK(input.empty());
  CHECK(reader.next(input).kind == Kind::need_more);
}

TEST_CASE("UTF-8 is checked on the whole message, across fragment boundaries") {
  // "é" is 0xC3 0xA9: split across two fragments it is still valid.
  CHECK(read_all(client_frame(0x01, "caf\xc3") + client_frame(0x80, "\xa9")) ==
        std::vector<Seen>{{Kind::text, "caf\xc3\xa9", 0}});
  CHECK(read_all(text("bad \xff\xfe")) == std::vector<Seen>{violation(1007)});
  CHECK(read_all(text("\xed\xa0\x80")) == std::vector<Seen>{violation(1007)});  // a surrogate
  CHECK(read_all(client_frame(0x01, "caf\xc3") + client_frame(0x80, "")) == std::vector<Seen>{violation(1007)});
  // Binary messages are not text: any bytes.
  CHECK(read_all(client_frame(0x82, "\xff")) == std::vector<Seen>{{Kind::binary, "\xff", 0}});
}

TEST_CASE("Protocol violations answer 1002") {
  auto with_length_bytes = [](std::string length) {  // a masked text frame with a hand-made length field
    return std::string("\x81", 1) + length + std::string("\0\0\0\0", 4);
  };
  const std::string cases[] = {
      client_frame(0x81, "hello", false),  // unmasked
      client_frame(0xC1, "compressed?"),   // RSV1 without an extension
      client_frame(0xA1, "x"),
      client_frame(0x91, "x"),  // RSV2, RSV3
      client_frame(0x83, "x"),
      client_frame(0x8B, "x"),                                        // reserved opcodes
      client_frame(0x09, "p"),                                        // a fragmented ping
      client_frame(0x89, std::string(126, 'p')),                      // a ping over 125 bytes
      client_frame(0x80, "continuation"),                             // a continuation without a message
      client_frame(0x01, "a") + text("b"),                            // a new message inside a fragmented one
      with_length_bytes(std::string("\xfe\x00\x7d", 3)),              // 125 in the 16-bit form
      with_length_bytes(std::string("\xff\0\0\0\0\0\0\xff\xff", 9)),  // 65535 in the 64-bit form
      with_length_bytes(std::string("\xff\x80\0\0\0\0\0\0\0", 9)),    // the 64-bit length's top bit
      client_frame(0x88, "\x03"),                                     // a one-byte close body
      client_frame(0x88, "\x03\xed"),                                 // close code 1005, which is not for the wire
      client_frame(0x88, "\x03\xee"),                                 // 1006
      client_frame(0x88, std::string("\x00\x00", 2)),                 // 0
      client_frame(0x88, "\x07\xd0"),                                 // 2000
  };
  for (const std::string& bytes : cases) {
    CAPTURE(bytes);
    CHECK(read_all(bytes) == std::vector<Seen>{violation(1002)});
  }
}

TEST_CASE("A violation is final, and names what was wrong") {
  std::string bytes = client_frame(0x81, "x", false) + text("after");
  std::span<char> input(bytes.data(), bytes.size());
  ClientFrameReader reader(1024);
  auto first = reader.next(input);
  CHECK(first.kind == Kind::violation);
  CHECK(std::string(first.reason) == "unmasked client frame");
  CHECK(reader.next(input).kind == Kind::violation);
}

TEST_CASE("Close frames report their code and reason") {
  CHECK(read_all(client_frame(0x88, "")) == std::vector<Seen>{{Kind::close, "", 1005}});
  CHECK(read_all(client_frame(0x88,
                              "\x03\xe8"
                              "bye")) == std::vector<Seen>{{Kind::close, "bye", 1000}});
  CHECK(read_all(client_frame(0x88, "\x0f\xa0")) == std::vector<Seen>{{Kind::close, "", 4000}});
  CHECK(read_all(client_frame(0x88, "\x03\xe8\xff")) == std::vector<Seen>{violation(1007)});
}

TEST_CASE("A message over the limit answers too_big once, then its bytes and later messages are skipped") {
  const std::string limit_sized(10, 'k');
  CHECK(read_all(text(limit_sized), 10) == std::vector<Seen>{{Kind::text, limit_sized, 0}});
  // Over the limit in one frame; the ping after it is still reported.
  CHECK(read_all(text(std::string(11, 'x')) + text("later") + client_frame(0x89, "p") + client_frame(0x88, ""), 10) ==
        std::vector<Seen>{{Kind::too_big, "", 1009}, {Kind::ping, "p", 0}, {Kind::close, "", 1005}});
  // Over the limit only once fragments are joined.
  CHECK(read_all(client_frame(0x01, "123456") + client_frame(0x80, "789012") + client_frame(0x88, ""), 10) ==
        std::vector<Seen>{{Kind::too_big, "", 1009}, {Kind::close, "", 1005}});
  // The skipped frame is not buffered: a 1 GiB header needs no 1 GiB.
  ClientFrameReader reader(10);
  std::string huge_head("\x81\xff\0\0\0\x40\0\0\0\0\0\0\0\0", 14);
  std::span<char> input(huge_head.data(), huge_head.size());
  CHECK(reader.next(input).kind == Kind::too_big);
  std::string chunk(1 << 16, 'z');
  std::span<char> more(chunk.data(), chunk.size());
  CHECK(reader.next(more).kind == Kind::need_more);
  CHECK(more.empty());
}

TEST_CASE("After skip_messages data frames are dropped unchecked; control frames still come") {
  ClientFrameReader reader(4);
  reader.skip_messages();
  CHECK(read_all(reader,
                 text("far longer than four bytes") + text("\xff") + client_frame(0x89, "p") +
                     client_frame(0x88, "\x03\xe8"),
                 5) == std::vector<Seen>{{Kind::ping, "p", 0}, {Kind::close, "", 1000}});
}
