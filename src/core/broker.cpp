// Topic registry and the publish, subscribe and delete paths; see broker.h.
#include "core/broker.h"

#include <algorithm>
#include <cassert>
#include <mutex>

#include "core/resume.h"

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
  return Topic::make(name, options_.history_size, shards_.size());
}

std::pair<TopicRef, bool> Broker::register_topic(std::string_view name) {
  if (auto it = topics_.find(name); it != topics_.end()) return {it->second, false};
  if (topics_.size() >= options_.max_topics) return {nullptr, false};
  TopicRef topic = make_topic(name);
  topics_.emplace(topic->name(), topic);
  return {std::move(topic), true};
}

TopicRef Broker::find(std::string_view name) const {
  std::shared_lock lock(registry_mutex_);
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : it->second;
}

TopicRef Broker::find_or_create(std::string_view name, bool create_missing, bool& limit_reached) {
  limit_reached = false;
  if (TopicRef topic = find(name); topic || !create_missing) return topic;
  std::unique_lock lock(registry_mutex_);
  TopicRef topic = register_topic(name).first;
  limit_reached = !topic;
  return topic;
}

CreateStatus Broker::create_topic_status(std::string_view name) {
  std::unique_lock lock(registry_mutex_);
  auto [topic, created] = register_topic(name);
  if (!topic) return CreateStatus::limit_reached;
  return created ? CreateStatus::created : CreateStatus::exists;
}

bool Broker::delete_topic(std::string_view name) {
  TopicRef topic;
  {
    std::unique_lock lock(registry_mutex_);
    auto it = topics_.find(name);
    if (it == topics_.end()) return false;
    topic = std::move(it->second);  // keeps the key's bytes alive through the erase
    topics_.erase(it);
  }
  end_topic(topic);
  return true;
}

void Broker::end_topic(const TopicRef& topic) {
  std::vector<Shard*> to_wake;
  {
    std::lock_guard lock(topic->mutex_);
    topic->deleted_ = true;
    topic->history_.clear();
    for (std::size_t i = 0; i < shards_.size(); ++i) {
      if (!topic->has_subscribers_on(i)) continue;
      shards_[i]->push(new TopicDeletion(topic));
      if (shards_[i]->schedule()) to_wake.push_back(shards_[i].get());
    }
  }
  for (Shard* shard : to_wake) shard->wake();
}

std::optional<TopicStats> Broker::topic_stats(std::string_view name) const {
  TopicRef topic = find(name);
  if (!topic) return std::nullopt;
  return TopicStats{std::string(topic->name()), topic->epoch(), topic->messages(), topic->subscribers(),
                    topic->dropped()};
}

