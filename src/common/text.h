// Text rules shared by every layer: UTF-8 validation, the RFC 3339
// timestamps of frames and log lines, and splitting at a separator.
//
// Pure functions; callable from any thread (format_timestamp keeps a
// per-thread cache).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pubsub::common {

// Returns the length (2 to 4) of the valid multi-byte UTF-8 sequence that
// starts `s` (whose first byte is >= 0x80), or 0 if it is not one: no
// overlong forms, no surrogates, nothing above U+10FFFF, not truncated.
std::size_t utf8_sequence_length(std::string_view s);

// True if `s` is well-formed UTF-8 throughout (the rules above).
bool valid_utf8(std::string_view s);

// An RFC 3339 UTC timestamp with milliseconds ("2025-08-25T10:00:00.123Z"),
// held without an allocation.
class Timestamp {
 public:
  explicit Timestamp(std::chrono::system_clock::time_point t);
  std::string_view view() const { return {text_, sizeof text_}; }

 private:
  char text_[24];
};

// Writes `t` as RFC 3339 UTC with milliseconds ("2025-08-25T10:00:00.123Z").
std::string format_timestamp(std::chrono::system_clock::time_point t);

// The parts of `s` between `separator`s, empty ones included: "a,,b" gives
// "a", "", "b"; "" gives one empty part. They point into `s`.
std::vector<std::string_view> split(std::string_view s, char separator);

}  // namespace pubsub::common
