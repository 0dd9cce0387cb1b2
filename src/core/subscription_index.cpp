// The subscription index of a shard; see subscription_index.h.
#include "core/subscription_index.h"

#include <cassert>

#include "core/subscriber.h"
#include "core/topic.h"

namespace pubsub::core {

SubscriptionIndex::~SubscriptionIndex() {
  // Subscribers leave before their shard goes; nothing should be left.
  assert(topics_.empty());
}

SubscriptionIndex::Held*& SubscriptionIndex::head(Subscriber& subscriber) { return subscriber.held_; }

SubscriptionIndex::Held* SubscriptionIndex::head(const Subscriber& subscriber) { return subscriber.held_; }

bool SubscriptionIndex::holds(const Subscriber& subscriber, const Topic& topic) const {
  for (const Held* held = head(subscriber); held; held = held->next) {
    if (held->topic == &topic) return true;
  }
  return false;
}

bool SubscriptionIndex::awaits_event(const Subscriber& subscriber, std::string_view topic, std::uint64_t seq) const {
  for (const Held* held = head(subscriber); held; held = held->next) {
    if (held->topic->name() != topic) continue;
    auto it = topics_.find(held->topic);
    assert(it != topics_.end());
    return it->second.delivered < seq && it->second.entries[held->slot].first_seq <= seq;
  }
  return false;
}

std::size_t SubscriptionIndex::count(const Subscriber& subscriber) const {
  std::size_t n = 0;
  for (const Held* held = head(subscriber); held; held = held->next) ++n;
  return n;
}

void SubscriptionIndex::add(Subscriber& subscriber, TopicRef topic, std::uint64_t first_seq) {
  assert(!holds(subscriber, *topic));
  const Topic* key = topic.get();
  TopicEntries& entries = topics_[key];
  if (!entries.topic) entries.topic = std::move(topic);
  entries.entries.push_back({&subscriber, first_seq});
  Held*& first = head(subscriber);
  first = new Held{key, static_cast<std::uint32_t>(entries.entries.size() - 1), first};
}

bool SubscriptionIndex::remove(Subscriber& subscriber, const Topic& topic) {
  if (!holds(subscriber, topic)) return false;
  auto it = topics_.find(&topic);
  assert(it != topics_.end());
  erase_entry(it->second, unlink(subscriber, &topic));
  if (it->second.entries.empty()) topics_.erase(it);
  return true;
}

std::vector<TopicRef> SubscriptionIndex::remove_all(Subscriber& subscriber) {
  std::vector<TopicRef> left;
  while (Held* held = head(subscriber)) {
    auto it = topics_.find(held->topic);
    assert(it != topics_.end());
    left.push_back(it->second.topic);
    erase_entry(it->second, unlink(subscriber, held->topic));
    if (it->second.entries.empty()) topics_.erase(it);
  }
  return left;
}

std::vector<Subscriber*> SubscriptionIndex::remove_topic(const Topic& topic) {
  std::vector<Subscriber*> out;
  auto it = topics_.find(&topic);
  if (it == topics_.end()) return out;
  for (const Entry& entry : it->second.entries) {
    out.push_back(entry.subscriber);
    unlink(*entry.subscriber, &topic);
  }
  topics_.erase(it);
  return out;
}

std::uint32_t SubscriptionIndex::unlink(Subscriber& subscriber, const Topic* topic) {
  for (Held** link = &head(subscriber); *link; link = &(*link)->next) {
    Held* held = *link;
    if (held->topic != topic) continue;
    std::uint32_t slot = held->slot;
    *link = held->next;
    delete held;
    return slot;
  }
  assert(false && "the subscriber does not hold the topic");
  return 0;
}

void SubscriptionIndex::erase_entry(TopicEntries& entries, std::uint32_t slot) {
  std::vector<Entry>& list = entries.entries;
  assert(slot < list.size());
  if (slot != list.size() - 1) {
    list[slot] = list.back();
    // The moved subscriber's node must name its new slot.
    for (Held* held = head(*list[slot].subscriber); held; held = held->next) {
      if (held->topic == entries.topic.get()) {
        held->slot = slot;
        break;
      }
    }
  }
  list.pop_back();
}

}  // namespace pubsub::core
