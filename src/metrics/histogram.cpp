// Fixed-bucket histograms; see histogram.h.
#include "metrics/histogram.h"

#include <algorithm>

namespace pubsub::metrics {

ThreadHistogram::ThreadHistogram(std::span<const std::uint64_t> upper_bounds)
    : bounds_(upper_bounds), buckets_(upper_bounds.size() + 1) {}

void ThreadHistogram::record(std::uint64_t value) {
  // Few buckets: a linear scan from the small end, where most values fall.
  std::size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  buckets_[i].add();
  sum_.add(value);
  count_.add();
}

void ThreadHistogram::snapshot_into(HistogramSnapshot& into) const {
  if (into.upper_bounds.empty()) {
    into.upper_bounds.assign(bounds_.begin(), bounds_.end());
    into.counts.assign(buckets_.size(), 0);
  }
  for (std::size_t i = 0; i < buckets_.size(); ++i) into.counts[i] += buckets_[i].value();
  into.sum += sum_.value();
  into.count += count_.value();
}

}  // namespace pubsub::metrics
