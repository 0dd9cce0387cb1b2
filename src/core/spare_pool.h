// Spare objects of one type kept for reuse, as many as were recently in
// use at once. A shard's busy connections take per-connection state from a
// pool when they get work and give it back when done; with a fixed cap, a
// fan-out to more connections than the cap paid an allocation and a free
// per connection per loop pass. This pool keeps its working set instead:
// trim() frees only the spares that no take() needed since the previous
// trim, so the spares of a burst are freed two trims after it.
//
// One thread only (the owning shard's).
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <vector>

namespace pubsub::core {

template <class T>
class SparePool {
 public:
  // A spare, the one given back last (the warmest); null if there is none.
  std::unique_ptr<T> take() {
    if (spares_.empty()) return nullptr;
    std::unique_ptr<T> spare = std::move(spares_.back());
    spares_.pop_back();
    unused_ = std::min(unused_, spares_.size());
    return spare;
  }
  // Keeps `spare` for reuse.
  void give(std::unique_ptr<T> spare) { spares_.push_back(std::move(spare)); }
  // Frees the spares that stayed unused since the previous call (the
  // coldest), and returns how many it freed.
  std::size_t trim() {
    const std::size_t freed = std::min(unused_, spares_.size());
    spares_.erase(spares_.begin(), spares_.begin() + static_cast<std::ptrdiff_t>(freed));
    unused_ = spares_.size();
    return freed;
  }
  std::size_t size() const { return spares_.size(); }

 private:
  // Spares, coldest first: take() and give() work at the back.
  std::vector<std::unique_ptr<T>> spares_;
  // The fewest spares left since the previous trim: that many were not needed.
  std::size_t unused_ = 0;
};

}  // namespace pubsub::core
