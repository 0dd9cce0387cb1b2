// Topic registry, publish path and shard fan-out; see broker.h.
#include "core/broker.h"

#include <algorithm>
#include <cassert>
#include <mutex>

namespace pubsub::core {

// ------------------------------------------------------------------ shard

bool Shard::push(Item* item) {
  inbox_.push(item);
  return !scheduled_.exchange(true, std::memory_order_acq_rel);
}

void Shard::drain() {
  // Clear the flag before popping: a producer that pushes after this point
  // sees false and wakes the shard again, so no item is left behind.
  scheduled_.exchange(false, std::memory_order_acq_rel);
  while (MpscNode* node = inbox_.pop()) {
    std::unique_ptr<Item> item(static_cast<Item*>(node));
    if (item->event) {
      deliver(item->event);
    } else {
      remove_topic(item->deleted);
    }
  }
}

void Shard::deliver(const FramePtr& event) {
  auto it = local_.find(event->topic.get());
  if (it == local_.end()) return;
  std::vector<Subscriber*> overflowed;  // evicted after the loop: it edits the list
  for (const LocalSubscription& local : it->second) {
    if (event->seq >= local.first_seq && local.subscriber->push_event(event)) overflowed.push_back(local.subscriber);
  }
  for (Subscriber* subscriber : overflowed) broker_->unsubscribe_all(*subscriber);
}

void Shard::remove_topic(const std::shared_ptr<Topic>& topic) {
  auto it = local_.find(topic.get());
  if (it == local_.end()) return;
  std::vector<LocalSubscription> subscriptions = std::move(it->second);
  local_.erase(it);
  auto info = make_control_frame(broker_->encoder().topic_deleted(topic->name()));
  for (const LocalSubscription& local : subscriptions) {
    local.subscriber->memberships_.erase(topic.get());
    local.subscriber->push_control(info);
    local.subscriber->forget_drops_if_unused(topic.get());
  }
  std::lock_guard lock(topic->mutex_);
  topic->shard_subscribers_[index_] -= static_cast<std::uint32_t>(subscriptions.size());
  topic->subscribers_.fetch_sub(static_cast<std::int64_t>(subscriptions.size()), std::memory_order_relaxed);
}

// ------------------------------------------------------------------ registry

Broker::Broker(BrokerOptions options, const FrameEncoder& encoder)
    : options_(std::move(options)), encoder_(encoder) {
  assert(options_.shards > 0);
  for (std::size_t i = 0; i < options_.shards; ++i) {
    auto shard = std::make_unique<Shard>();
    shard->broker_ = this;
    shard->index_ = i;
    shards_.push_back(std::move(shard));
  }
}

Broker::~Broker() {
  // Free anything still in flight (the threads have stopped by now), and
  // break the topic <-> history frame cycles.
  for (auto& shard : shards_) {
    while (MpscNode* node = shard->inbox_.pop()) delete static_cast<Shard::Item*>(node);
  }
  for (auto& entry : topics_) entry.second->history_.clear();
}

std::shared_ptr<Topic> Broker::find(std::string_view name) const {
  std::shared_lock lock(registry_mutex_);
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : it->second;
}

std::shared_ptr<Topic> Broker::find_or_create(std::string_view name, bool create_missing) {
  if (auto topic = find(name); topic || !create_missing) return topic;
  std::unique_lock lock(registry_mutex_);
  auto [it, inserted] = topics_.try_emplace(std::string(name), nullptr);
  if (inserted) it->second = std::make_shared<Topic>(std::string(name), options_.history_size, shards_.size());
  return it->second;
}

bool Broker::create_topic(std::string_view name) {
  std::unique_lock lock(registry_mutex_);
  auto [it, inserted] = topics_.try_emplace(std::string(name), nullptr);
  if (inserted) it->second = std::make_shared<Topic>(std::string(name), options_.history_size, shards_.size());
  return inserted;
}

bool Broker::delete_topic(std::string_view name) {
  std::shared_ptr<Topic> topic;
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
      auto* item = new Shard::Item;
      item->deleted = topic;
      if (shards_[i]->push(item)) to_wake.push_back(shards_[i].get());
    }
  }
  for (Shard* shard : to_wake) shard->wake();
  return true;
}

