// A topic: its name and epoch, its sequence counter, its history ring and
// the number of subscribers each shard holds for it.
//
// Name, epoch and counters may be read on any thread. Everything else is
// guarded by the topic's mutex and is only touched by the Broker (see
// broker.h for the lock rules). Topics are reference counted (TopicRef,
// atomic): the registry holds one reference, and so does every event of the
// topic and every shard that has subscribers of it.
//
// Laid out small, for deployments with a topic per user or per device: one
// allocation holds the topic and its name; the history grows with what it
// retains, and the per-shard counts exist once the topic had a subscriber
// (drop counters once it dropped an event).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "core/epoch.h"
#include "core/event.h"

namespace pubsub::core {

// The newest `capacity` events of a topic, oldest first; its storage grows
// with the events it holds, up to `capacity`. Not thread-safe.
class HistoryRing {
 public:
  explicit HistoryRing(std::size_t capacity) : capacity_(static_cast<std::uint32_t>(capacity)) {}
  ~HistoryRing();
  HistoryRing(const HistoryRing&) = delete;
  HistoryRing& operator=(const HistoryRing&) = delete;

  // Appends `event`, evicting the oldest when full. No-op at capacity 0.
  void push(EventRef event);
  // Returns `count` events from the `first`th oldest on (0 is the oldest),
  // oldest first; both are clamped to what is held.
  std::vector<EventRef> range(std::size_t first, std::size_t count) const;
  // Returns the newest min(n, size) events, oldest first.
  std::vector<EventRef> newest(std::uint64_t n) const;
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  // Drops every event and frees the storage. The events reference their
  // topic, so a deleted topic's history must be cleared to free both.
  void clear();

 private:
  // The slot of the `i`th oldest event.
  std::size_t slot(std::size_t i) const;
  void grow();

  std::unique_ptr<EventRef[]> slots_;
  std::uint32_t allocated_ = 0;
  std::uint32_t size_ = 0;
  std::uint32_t next_ = 0;  // the slot the next push writes
  const std::uint32_t capacity_;
};

class Topic {
 public:
  // Returns a new topic named `name` (at most 255 bytes, already validated)
  // with a fresh epoch.
  static TopicRef make(std::string_view name, std::size_t history_capacity, std::size_t shards);
  // The same with the life `epoch` (a topic mirrored from Valkey/Redis).
  static TopicRef make(std::string_view name, std::size_t history_capacity, std::size_t shards, const Epoch& epoch);
  Topic(const Topic&) = delete;
  Topic& operator=(const Topic&) = delete;

  // Topics alive in the process (registered, or still held by events,
  // subscriptions or shards). Any thread.
  static long instances() { return instances_.load(std::memory_order_relaxed); }

  std::string_view name() const { return {reinterpret_cast<const char*>(this + 1), name_size_}; }
  const Epoch& epoch() const { return epoch_; }
  // The seq of the newest message: every message ever published. Any thread.
  std::uint64_t messages() const { return seq_.load(std::memory_order_relaxed); }
  // Subscriptions currently held. Any thread.
  std::int64_t subscribers() const { return subscribers_.load(std::memory_order_relaxed); }
  // Events dropped for slow subscribers (drop_oldest). Any thread.
  std::uint64_t dropped() const;
  // Counts one drop on shard `shard`. That shard's thread only: each shard
  // writes its own cache line, so a slow subscriber dropping an event per
  // publish does not contend with the publishers or the other shards.
  void count_drop(std::size_t shard);

 private:
  friend class Broker;
  friend void intrusive_ptr_add_ref(Topic* topic) noexcept;
  friend void intrusive_ptr_release(Topic* topic) noexcept;

  struct alignas(64) ShardDrops {
    std::atomic<std::uint64_t> count{0};
  };

  Topic(std::size_t name_size, std::size_t history_capacity, std::size_t shards, const Epoch& epoch);
  ~Topic();
  static void destroy(Topic* topic);
  // The subscriptions shard `shard` holds; mutex held.
  std::uint32_t& shard_subscribers(std::size_t shard);
  // True if shard `shard` holds subscriptions; mutex held.
  bool has_subscribers_on(std::size_t shard) const { return shard_subscribers_ && shard_subscribers_[shard] > 0; }

  std::atomic<std::uint32_t> refs_{0};
  const std::uint8_t name_size_;
  bool deleted_ = false;  // guarded by mutex_
  const Epoch epoch_;
  const std::uint32_t shards_;
  std::mutex mutex_;                   // guards the members below; never held while writing to a socket
  std::atomic<std::uint64_t> seq_{0};  // written under mutex_
  std::atomic<std::int64_t> subscribers_{0};
  HistoryRing history_;
  std::unique_ptr<std::uint32_t[]> shard_subscribers_;  // publish hands events only to shards > 0
  std::atomic<ShardDrops*> shard_drops_{nullptr};       // one per shard, made by the first drop
  // The name's bytes follow the topic in the same allocation.

  static std::atomic<long> instances_;
};

}  // namespace pubsub::core