std::vector<TopicStats> Broker::all_topics() const {
  std::vector<TopicStats> out;
  {
    std::shared_lock lock(registry_mutex_);
    out.reserve(topics_.size());
    for (const auto& [name, topic] : topics_) {
      out.push_back({std::string(name), topic->epoch(), topic->messages(), topic->subscribers(), topic->dropped()});
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

std::optional<HistoryPage> Broker::history(std::string_view name, std::uint64_t since_seq, std::size_t limit) const {
  TopicRef topic = find(name);
  if (!topic) return std::nullopt;
  HistoryPage page{std::string(topic->name()), topic->epoch(), 0, {}};
  std::lock_guard lock(topic->mutex_);
  page.seq = topic->seq_.load(std::memory_order_relaxed);
  const ResumePlan after = plan_after(since_seq, page.seq, topic->history_.size());
  page.events = topic->history_.range(after.first, std::min(after.count, limit));
  return page;
}

// ------------------------------------------------------------------ shard-thread operations

SubscribeResult Broker::subscribe(Subscriber& sub, const SubscribeRequest& request) {
  SubscribeResult result;
  Shard& shard = sub.shard();
  if (sub.topic_count() >= request.max_subscriptions && request.create_missing) {
    // Refused before a missing topic is created: a refused request leaves
    // no topic behind.
    const TopicRef topic = find(request.topic);
    if (!topic || !shard.subscriptions().holds(sub, *topic)) {
      result.status = SubscribeStatus::subscription_limit_reached;
      return result;
    }
  }
  for (;;) {
    bool limit_reached = false;
    TopicRef topic = find_or_create(request.topic, request.create_missing, limit_reached);
    if (!topic) {
      if (limit_reached) result.status = SubscribeStatus::topic_limit_reached;
      return result;
    }
    result.epoch = topic->epoch();
    if (shard.subscriptions().holds(sub, *topic)) {
      result.status = SubscribeStatus::already_subscribed;
      result.seq = topic->messages();
      return result;
    }
    if (sub.topic_count() >= request.max_subscriptions) {
      result.status = SubscribeStatus::subscription_limit_reached;
      return result;
    }
    {
      std::lock_guard lock(topic->mutex_);
      if (topic->deleted_) {
        if (request.create_missing) continue;  // deleted meanwhile: make a new one
        return result;
      }
      result.seq = topic->seq_.load(std::memory_order_relaxed);
      if (request.since_seq) {
        const bool epoch_matches = !request.epoch || *request.epoch == topic->epoch().text();
        const ResumePlan plan = plan_resume(*request.since_seq, epoch_matches, result.seq, topic->history_.size());
        result.replay = topic->history_.range(plan.first, plan.count);
        result.recovered = plan.recovered;
      } else {
        result.replay = topic->history_.newest(request.last_n);
      }
      topic->shard_subscribers(shard.index()) += 1;
      topic->subscribers_.fetch_add(1, std::memory_order_relaxed);
    }
    shard.subscriptions().add(sub, std::move(topic), result.seq + 1);
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
  std::int64_t held = 0;
  {
    std::lock_guard lock(topic.mutex_);
    topic.shard_subscribers(shard) -= static_cast<std::uint32_t>(count);
    held = topic.subscribers_.fetch_sub(static_cast<std::int64_t>(count), std::memory_order_relaxed) -
           static_cast<std::int64_t>(count);
  }
  if (held == 0 && options_.on_unheld) options_.on_unheld(topic.name());
}

PublishResult Broker::publish(std::size_t shard_index, std::string_view name, bool create_missing,
                              const EventEncoder& encoder) {
  const EventEncoder* const encoders[] = {&encoder};
  return publish_all(shard_index, name, create_missing, encoders);
}

PublishResult Broker::publish_all(std::size_t shard_index, std::string_view name, bool create_missing,
                                  std::span<const EventEncoder* const> encoders) {
  Shard& from = *shards_[shard_index];
  bool deliver_here = false;
  PublishResult result;
  for (;;) {
    TopicRef topic = find_or_create(name, create_missing, result.topic_limit_reached);
    if (!topic) return result;
    std::lock_guard lock(topic->mutex_);
    if (topic->deleted_) {
      if (create_missing) continue;
      return result;
    }
    std::uint64_t seq = topic->seq_.load(std::memory_order_relaxed);
    result.found = true;
    result.first_seq = seq + 1;
    result.seq = seq + encoders.size();
    for (const EventEncoder* encoder : encoders) append_event(from, *topic, ++seq, *encoder, deliver_here);
    topic->seq_.store(seq, std::memory_order_relaxed);
    break;
  }
  if (deliver_here) from.drain();
  return result;
}

void Broker::append_event(Shard& from, Topic& topic, std::uint64_t seq, const EventEncoder& encoder,
                          bool& deliver_here) {
  EventRef event = Event::make(TopicRef(&topic), seq, encoder.encode(from.scratch(), topic.name(), seq));
  // Every inbox gets the topic's events in seq order, this shard's own
  // included: an event another shard published just before may be in it.
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    if (!topic.has_subscribers_on(i)) continue;
    shards_[i]->push(Outbound::of_event(event));
    if (i == from.index()) {
      deliver_here = true;
    } else {
      from.handed_to(*shards_[i]);
    }
  }
  topic.history_.push(std::move(event));
}

}  // namespace pubsub::core
