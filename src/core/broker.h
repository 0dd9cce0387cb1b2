// The broker: the topic registry, and the publish, subscribe and delete
// operations that keep each topic's seq, history and per-shard subscriber
// counts consistent with the shards (shard.h) that fan events out; the
// resume of a subscription from a position (epoch, seq) and the reading
// of a topic's history (contract section 9).
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
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/string_hash.h"
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
  std::size_t max_topics = std::numeric_limits<std::size_t>::max();  // --max-topics
  // Mirror mode (--engine redis): told, on the shard's thread, when the
  // last subscription a node holds of a topic ends (see mirror_release).
  std::function<void(std::string_view topic)> on_unheld = {};
};

// An event of a mirrored topic, sequenced elsewhere: its seq, and how to
// encode it.
struct MirroredEvent {
  std::uint64_t seq = 0;
  const EventEncoder* encoder = nullptr;
};

// What mirror_event did with an event.
enum class MirrorOutcome : std::uint8_t {
  applied,     // the next seq: delivered and retained
  duplicate,   // a seq the mirror has passed: ignored
  gap,         // past the next seq: nothing done; the seqs between are missing
  other_life,  // of another epoch than the mirror's: nothing done
  not_loaded,  // the topic is not mirrored here
};

enum class CreateStatus { created, exists, limit_reached };

struct TopicStats {
  std::string name;
  Epoch epoch{0};
  std::uint64_t messages = 0;  // also the seq of the newest message
  std::int64_t subscribers = 0;
  std::uint64_t dropped = 0;
};

struct SubscribeRequest {
  std::string_view topic;
  std::uint64_t last_n = 0;                // replay the newest last_n retained messages
  std::optional<std::uint64_t> since_seq;  // or resume after this seq (section 9)
  std::optional<std::string_view> epoch;   // of since_seq's life of the topic
  bool create_missing = false;             // --auto-create-topics
  // Topics the subscriber may hold (--max-subscriptions).
  std::size_t max_subscriptions = std::numeric_limits<std::size_t>::max();
};

enum class SubscribeStatus {
  subscribed,
  already_subscribed,
  topic_not_found,
  topic_limit_reached,         // creating the topic would pass --max-topics
  subscription_limit_reached,  // the subscriber holds max_subscriptions topics
};

struct SubscribeResult {
  SubscribeStatus status = SubscribeStatus::topic_not_found;
  Epoch epoch{0};
  // The newest seq when the subscription took effect (or, already
  // subscribed, now): live events of the subscription come after it.
  std::uint64_t seq = 0;
  std::optional<bool> recovered;  // a new subscription with since_seq only
  std::vector<EventRef> replay;   // oldest first
};

struct PublishResult {
  bool found = false;
  bool topic_limit_reached = false;  // creating the topic would pass --max-topics
  std::uint64_t first_seq = 0;       // of the first message published
  std::uint64_t seq = 0;             // of the last
};

// Retained messages of a topic, as GET /topics/{name}/messages reads them.
struct HistoryPage {
  std::string name;
  Epoch epoch{0};
  std::uint64_t seq = 0;  // the newest seq
  std::vector<EventRef> events;
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

  // Creates topic `name` (already validated), unless it exists or the
  // registry holds max_topics topics.
  CreateStatus create_topic_status(std::string_view name);
  // Creates topic `name`; returns true if it did.
  bool create_topic(std::string_view name) { return create_topic_status(name) == CreateStatus::created; }
  // Deletes topic `name`; its subscribers get topic_deleted after every
  // event published before. Returns false if there is no such topic.
  bool delete_topic(std::string_view name);
  std::optional<TopicStats> topic_stats(std::string_view name) const;
  // Every topic, sorted by name (byte order).
  std::vector<TopicStats> all_topics() const;
  std::size_t topic_count() const;
  // Subscriptions held over all topics.
  std::int64_t subscription_count() const;

  // The retained messages of `name` with seq > `since_seq`, the oldest
  // `limit` of them; nullopt if there is no such topic.
  std::optional<HistoryPage> history(std::string_view name, std::uint64_t since_seq, std::size_t limit) const;

  // --- the shard thread of the subscriber / publisher ---

