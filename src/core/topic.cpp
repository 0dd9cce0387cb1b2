// History ring of a topic; see topic.h.
#include "core/topic.h"

#include <algorithm>

namespace pubsub::core {

std::atomic<long> Topic::instances_{0};

Topic::Topic(std::string name, std::size_t history_capacity, std::size_t shards)
    : name_(std::move(name)), history_(history_capacity), shard_subscribers_(shards, 0), shard_drops_(shards) {
  instances_.fetch_add(1, std::memory_order_relaxed);
}

Topic::~Topic() { instances_.fetch_sub(1, std::memory_order_relaxed); }

void intrusive_ptr_add_ref(Topic* topic) noexcept { topic->refs_.fetch_add(1, std::memory_order_relaxed); }

void intrusive_ptr_release(Topic* topic) noexcept {
  if (topic->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete topic;
}

void HistoryRing::push(EventRef event) {
  if (slots_.empty()) return;
  slots_[next_] = std::move(event);
  next_ = (next_ + 1) % slots_.size();
  size_ = std::min(size_ + 1, slots_.size());
}

void HistoryRing::clear() {
  for (auto& slot : slots_) slot.reset();
  next_ = 0;
  size_ = 0;
}

std::vector<EventRef> HistoryRing::newest(std::uint64_t n) const {
  std::size_t count = static_cast<std::size_t>(std::min<std::uint64_t>(n, size_));
  std::vector<EventRef> out;
  out.reserve(count);
  std::size_t start = (next_ + slots_.size() - count) % std::max<std::size_t>(slots_.size(), 1);
  for (std::size_t i = 0; i < count; ++i) out.push_back(slots_[(start + i) % slots_.size()]);
  return out;
}

}  // namespace pubsub::core
