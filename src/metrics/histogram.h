// A histogram over fixed bucket bounds with one writer thread (as
// ThreadCounter: plain loads and stores), read at scrape time by any
// thread; HistogramSnapshot adds up several threads' histograms.
//
// Values are unsigned integers in the unit the caller chooses
// (nanoseconds, frames); the exposition converts them (exposition.h).
//
// observe(): the owning thread only. snapshot_into(): any thread.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "metrics/counter.h"

namespace pubsub::metrics {

// The sums of one or more histograms with the same bounds.
struct HistogramSnapshot {
  std::vector<std::uint64_t> upper_bounds;  // ascending; +Inf is implied after the last
  std::vector<std::uint64_t> counts;        // per bucket, not cumulative; one more than bounds (+Inf)
  std::uint64_t sum = 0;
  std::uint64_t count = 0;
};

class ThreadHistogram {
 public:
  // `upper_bounds` ascending and not empty; kept by reference, so it must
  // outlive the histogram (bounds are constants).
  explicit ThreadHistogram(std::span<const std::uint64_t> upper_bounds);

  // Counts `value` in the first bucket whose bound is >= value.
  void observe(std::uint64_t value) {
    if constexpr (kCounting) record(value);
  }

  // Adds this histogram to `into` (which has no bounds yet, or the same).
  void snapshot_into(HistogramSnapshot& into) const;

 private:
  void record(std::uint64_t value);

  std::span<const std::uint64_t> bounds_;
  std::vector<ThreadCounter> buckets_;  // bounds_.size() + 1
  ThreadCounter sum_;
  ThreadCounter count_;
};

}  // namespace pubsub::metrics
