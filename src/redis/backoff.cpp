#include "redis/backoff.h"

#include <algorithm>

namespace pubsub::redis {

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds maximum, std::uint64_t seed)
    : initial_(std::max(initial, std::chrono::milliseconds(1))),
      maximum_(std::max(maximum, initial_)),
      ceiling_(initial_),
      random_(seed) {}

std::chrono::milliseconds Backoff::next() {
  const auto ceiling = ceiling_.count();
  std::uniform_int_distribution<std::chrono::milliseconds::rep> draw(ceiling / 2, ceiling);
  const std::chrono::milliseconds delay(draw(random_));
  ceiling_ = std::min(ceiling_ * 2, maximum_);
  return delay;
}

}  // namespace pubsub::redis
