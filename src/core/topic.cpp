// Topics and their history ring; see topic.h.
#include "core/topic.h"

#include <algorithm>
#include <cstring>
#include <new>

namespace pubsub::core {

std::atomic<long> Topic::instances_{0};

Topic::Topic(std::size_t name_size, std::size_t history_capacity, std::size_t shards, const Epoch& epoch)
    : name_size_(static_cast<std::uint8_t>(name_size)),
      epoch_(epoch),
      shards_(static_cast<std::uint32_t>(shards)),
      history_(history_capacity) {
  instances_.fetch_add(1, std::memory_order_relaxed);
}

Topic::~Topic() {
  delete[] shard_drops_.load(std::memory_order_acquire);
  instances_.fetch_sub(1, std::memory_order_relaxed);
}

TopicRef Topic::make(std::string_view name, std::size_t history_capacity, std::size_t shards) {
  return make(name, history_capacity, shards, Epoch::make());
}

TopicRef Topic::make(std::string_view name, std::size_t history_capacity, std::size_t shards, const Epoch& epoch) {
  const std::size_t name_size = std::min<std::size_t>(name.size(), 255);
  void* memory = ::operator new(sizeof(Topic) + name_size);
  auto* topic = new (memory) Topic(name_size, history_capacity, shards, epoch);
  std::memcpy(static_cast<char*>(memory) + sizeof(Topic), name.data(), name_size);
  return TopicRef(topic);
}

void Topic::destroy(Topic* topic) {
  topic->~Topic();
  ::operator delete(topic);
}

void intrusive_ptr_add_ref(Topic* topic) noexcept { topic->refs_.fetch_add(1, std::memory_order_relaxed); }

void intrusive_ptr_release(Topic* topic) noexcept {
  if (topic->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) Topic::destroy(topic);
}

std::uint64_t Topic::dropped() const {
  const ShardDrops* drops = shard_drops_.load(std::memory_order_acquire);
  if (drops == nullptr) return 0;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < shards_; ++i) total += drops[i].count.load(std::memory_order_relaxed);
  return total;
}

void Topic::count_drop(std::size_t shard) {
  ShardDrops* drops = shard_drops_.load(std::memory_order_acquire);
  if (drops == nullptr) {
    auto* made = new ShardDrops[shards_];
    if (shard_drops_.compare_exchange_strong(drops, made, std::memory_order_acq_rel)) {
      drops = made;
    } else {
      delete[] made;  // another shard made them first; `drops` is theirs
    }
  }
  std::atomic<std::uint64_t>& count = drops[shard].count;
  count.store(count.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

std::uint32_t& Topic::shard_subscribers(std::size_t shard) {
  if (!shard_subscribers_) shard_subscribers_ = std::make_unique<std::uint32_t[]>(shards_);
  return shard_subscribers_[shard];
}

// ------------------------------------------------------------------ history

HistoryRing::~HistoryRing() = default;

std::size_t HistoryRing::slot(std::size_t i) const {
  // Until the ring is full it has not wrapped: the oldest is slot 0.
  const std::size_t start = size_ == capacity_ ? next_ : 0;
  return (start + i) % allocated_;
}

void HistoryRing::grow() {
  const std::uint32_t allocated = std::min<std::uint32_t>(capacity_, std::max<std::uint32_t>(4, allocated_ * 2));
  auto slots = std::make_unique<EventRef[]>(allocated);
  // Not yet full, so not wrapped: the events are slots 0 to size_ - 1.
  for (std::uint32_t i = 0; i < size_; ++i) slots[i] = std::move(slots_[i]);
  slots_ = std::move(slots);
  allocated_ = allocated;
}

void HistoryRing::push(EventRef event) {
  if (capacity_ == 0) return;
  if (size_ < capacity_) {
    if (size_ == allocated_) grow();
    slots_[size_++] = std::move(event);
    next_ = size_ % capacity_;
    return;
  }
  slots_[next_] = std::move(event);
  next_ = (next_ + 1) % capacity_;
}

void HistoryRing::clear() {
  slots_.reset();
  allocated_ = 0;
  size_ = 0;
  next_ = 0;
}

std::vector<EventRef> HistoryRing::range(std::size_t first, std::size_t count) const {
  first = std::min<std::size_t>(first, size_);
  count = std::min<std::size_t>(count, size_ - first);
  std::vector<EventRef> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.push_back(slots_[slot(first + i)]);
  return out;
}

std::vector<EventRef> HistoryRing::newest(std::uint64_t n) const {
  const std::size_t count = static_cast<std::size_t>(std::min<std::uint64_t>(n, size_));
  return range(size_ - count, count);
}

}  // namespace pubsub::core
