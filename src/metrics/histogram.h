// A histogram over fixed bucket bounds with one writer thread (as
// ThreadCounter: plain loads and stores), read at scrape time by any
// thread; HistogramSnapshot adds up several threads' histograms.
//
// Values are unsigned integers in the unit the caller chooses
// (nanoseconds, frames); the exposition converts them (exposition.h).
//
// observe() and Tally: the owning thread only. snapshot_into(): any thread.
#pragma once

#include <cstdint>
#include <limits>
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
    if constexpr (kCounting) {
      buckets_[bucket_of(value)].add();
      sum_.add(value);
    }
  }

  // Observes the values of one connection write, one per event. Those
  // events were accepted close together, so most values fall in the bucket
  // of the one before: such a value costs two compares and an increment in
  // a register. A bucket's run of values is added when a value falls
  // elsewhere, the last run and the sum when the tally ends; a scrape
  // meanwhile sees the runs that ended.
  class Tally {
   public:
    explicit Tally(ThreadHistogram& histogram) : histogram_(histogram) {}
    Tally(const Tally&) = delete;
    Tally& operator=(const Tally&) = delete;
    ~Tally() {
      end_run();
      if (sum_ != 0) histogram_.sum_.add(sum_);
    }
    void observe(std::uint64_t value) {
      if constexpr (kCounting) {
        if (value < low_ || value > high_) start_run(value);
        ++run_;
        sum_ += value;
      }
    }

   private:
    void start_run(std::uint64_t value) {
      end_run();
      bucket_ = histogram_.bucket_of(value);
      const auto& bounds = histogram_.bounds_;
      low_ = bucket_ == 0 ? 0 : bounds[bucket_ - 1] + 1;
      high_ = bucket_ < bounds.size() ? bounds[bucket_] : std::numeric_limits<std::uint64_t>::max();
    }
    void end_run() {
      if (run_ != 0) histogram_.buckets_[bucket_].add(run_);
      run_ = 0;
    }

    ThreadHistogram& histogram_;
    std::uint64_t sum_ = 0;
    std::uint64_t run_ = 0;  // values in bucket_ not added yet
    std::size_t bucket_ = 0;
    // The values bucket_ holds, inclusive; none before the first value.
    std::uint64_t low_ = 1;
    std::uint64_t high_ = 0;
  };

  // Adds this histogram to `into` (which has no bounds yet, or the same).
  void snapshot_into(HistogramSnapshot& into) const;

 private:
  // The first bucket whose bound is >= value: a linear scan from the small
  // end, where most values fall.
  std::size_t bucket_of(std::uint64_t value) const {
    std::size_t i = 0;
    while (i < bounds_.size() && value > bounds_[i]) ++i;
    return i;
  }

  std::span<const std::uint64_t> bounds_;
  std::vector<ThreadCounter> buckets_;  // bounds_.size() + 1; their total is the count
  ThreadCounter sum_;
};

}  // namespace pubsub::metrics
