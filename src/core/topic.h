// A topic: its name, its sequence counter, its history ring and the number
// of subscribers each shard holds for it.
//
// Name and counters may be read on any thread. Everything else is guarded
// by the topic's mutex and is only touched by the Broker (see broker.h for
// the lock rules). Topics are reference counted (TopicRef, atomic): the
// registry holds one reference, and so does every event of the topic and
// every shard that has subscribers of it.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "core/event.h"

namespace pubsub::core {

// The newest `capacity` events of a topic, oldest first. Not thread-safe.
class HistoryRing {
 public:
  explicit HistoryRing(std::size_t capacity) : slots_(capacity) {}

  // Appends `event`, evicting the oldest when full. No-op at capacity 0.
  void push(EventRef event);
  // Returns the newest min(n, size) events, oldest first.
  std::vector<EventRef> newest(std::uint64_t n) const;
  std::size_t size() const { return size_; }
  // Drops every event. The events reference their topic, so a deleted
  // topic's history must be cleared to free both.
  void clear();

 private:
  std::vector<EventRef> slots_;
  std::size_t next_ = 0;  // slot the next push writes
  std::size_t size_ = 0;
};

class Topic {
 public:
  Topic(std::string name, std::size_t history_capacity, std::size_t shards);
  ~Topic();
  Topic(const Topic&) = delete;
  Topic& operator=(const Topic&) = delete;

  // Topics alive in the process (registered, or still held by events,
  // subscriptions or shards). Any thread.
  static long instances() { return instances_.load(std::memory_order_relaxed); }

  const std::string& name() const { return name_; }
  // Messages ever published (also the last seq). Any thread.
  std::uint64_t messages() const { return messages_.load(std::memory_order_relaxed); }
  // Subscriptions currently held. Any thread.
  std::int64_t subscribers() const { return subscribers_.load(std::memory_order_relaxed); }
  // Events dropped for slow subscribers (drop_oldest). Any thread.
  std::uint64_t dropped() const {
    std::uint64_t total = 0;
    for (const ShardDrops& drops : shard_drops_) total += drops.count.load(std::memory_order_relaxed);
    return total;
  }
  // Counts one drop on shard `shard`. That shard's thread only: each shard
  // writes its own cache line, so a slow subscriber dropping an event per
  // publish does not contend with the publishers or the other shards.
  void count_drop(std::size_t shard) {
    std::atomic<std::uint64_t>& count = shard_drops_[shard].count;
    count.store(count.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

 private:
  friend class Broker;
  friend void intrusive_ptr_add_ref(Topic* topic) noexcept;
  friend void intrusive_ptr_release(Topic* topic) noexcept;

  std::atomic<std::uint32_t> refs_{0};
  const std::string name_;
  std::mutex mutex_;  // guards the members below; never held while writing to a socket
  std::uint64_t seq_ = 0;
  bool deleted_ = false;
  HistoryRing history_;
  std::vector<std::uint32_t> shard_subscribers_;  // publish hands events only to shards > 0

  std::atomic<std::uint64_t> messages_{0};
  std::atomic<std::int64_t> subscribers_{0};

  struct alignas(64) ShardDrops {
    std::atomic<std::uint64_t> count{0};
  };
  std::vector<ShardDrops> shard_drops_;  // one per shard; never resized

  static std::atomic<long> instances_;
};

}  // namespace pubsub::core