  // Subscribes `sub` as `request` says (creating the topic if it allows).
  SubscribeResult subscribe(Subscriber& sub, const SubscribeRequest& request);
  // Subscribes `sub` to `name` with a last_n replay.
  SubscribeResult subscribe(Subscriber& sub, std::string_view name, std::uint64_t last_n, bool create_missing) {
    return subscribe(sub, SubscribeRequest{name, last_n, std::nullopt, std::nullopt, create_missing});
  }
  // Unsubscribes `sub` from `name`. Returns false if there is no such topic
  // (true also when `sub` did not hold it).
  bool unsubscribe(Subscriber& sub, std::string_view name);
  // Removes every subscription of `sub` (a subscriber being disconnected).
  void unsubscribe_all(Subscriber& sub);
  // Publishes on `name` from shard `shard`. The shard's own subscribers
  // have the event queued before this returns; other shards have it in
  // their inbox, and are woken by the shard's next wake_receivers().
  PublishResult publish(std::size_t shard, std::string_view name, bool create_missing, const EventEncoder& encoder);
  // Publishes the events of `encoders` in order, with consecutive seqs (no
  // other publish comes between them), as publish does.
  PublishResult publish_all(std::size_t shard, std::string_view name, bool create_missing,
                            std::span<const EventEncoder* const> encoders);

  // --- mirror mode (--engine redis): the node's feed, on shard `shard`'s thread ---
  //
  // The registry then holds the topics the node's connections subscribe
  // to, as Valkey/Redis has them: their epoch, seq and retained history,
  // kept up to date from the topic's channel. Subscribing to a topic that
  // is not loaded answers topic_not_found: the node loads it, then the
  // subscriber tries again. Nothing else creates or publishes.

  // Registers topic `name` in life `epoch` at seq `seq` with the retained
  // `history` (oldest first, the newest at `seq`). A registered topic of
  // the same life is kept as it is (returns false); one of another life
  // ends first (its subscribers get topic_deleted).
  bool mirror_load(std::size_t shard, std::string_view name, const Epoch& epoch, std::uint64_t seq,
                   std::span<const MirroredEvent> history);
  // Applies an event of `name`'s channel, in life `epoch`, as publish does
  // (see MirrorOutcome). `seq` is the mirror's seq after the call.
  MirrorOutcome mirror_event(std::size_t shard, std::string_view name, std::string_view epoch, std::uint64_t seq,
                             const EventEncoder& encoder, std::uint64_t* mirror_seq = nullptr);
  // The events of `name` after the mirror's seq up to `up_to` are lost (not
  // in the history any more): its subscribers get the dropped info with
  // their count, and the mirror moves on to `up_to`. Returns that count (0
  // when the topic is not mirrored in life `epoch`, or has passed `up_to`).
  std::uint64_t mirror_skip(std::string_view name, std::string_view epoch, std::uint64_t up_to);
  // The life `epoch` of `name` ended (deleted, or lost with the data of
  // Valkey/Redis): as delete_topic, if the mirror is of that life (any life
  // if `epoch` is empty). Returns true if it was.
  bool mirror_end(std::string_view name, std::string_view epoch = {});
  // Unregisters `name` if no subscription holds it (the node stops
  // listening to it); returns true if it did.
  bool mirror_release(std::string_view name);
  // The mirror's position of `name`: its epoch and seq; nullopt if not loaded.
  std::optional<std::pair<Epoch, std::uint64_t>> mirror_position(std::string_view name) const;

 private:
  friend class Shard;

  TopicRef find(std::string_view name) const;
  // Finds `name`, or creates it if `create_missing` and the registry has
  // room; null (with `limit_reached` set if that was why) otherwise.
  TopicRef find_or_create(std::string_view name, bool create_missing, bool& limit_reached);
  TopicRef make_topic(std::string_view name) const;
  // Appends the event of seq `seq` to `topic` (mutex held): retained, and
  // pushed to every shard with subscribers; sets `deliver_here` if `from`
  // is one of them.
  void append_event(Shard& from, Topic& topic, std::uint64_t seq, const EventEncoder& encoder, bool& deliver_here);
  // Ends `topic` (unregistered already): its subscribers get topic_deleted.
  void end_topic(const TopicRef& topic);
  // Registers a new topic `name` unless one exists or there are
  // max_topics; registry mutex held. Returns the registered topic (null
  // past the limit) and whether it is new.
  std::pair<TopicRef, bool> register_topic(std::string_view name);
  // Shard `shard` no longer holds `count` subscriptions of `topic`.
  void left(Topic& topic, std::size_t shard, std::size_t count);

  const BrokerOptions options_;
  const FrameEncoder& encoder_;
  std::vector<std::unique_ptr<Shard>> shards_;
  mutable std::shared_mutex registry_mutex_;  // guards topics_
  // Keyed by a view of the topic's own name (each entry holds the topic).
  std::unordered_map<std::string_view, TopicRef, StringHash, std::equal_to<>> topics_;
};

}  // namespace pubsub::core
