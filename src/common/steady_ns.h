// The steady clock as a count of nanoseconds: the time stamp an event takes
// when it is accepted, and the one a connection's write compares it with
// (the delivery latency of /metrics).
//
// Any thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace pubsub::common {

inline std::uint64_t steady_now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

}  // namespace pubsub::common
