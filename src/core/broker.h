// The broker: the topic registry and the shards that fan events out.
//
// Threads. The server runs one shard per I/O thread and pins every
// connection (Subscriber) to one shard. A publish, on any shard, takes the
// topic's mutex only to assign the next seq, append to the history and push
// one item into the lock-free MPSC inbox of every shard that has
// subscribers of the topic; it never touches another connection's queue and
// never waits for one. Each shard drains its inbox on its own thread and
// copies the shared frame reference into its local subscribers' bounded
// queues. Because the pushes happen under the topic mutex, every shard sees
// a topic's events in seq order, and so does every subscriber.
//
// Lock order: registry mutex, then a topic mutex; neither is ever held
// while a socket is written or a subscriber queue is touched on another
// thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/frame.h"
#include "core/mpsc_queue.h"
#include "core/subscriber.h"
#include "core/topic.h"

namespace pubsub::core {

struct BrokerOptions {
  std::size_t history_size = 100;
  std::size_t shards = 1;
  QueueLimits queue;
};

// Encodes the event of one publish once its seq is known. Called once per
// publish, under the topic mutex.
class EventEncoder {
 public:
  virtual std::string encode(std::string_view topic, std::uint64_t seq) const = 0;

 protected:
  ~EventEncoder() = default;
};

struct TopicStats {
  std::string name;
  std::uint64_t messages = 0;
  std::int64_t subscribers = 0;
  std::uint64_t dropped = 0;
};

enum class SubscribeStatus { subscribed, already_subscribed, topic_not_found };

struct SubscribeResult {
  SubscribeStatus status = SubscribeStatus::topic_not_found;
  std::vector<FramePtr> replay;  // newest min(last_n, history), oldest first
};

struct PublishResult {
  bool found = false;
  std::uint64_t seq = 0;
};

// A shard's inbox and its map from topics to local subscribers.
class Shard {
 public:
  // Sets how the shard asks its thread to call drain(). Call before use;
  // the function is then called from any thread.
  void set_wake(std::function<void()> wake) { wake_ = std::move(wake); }
  // Processes every item in the inbox. Shard thread only.
  void drain();
  // Frees the events that subscribers of this shard dropped since the last
  // call (see retire). Shard thread only; the server calls it after each
  // loop pass's socket writes.
  void release_dropped() { dropped_.clear(); }

 private:
  friend class Broker;
  friend class Subscriber;

  struct LocalSubscription {
    Subscriber* subscriber;
    std::uint64_t first_seq;  // events before it came by replay, or not at all
  };
  struct Item : MpscNode {
    FramePtr event;                     // an event to fan out, or
    std::shared_ptr<Topic> deleted;     // a topic that was deleted
  };

  // Pushes `item`; returns true if the shard must be woken. Any thread.
  bool push(Item* item);
  void wake() { wake_(); }
  void deliver(const FramePtr& event);
  void remove_topic(const std::shared_ptr<Topic>& topic);
  // Keeps an event a subscriber dropped until release_dropped: freeing it
  // (often its last reference, long out of cache) waits until the pass's
  // writes to the healthy subscribers are done.
  void retire(FramePtr&& event) { dropped_.push_back(std::move(event)); }

  Broker* broker_ = nullptr;
  std::size_t index_ = 0;
  MpscQueue inbox_;
  alignas(64) std::atomic<bool> scheduled_{false};
  std::function<void()> wake_;
  std::unordered_map<const Topic*, std::vector<LocalSubscription>> local_;
  std::vector<FramePtr> dropped_;
};

class Broker {
 public:
  Broker(BrokerOptions options, const FrameEncoder& encoder);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  const BrokerOptions& options() const { return options_; }
  const FrameEncoder& encoder() const { return encoder_; }
  Shard& shard(std::size_t index) { return *shards_[index]; }

  // --- any thread ---

  // Creates topic `name` (already validated). Returns false if it exists.
  bool create_topic(std::string_view name);
  // Deletes topic `name`; its subscribers get topic_deleted after every
  // event published before. Returns false if there is no such topic.
  bool delete_topic(std::string_view name);
  std::optional<TopicStats> topic_stats(std::string_view name) const;
  // Every topic, sorted by name (byte order).
  std::vector<TopicStats> all_topics() const;
  std::size_t topic_count() const;
  // Subscriptions held over all topics.
  std::int64_t subscription_count() const;

  // --- the shard thread of the subscriber / publisher ---

  // Subscribes `sub` to `name`, creating the topic if `create_missing`.
  SubscribeResult subscribe(Subscriber& sub, std::string_view name, std::uint64_t last_n,
                            bool create_missing);
  // Unsubscribes `sub` from `name`. Returns false if there is no such topic
  // (true also when `sub` did not hold it).
  bool unsubscribe(Subscriber& sub, std::string_view name);
  // Removes every subscription of `sub` (a subscriber being disconnected).
  void unsubscribe_all(Subscriber& sub);
  // Publishes on `name` from shard `shard`; the shard's own subscribers
  // have the event queued before this returns.
  PublishResult publish(std::size_t shard, std::string_view name, bool create_missing,
                        const EventEncoder& encoder);

 private:
  friend class Shard;
  friend class Subscriber;

  std::shared_ptr<Topic> find(std::string_view name) const;
  std::shared_ptr<Topic> find_or_create(std::string_view name, bool create_missing);
  // Removes `sub`'s membership of `topic` from its shard (shard thread).
  void leave(Subscriber& sub, const Topic* topic);

  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  const BrokerOptions options_;
  const FrameEncoder& encoder_;
  std::vector<std::unique_ptr<Shard>> shards_;
  mutable std::shared_mutex registry_mutex_;  // guards topics_
  std::unordered_map<std::string, std::shared_ptr<Topic>, NameHash, std::equal_to<>> topics_;
};

}  // namespace pubsub::core
