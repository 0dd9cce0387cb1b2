// The delays between `pubsub sub`'s attempts to reconnect: 100 ms, doubling
// up to 5 s, each one jittered (a random point in its upper half) so that
// many subscribers cut off at once do not come back at once.
//
// Not thread-safe: one per subscriber, on its thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace pubsub::cli {

class ReconnectBackoff {
 public:
  using Delay = std::chrono::milliseconds;

  explicit ReconnectBackoff(Delay first = Delay(100), Delay cap = Delay(5000),
                            std::uint64_t seed = std::random_device{}());

  // The delay before the next attempt: the current step (first, doubled
  // after each call, at most cap) jittered to between its half and itself.
  Delay next();
  // After a connection that worked: the next delay starts again from `first`.
  void reset() { step_ = first_; }

 private:
  Delay first_;
  Delay cap_;
  Delay step_;
  std::mt19937_64 random_;
};

}  // namespace pubsub::cli
