// Fixed-bucket histograms; see histogram.h.
#include "metrics/histogram.h"

#include <algorithm>

namespace pubsub::metrics {

ThreadHistogram::ThreadHistogram(std::span<const std::uint64_t> upper_bounds)
    : bounds_(upper_bounds), buckets_(upper_bounds.size() + 1) {}

void ThreadHistogram::snapshot_into(HistogramSnapshot& into) const {
  if (into.upper_bounds.empty()) {
    into.upper_bounds.assign(bounds_.begin(), bounds_.end());
    into.counts.assign(buckets_.size(), 0);
  }
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    const std::uint64_t n = buckets_[i].value();
    into.counts[i] += n;
    into.count += n;  // the count is the buckets' total, so _count always equals the +Inf bucket
  }
  into.sum += sum_.value();
}

}  // namespace pubsub::metrics
