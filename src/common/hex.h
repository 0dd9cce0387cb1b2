// Hexadecimal digits as they appear in percent-escapes, JSON \u escapes,
// UUIDs and Host literals: either case is accepted.
//
// Pure constexpr functions; callable from any thread.
#pragma once

namespace pubsub::common {

// The value (0-15) of the hexadecimal digit `c`, or -1 if it is not one.
constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr bool is_hex_digit(char c) { return hex_value(c) >= 0; }

}  // namespace pubsub::common
