// A token bucket: at most `rate` events per second on average, with bursts
// of up to one second's worth (--max-publish-rate, contract section 12).
// Time is passed in, so that tests need no clock.
//
// Not thread-safe: one bucket belongs to one connection, on its thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace pubsub::common {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  // A bucket of `rate` tokens per second, full at `now`.
  TokenBucket(std::uint32_t rate, Clock::time_point now) : tokens_(rate), rate_(rate), last_(now) {}

  // Takes `count` tokens if the bucket holds them at `now` and returns
  // true; otherwise takes none and returns false.
  bool take(std::uint32_t count, Clock::time_point now) {
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    if (elapsed > 0) {
      tokens_ = std::min<double>(rate_, tokens_ + elapsed * rate_);
      last_ = now;
    }
    if (tokens_ < count) return false;
    tokens_ -= count;
    return true;
  }

 private:
  double tokens_;
  std::uint32_t rate_;
  Clock::time_point last_;
};

}  // namespace pubsub::common
