// Tests of the Sec-WebSocket-Key checks (websocket_handshake.h): base64
// lengths, alphabet and padding, and the 16 bytes RFC 6455 section 4.2.1
// requires of a key.
#include "protocol/websocket_handshake.h"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <optional>
#include <string_view>

using pubsub::protocol::base64_decoded_size;
using pubsub::protocol::is_websocket_key;

TEST_CASE("base64_decoded_size counts the bytes of valid base64", "[handshake]") {
  CHECK(base64_decoded_size("") == std::size_t{0});
  CHECK(base64_decoded_size("Zg==") == std::size_t{1});
  CHECK(base64_decoded_size("Zm8=") == std::size_t{2});
  CHECK(base64_decoded_size("Zm9v") == std::size_t{3});
  CHECK(base64_decoded_size("Zm9vYmFy") == std::size_t{6});
  CHECK(base64_decoded_size("+/+/") == std::size_t{3});
}

TEST_CASE("base64_decoded_size refuses what is not base64", "[handshake]") {
  auto text = GENERATE(as<std::string_view>{}, "Zg", "Zm9", "Zg=", "Z===", "====", "Zg==Zg==", "Z=g=", "Zm9-", "Zm9_",
                       "Zm 9", "Zm9v\n");
  CAPTURE(text);
  CHECK_FALSE(base64_decoded_size(text).has_value());
}

TEST_CASE("a Sec-WebSocket-Key is the base64 of exactly 16 bytes", "[handshake]") {
  CHECK(is_websocket_key("dGhlIHNhbXBsZSBub25jZQ=="));  // RFC 6455 section 1.3's example
  CHECK(is_websocket_key("AAAAAAAAAAAAAAAAAAAAAA=="));
  CHECK(is_websocket_key("/////////////////////w=="));
  auto bad = GENERATE(as<std::string_view>{}, "",
                      "dGhlIHNhbXBsZSBub25jZQ",             // no padding
                      "dGhlIHNhbXBsZSBub25jZQ=",            // half the padding
                      "dGhlIHNhbXBsZSBub25j=Q==",           // padding inside
                      "dGhlIHNhbXBsZSBub25jZ!==",           // outside the alphabet
                      "dGhlIHNhbXBsZSBub25jZQ-_",           // the URL-safe alphabet
                      "AAAAAAAAAAAAAAAAAAAA",               // 15 bytes
                      "AAAAAAAAAAAAAAAAAAAAAAA=",           // 17 bytes, 24 characters
                      "AAAAAAAAAAAAAAAAAAAAAAAA",           // 18 bytes, 24 characters
                      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");  // 24 bytes
  CAPTURE(bad);
  CHECK_FALSE(is_websocket_key(bad));
}
