// A counter with one writer thread and any number of reader threads: the
// writer adds with a plain load and store (no locked read-modify-write, so
// counting costs what a plain increment does), a reader sees a value the
// counter had. Metrics keep one per thread and sum them when scraped.
//
// add(): the owning thread only. value(): any thread.
#pragma once

#include <atomic>
#include <cstdint>

// Built with -Dmetrics_counting=false (only to measure what counting costs,
// docs/benchmarks.md), counters and histograms count nothing.
#ifndef PUBSUB_METRICS_COUNTING
#define PUBSUB_METRICS_COUNTING 1
#endif

namespace pubsub::metrics {

inline constexpr bool kCounting = PUBSUB_METRICS_COUNTING != 0;

class ThreadCounter {
 public:
  void add(std::uint64_t n = 1) {
    if constexpr (kCounting) value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

}  // namespace pubsub::metrics
