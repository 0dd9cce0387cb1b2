// Reconnect delays; see reconnect_backoff.h.
#include "cli/reconnect_backoff.h"

#include <algorithm>

namespace pubsub::cli {

ReconnectBackoff::ReconnectBackoff(Delay first, Delay cap, std::uint64_t seed)
    : first_(first), cap_(cap), step_(first), random_(seed) {}

ReconnectBackoff::Delay ReconnectBackoff::next() {
  const Delay step = step_;
  step_ = std::min(step_ * 2, cap_);
  std::uniform_int_distribution<Delay::rep> jitter(step.count() / 2, step.count());
  return Delay(jitter(random_));
}

}  // namespace pubsub::cli
