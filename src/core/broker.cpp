// Topic registry and the publish, subscribe and delete paths; see broker.h.
#include "core/broker.h"

#include <algorithm>
#include <cassert>
#include <mutex>

namespace pubsub::core {

Broker::Broker(BrokerOptions options, const FrameEncoder& encoder) : options_(std::move(options)), encoder_(encoder) {
  assert(options_.shards > 0);
  for (std::size_t i = 0; i < options_.shards; ++i) shards_.push_back(std::make_unique<Shard>(*this, i));
}

Broker::~Broker() {
  // Break the topic <-> history event cycles.
  for (auto& entry : topics_) {
    std::lock_guard lock(entry.second->mutex_);
    entry.second->history_.clear();
  }
}

// ------------------------------------------------------------------ registry

TopicRef Broker::make_topic(std::string_view name) const {
  return TopicRef(new Topic(std::string(name), options_.history_size, shards_.size()));
}

TopicRef Broker::find(std::string_view name) const {
  std::shared_lock lock(registry_mutex_);
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : it->second;
}

TopicRef Broker::find_or_create(std::string_view name, bool create_missing) {
  if (TopicRef topic = find(name); topic || !create_missing) return topic;
  std::unique_lock lock(registry_mutex_);
  auto [it, inserted] = topics_.try_emplace(std::string(name), nullptr);
  if (inserted) it->second = make_topic(name);
  return it->second;
}

bool Broker::create_topic(std::string_view name) {
  std::unique_lock lock(registry_mutex_);
  auto [it, inserted] = topics_.try_emplace(std::string(name), nullptr);
  if (inserted) it->second = make_topic(name);
  return inserted;
}

bool Broker::delete_topic(std::string_view name) {
  TopicRef topic;
  {
    std::unique_lock lock(registry_mutex_);
    auto it = topics_.find(name);
    if (it == topics_.end()) return false;
    topic = std::move(it->second);
    topics_.erase(it);
  }
  std::vector<Shard*> to_wake;
  {
    std::lock_guard lock(topic->mutex_);
    topic->deleted_ = true;
    topic->history_.clear();
    for (std::size_t i = 0; i < shards_.size(); ++i) {
      if (topic->shard_subscribers_[i] == 0) continue;
      shards_[i]->push(new TopicDeletion(topic));
      if (shards_[i]->schedule()) to_wake.push_back(shards_[i].get());
    }
  }
  for (Shard* shard : to_wake) shard->wake();
  return true;
}

std::optional<TopicStats> Broker::topic_stats(std::string_view name) const {
  TopicRef topic = find(name);
  if (!topic) return std::nullopt;
  return TopicStats{topic->name(), topic->messages(), topic->subscribers(), topic->dropped()};
}

std::vector<TopicStats> Broker::all_topics() const {
  std::vector<TopicStats> out;
  {
    std::shared_lock lock(registry_mutex_);
    out.reserve(topics_.size());
    for (const auto& [name, topic] : topics_) {
      out.push_back({name, topic->messages(), topic->subscribers(), topic->dropped()});
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::size_t Broker::topic_count() const {
  std::shared_lock lock(registry_mutex_);
  return topics_.size();
}

std::int64_t Broker::subscription_count() const {
  std::shared_lock lock(registry_mutex_);
  std::int64_t total = 0;
  for (const auto& entry : topics_) total += entry.second->subscribers();
  return total;
}

// ------------------------------------------------------------------ shard-thread operations

SubscribeResult Broker::subscribe(Subscriber& sub, std::string_view name, std::uint64_t last_n, bool create_missing) {
  SubscribeResult result;
  Shard& shard = sub.shard();
  for (;;) {
    TopicRef topic = find_or_create(name, create_missing);
    if (!topic) return result;
    if (shard.subscriptions().holds(sub, *topic)) {
      result.status = SubscribeStatus::already_subscribed;
      return result;
    }
    std::uint64_t first_seq = 0;
    {
      std::lock_guard lock(topic->mutex_);
      if (topic->deleted_) {
        if (create_missing) continue;  // deleted meanwhile: make a new one
        return result;
      }
      first_seq = topic->seq_ + 1;
      result.replay = topic->history_.newest(last_n);
      topic->shard_subscribers_[shard.index()] += 1;
      topic->subscribers_.fetch_add(1, std::memory_order_relaxed);
    }
    shard.subscriptions().add(sub, std::move(topic), first_seq);
    result.status = SubscribeStatus::subscribed;
    return result;
  }
}

bool Broker::unsubscribe(Subscriber& sub, std::string_view name) {
  TopicRef topic = find(name);
  if (!topic) return false;
  Shard& shard = sub.shard();
  if (shard.subscriptions().remove(sub, *topic)) {
    sub.forget_drops_if_unused(*topic);
    left(*topic, shard.index(), 1);
  }
  return true;
}

void Broker::unsubscribe_all(Subscriber& sub) {
  Shard& shard = sub.shard();
  for (const TopicRef& topic : shard.subscriptions().remove_all(sub)) {
    sub.forget_drops_if_unused(*topic);
    left(*topic, shard.index(), 1);
  }
}

void Broker::left(Topic& topic, std::size_t shard, std::size_t count) {
  std::lock_guard lock(topic.mutex_);
  topic.shard_subscribers_[shard] -= static_cast<std::uint32_t>(count);
  topic.subscribers_.fetch_sub(static_cast<std::int64_t>(count), std::memory_order_relaxed);
}

PublishResult Broker::publish(std::size_t shard_index, std::string_view name, bool create_missing,
                              const EventEncoder& encoder) {
  Shard& from = *shards_[shard_index];
  bool deliver_here = false;
  PublishResult result;
  for (;;) {
    TopicRef topic = find_or_create(name, create_missing);
    if (!topic) return result;
    std::lock_guard lock(topic->mutex_);
    if (topic->deleted_) {
      if (create_missing) continue;
      return result;
    }
    const std::uint64_t seq = ++topic->seq_;
    topic->messages_.store(seq, std::memory_order_relaxed);
    EventRef event = Event::make(topic, seq, encoder.encode(from.scratch(), topic->name(), seq));
    // Every inbox gets the topic's events in seq order, this shard's own
    // included: an event another shard published just before may be in it.
    for (std::size_t i = 0; i < shards_.size(); ++i) {
      if (topic->shard_subscribers_[i] == 0) continue;
      shards_[i]->push(Outbound::of_event(event));
      if (i == shard_index) {
        deliver_here = true;
      } else {
        from.handed_to(*shards_[i]);
      }
    }
    topic->history_.push(std::move(event));
    result = {true, seq};
    break;
  }
  if (deliver_here) from.drain();
  return result;
}

}  // namespace pubsub::core
