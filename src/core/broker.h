// The broker: the topic registry, and the publish, subscribe and delete
// operations that keep each topic's seq, history and per-shard subscriber
// counts consistent with the shards (shard.h) that fan events out.
//
// Threads. The server runs one shard per I/O thread and pins every
// connection (Subscriber) to one shard. A publish, on any shard, takes the
// topic's mutex only to assign the next seq, encode the event once, append
// it to the history and push one Outbound into the inbox of every other
// shard with subscribers of the topic; its own shard's subscribers get the
// event before publish returns. It never touches another shard's
// subscribers and never waits for one. Because the pushes happen under the
// topic mutex, every shard sees a topic's events in seq order, and so does
// every subscriber.
//
// Lock order: registry mutex, then a topic mutex; neither is ever held
// while a socket is written or a subscriber queue is touched on another
// thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/encoders.h"
#include "core/event.h"
#include "core/shard.h"
#include "core/subscriber.h"
#include "core/topic.h"

namespace pubsub::core {

struct BrokerOptions {
  std::size_t history_size = 100;
  std::size_t shards = 1;
  QueueLimits queue;
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
  std::vector<EventRef> replay;  // newest min(last_n, history), oldest first
};

struct PublishResult {
  bool found = false;
  std::uint64_t seq = 0;
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
  std::size_t shard_count() const { return shards_.size(); }

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
  SubscribeResult subscribe(Subscriber& sub, std::string_view name, std::uint64_t last_n, bool create_missing);
  // Unsubscribes `sub` from `name`. Returns false if there is no such topic
  // (true also when `sub` did not hold it).
  bool unsubscribe(Subscriber& sub, std::string_view name);
  // Removes every subscription of `sub` (a subscriber being disconnected).
  void unsubscribe_all(Subscriber& sub);
  // Publishes on `name` from shard `shard`. The shard's own subscribers
  // have the event queued before this returns; other shards have it in
  // their inbox, and are woken by the shard's next wake_receivers().
  PublishResult publish(std::size_t shard, std::string_view name, bool create_missing, const EventEncoder& encoder);

 private:
  friend class Shard;

  TopicRef find(std::string_view name) const;
  TopicRef find_or_create(std::string_view name, bool create_missing);
  TopicRef make_topic(std::string_view name) const;
  // Shard `shard` no longer holds `count` subscriptions of `topic`.
  void left(Topic& topic, std::size_t shard, std::size_t count);

  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  const BrokerOptions options_;
  const FrameEncoder& encoder_;
  std::vector<std::unique_ptr<Shard>> shards_;
  mutable std::shared_mutex registry_mutex_;  // guards topics_
  std::unordered_map<std::string, TopicRef, NameHash, std::equal_to<>> topics_;
};

}  // namespace pubsub::core
