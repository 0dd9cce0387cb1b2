// How long to wait before the next attempt to connect: exponential backoff
// with jitter. The ceiling starts at `initial` and doubles with each
// failure in a row up to `maximum`; each delay is drawn evenly from the
// upper half of the ceiling, so that clients cut off together do not come
// back together.
//
// A plain value; its owner's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace pubsub::redis {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds maximum, std::uint64_t seed);

  // The delay before the next attempt, in [ceiling / 2, ceiling]; then
  // doubles the ceiling (up to the maximum).
  std::chrono::milliseconds next();
  // After a success: the next delay is drawn from the initial ceiling again.
  void reset() { ceiling_ = initial_; }

  std::chrono::milliseconds ceiling() const { return ceiling_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds maximum_;
  std::chrono::milliseconds ceiling_;
  std::mt19937_64 random_;
};

}  // namespace pubsub::redis
