// Who holds which topic on one shard: for each topic, the list of the
// shard's subscribers that hold it (what a delivery walks), and for each
// subscriber, the topics it holds (what an unsubscribe or a disconnect
// walks). The one owner of subscription state on a shard; the Broker keeps
// each topic's per-shard counts in step with it.
//
// Shard thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/event.h"

namespace pubsub::core {

class Subscriber;
class Topic;

class SubscriptionIndex {
 public:
  // One subscriber of a topic, as a delivery sees it.
  struct Entry {
    Subscriber* subscriber;
    std::uint64_t first_seq;  // events before it came by replay, or not at all
  };
  // One topic a subscriber holds (a node of the subscriber's own list).
  struct Held {
    const Topic* topic;
    std::uint32_t slot;  // the subscriber's position in the topic's entries
    Held* next;
  };

  SubscriptionIndex() = default;
  SubscriptionIndex(const SubscriptionIndex&) = delete;
  SubscriptionIndex& operator=(const SubscriptionIndex&) = delete;
  ~SubscriptionIndex();

  // True if `subscriber` holds `topic`. Linear in the topics it holds.
  bool holds(const Subscriber& subscriber, const Topic& topic) const;
  // Records that `subscriber` holds `topic` from `first_seq` on; it must
  // not hold it yet.
  void add(Subscriber& subscriber, TopicRef topic, std::uint64_t first_seq);
  // Removes `subscriber`'s hold of `topic`. Returns false if it held none.
  bool remove(Subscriber& subscriber, const Topic& topic);
  // Removes every hold of `subscriber`; returns the topics it held.
  std::vector<TopicRef> remove_all(Subscriber& subscriber);
  // Removes every hold of `topic` on this shard; returns the subscribers
  // that held it.
  std::vector<Subscriber*> remove_topic(const Topic& topic);

  // The subscribers of `topic` on this shard (empty if none) for its
  // event (or lost events) up to `seq`, and records that this shard
  // reached `seq` of it. Valid until the index changes.
  std::span<const Entry> deliver(const Topic& topic, std::uint64_t seq) {
    auto it = topics_.find(&topic);
    if (it == topics_.end()) return {};
    it->second.delivered = seq;
    return it->second.entries;
  }
  // True if `subscriber` holds the topic named `topic` from `seq` or
  // earlier on, and this shard has not reached `seq` of it yet: event
  // `seq` is still to come to it. Linear in the topics it holds.
  bool awaits_event(const Subscriber& subscriber, std::string_view topic, std::uint64_t seq) const;
  // Topics held by `subscriber`.
  std::size_t count(const Subscriber& subscriber) const;
  // Topics with at least one subscriber on this shard.
  std::size_t topic_count() const { return topics_.size(); }

 private:
  struct TopicEntries {
    TopicRef topic;  // keeps the topic alive while the shard holds it
    std::vector<Entry> entries;
    std::uint64_t delivered = 0;  // the last seq delivered (or announced lost) here
  };

  static Held*& head(Subscriber& subscriber);
  static Held* head(const Subscriber& subscriber);
  // Unlinks and frees `subscriber`'s node of `topic`; returns its slot.
  static std::uint32_t unlink(Subscriber& subscriber, const Topic* topic);
  // Removes the entry at `slot` of `entries` (the last one moves into it).
  static void erase_entry(TopicEntries& entries, std::uint32_t slot);

  std::unordered_map<const Topic*, TopicEntries> topics_;
};

}  // namespace pubsub::core
