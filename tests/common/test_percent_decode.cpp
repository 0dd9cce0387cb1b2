// Tests of common/percent_decode.h and common/hex.h: every escape form,
// decoding once only, and each malformed escape refused.
#include "common/percent_decode.h"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <string>
#include <string_view>

#include "common/hex.h"

using pubsub::common::hex_value;
using pubsub::common::is_hex_digit;
using pubsub::common::percent_decode;

TEST_CASE("hex_value takes digits of either case and refuses the rest", "[hex]") {
  static_assert(hex_value('0') == 0 && hex_value('9') == 9);
  static_assert(hex_value('a') == 10 && hex_value('F') == 15);
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    CAPTURE(c);
    const bool digit = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    CHECK(is_hex_digit(ch) == digit);
    if (!digit) CHECK(hex_value(ch) == -1);
  }
  const std::string_view lower = "0123456789abcdef";
  const std::string_view upper = "0123456789ABCDEF";
  for (int v = 0; v < 16; ++v) {
    CHECK(hex_value(lower[static_cast<std::size_t>(v)]) == v);
    CHECK(hex_value(upper[static_cast<std::size_t>(v)]) == v);
  }
}

TEST_CASE("percent_decode", "[percent_decode]") {
  struct Case {
    std::string_view in;
    std::string_view out;
  };
  auto c = GENERATE(values<Case>({
      {"", ""},
      {"orders", "orders"},
      {"ord%65rs", "orders"},
      {"%41%62", "Ab"},
      {"%2f%2F", "//"},
      {"a%20b", "a b"},
      {"a+b", "a+b"},  // '+' is not a space in a path
      {"%25", "%"},
      {"%2541", "%41"},  // decoded once only
      {"%C3%A9", "\xC3\xA9"},
      {"%00", std::string_view("\0", 1)},
      {"%ff", "\xFF"},
  }));
  std::string out = "leftover";
  REQUIRE(percent_decode(c.in, out));
  CHECK(out == c.out);

  for (std::string_view bad : {"%", "%4", "a%", "a%4", "%zz", "%g0", "%0g", "%%41", "ok%2", "% 41"}) {
    CAPTURE(bad);
    std::string ignored;
    CHECK_FALSE(percent_decode(bad, ignored));
  }
}