std::optional<TopicStats> Broker::topic_stats(std::string_view name) const {
  auto topic = find(name);
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

SubscribeResult Broker::subscribe(Subscriber& sub, std::string_view name, std::uint64_t last_n,
                                  bool create_missing) {
  SubscribeResult result;
  for (;;) {
    auto topic = find_or_create(name, create_missing);
    if (!topic) return result;
    if (sub.memberships_.contains(topic.get())) {
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
      topic->shard_subscribers_[sub.shard()] += 1;
      topic->subscribers_.fetch_add(1, std::memory_order_relaxed);
    }
    auto& locals = shards_[sub.shard()]->local_[topic.get()];
    locals.push_back({&sub, first_seq});
    sub.memberships_.emplace(topic.get(), Subscriber::Membership{topic, locals.size() - 1});
    result.status = SubscribeStatus::subscribed;
    return result;
  }
}

bool Broker::unsubscribe(Subscriber& sub, std::string_view name) {
  auto topic = find(name);
  if (!topic) return false;
  if (sub.memberships_.contains(topic.get())) leave(sub, topic.get());
  return true;
}

PublishResult Broker::publish(std::size_t shard_index, std::string_view name, bool create_missing,
                              const EventEncoder& encoder) {
  PublishResult result;
  std::vector<Shard*> to_wake;
  bool deliver_here = false;
  for (;;) {
    auto topic = find_or_create(name, create_missing);
    if (!topic) return result;
    std::lock_guard lock(topic->mutex_);
    if (topic->deleted_) {
      if (create_missing) continue;
      return result;
    }
    std::uint64_t seq = ++topic->seq_;
    topic->messages_.store(seq, std::memory_order_relaxed);
    auto event = std::make_shared<const Frame>(Frame{encoder.encode(topic->name(), seq), topic, seq});
    topic->history_.push(event);
    for (std::size_t i = 0; i < shards_.size(); ++i) {
      if (topic->shard_subscribers_[i] == 0) continue;
      auto* item = new Shard::Item;
      item->event = event;
      bool needs_wake = shards_[i]->push(item);
      if (i == shard_index) {
        deliver_here = true;
      } else if (needs_wake) {
        to_wake.push_back(shards_[i].get());
      }
    }
    result = {true, seq};
    break;
  }
  for (Shard* shard : to_wake) shard->wake();
  if (deliver_here) shards_[shard_index]->drain();
  return result;
}

void Broker::leave(Subscriber& sub, const Topic* topic) {
  auto membership = sub.memberships_.find(topic);
  assert(membership != sub.memberships_.end());
  std::shared_ptr<Topic> held = std::move(membership->second.topic);
  std::size_t index = membership->second.index;
  sub.memberships_.erase(membership);

  Shard& shard = *shards_[sub.shard()];
  auto locals_it = shard.local_.find(topic);
  assert(locals_it != shard.local_.end());
  auto& locals = locals_it->second;
  assert(index < locals.size() && locals[index].subscriber == &sub);
  if (index != locals.size() - 1) {
    locals[index] = locals.back();
    locals[index].subscriber->memberships_.at(topic).index = index;
  }
  locals.pop_back();
  if (locals.empty()) shard.local_.erase(locals_it);

  sub.forget_drops_if_unused(topic);
  std::lock_guard lock(held->mutex_);
  held->shard_subscribers_[sub.shard()] -= 1;
  held->subscribers_.fetch_sub(1, std::memory_order_relaxed);
}

void Broker::unsubscribe_all(Subscriber& sub) {
  while (!sub.memberships_.empty()) leave(sub, sub.memberships_.begin()->first);
}

}  // namespace pubsub::core
