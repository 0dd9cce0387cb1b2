// The broker's mirror mode (--engine redis): topics loaded from
// Valkey/Redis and kept up to date from their channels; see broker.h.
#include <algorithm>
#include <mutex>

#include "core/broker.h"

namespace pubsub::core {

bool Broker::mirror_load(std::size_t shard_index, std::string_view name, const Epoch& epoch, std::uint64_t seq,
                         std::span<const MirroredEvent> history) {
  TopicRef ended;
  TopicRef topic = Topic::make(name, options_.history_size, shards_.size(), epoch);
  {
    std::unique_lock lock(registry_mutex_);
    if (auto it = topics_.find(name); it != topics_.end()) {
      if (it->second->epoch() == epoch) return false;
      ended = std::move(it->second);
      topics_.erase(it);
    }
    // Nobody holds it yet: no lock is needed to fill it.
    Shard& from = *shards_[shard_index];
    bool deliver_here = false;
    for (const MirroredEvent& event : history) {
      if (event.seq == 0 || event.seq > seq) continue;
      append_event(from, *topic, event.seq, *event.encoder, deliver_here);
    }
    topic->seq_.store(seq, std::memory_order_relaxed);
    topics_.emplace(topic->name(), topic);
  }
  if (ended) end_topic(ended);
  return true;
}

MirrorOutcome Broker::mirror_event(std::size_t shard_index, std::string_view name, std::string_view epoch,
                                   std::uint64_t seq, const EventEncoder& encoder, std::uint64_t* mirror_seq) {
  TopicRef topic = find(name);
  if (!topic) return MirrorOutcome::not_loaded;
  if (topic->epoch().text() != epoch) return MirrorOutcome::other_life;
  Shard& from = *shards_[shard_index];
  bool deliver_here = false;
  MirrorOutcome outcome = MirrorOutcome::applied;
  {
    std::lock_guard lock(topic->mutex_);
    if (topic->deleted_) return MirrorOutcome::not_loaded;
    const std::uint64_t current = topic->seq_.load(std::memory_order_relaxed);
    if (seq <= current) {
      outcome = MirrorOutcome::duplicate;
    } else if (seq > current + 1) {
      outcome = MirrorOutcome::gap;
    } else {
      append_event(from, *topic, seq, encoder, deliver_here);
      topic->seq_.store(seq, std::memory_order_relaxed);
    }
    if (mirror_seq != nullptr) *mirror_seq = topic->seq_.load(std::memory_order_relaxed);
  }
  if (deliver_here) from.drain();
  return outcome;
}

std::uint64_t Broker::mirror_skip(std::string_view name, std::string_view epoch, std::uint64_t up_to) {
  TopicRef topic = find(name);
  if (!topic || topic->epoch().text() != epoch) return 0;
  std::vector<Shard*> to_wake;
  std::uint64_t missing = 0;
  {
    std::lock_guard lock(topic->mutex_);
    const std::uint64_t current = topic->seq_.load(std::memory_order_relaxed);
    if (topic->deleted_ || up_to <= current) return 0;
    missing = up_to - current;
    std::string frame;
    const std::string_view bytes = encoder_.dropped(frame, topic->name(), missing);
    for (std::size_t i = 0; i < shards_.size(); ++i) {
      if (!topic->has_subscribers_on(i)) continue;
      shards_[i]->push(new TopicNotice(topic, up_to, bytes));
      if (shards_[i]->schedule()) to_wake.push_back(shards_[i].get());
    }
    topic->seq_.store(up_to, std::memory_order_relaxed);
  }
  for (Shard* shard : to_wake) shard->wake();
  return missing;
}

bool Broker::mirror_end(std::string_view name, std::string_view epoch) {
  TopicRef topic;
  {
    std::unique_lock lock(registry_mutex_);
    auto it = topics_.find(name);
    if (it == topics_.end() || (!epoch.empty() && it->second->epoch().text() != epoch)) return false;
    topic = std::move(it->second);
    topics_.erase(it);
  }
  end_topic(topic);
  return true;
}

bool Broker::mirror_release(std::string_view name) {
  TopicRef topic;
  {
    std::unique_lock lock(registry_mutex_);
    auto it = topics_.find(name);
    if (it == topics_.end()) return false;
    std::lock_guard topic_lock(it->second->mutex_);
    // A subscribe holds the topic's mutex while it counts itself in: it
    // either counted before this check or finds the topic deleted.
    if (it->second->subscribers_.load(std::memory_order_relaxed) != 0) return false;
    it->second->deleted_ = true;
    it->second->history_.clear();
    topic = std::move(it->second);
    topics_.erase(it);
  }
  return true;
}

std::optional<std::pair<Epoch, std::uint64_t>> Broker::mirror_position(std::string_view name) const {
  TopicRef topic = find(name);
  if (!topic) return std::nullopt;
  return std::pair{topic->epoch(), topic->messages()};
}

}  // namespace pubsub::core
