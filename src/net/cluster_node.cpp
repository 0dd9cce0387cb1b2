// The node's mirror of the topics it holds, kept from their channels; see
// cluster_node.h.
#include "net/cluster_node.h"

#include <boost/asio/post.hpp>
#include <chrono>
#include <limits>

#include "common/log.h"
#include "core/broker.h"
#include "engine/store_ring.h"
#include "net/broker_frames.h"

namespace pubsub::net {
namespace {

namespace asio = boost::asio;

// How long a load may take before its subscribers are answered
// UNAVAILABLE (the feed's subscription or a read did not come through).
constexpr auto kLoadTimeout = std::chrono::seconds(5);
// How long a fill that found Valkey/Redis unreachable waits to try again.
constexpr auto kFillRetry = std::chrono::milliseconds(250);

engine::StoredMessage copy_of(const engine::ChannelEvent& event) {
  return {event.seq, std::string(event.id), std::string(event.payload), std::string(event.ts)};
}

}  // namespace

ClusterNode::ClusterNode(core::Broker& broker, asio::io_context& home_io, std::size_t home_shard,
                         engine::StoreRing& store, std::vector<redis::RedisUrl> urls, std::size_t history_size)
    : broker_(broker),
      home_io_(home_io),
      home_shard_(home_shard),
      store_(store),
      history_size_(history_size),
      feed_(home_io, urls),
      feed_states_(urls.size(), "not connected yet"),
      alive_(std::make_shared<ClusterNode*>(this)) {
  feed_.on_event([this](const engine::ChannelEvent& event) { take_event(event); });
  feed_.on_ready([this](std::string_view topic) {
    if (loading_.contains(topic)) read_and_load(std::string(topic));
  });
  feed_.on_resubscribed([this](std::size_t, std::span<const std::string> topics) {
    for (const std::string& topic : topics) {
      if (loading_.contains(topic)) {
        read_and_load(topic);  // its first read may have failed with the connection
      } else if (auto position = broker_.mirror_position(topic)) {
        fill(topic, std::string(position->first.text()));
      }
    }
  });
  feed_.on_state([this](std::size_t server, redis::LinkState state, std::string_view detail) {
    feed_states_.set(server, state == redis::LinkState::up, detail);
    if (state == redis::LinkState::up) {
      log::info("live feed connected", {{"server", static_cast<std::uint64_t>(server)}});
    } else {
      log::warn("live feed lost its connection; reconnecting",
                {{"server", static_cast<std::uint64_t>(server)}, {"detail", detail}});
    }
  });
}

ClusterNode::~ClusterNode() { alive_.reset(); }

void ClusterNode::start() { feed_.start(); }

// ------------------------------------------------------------------ loading

void ClusterNode::load(std::string topic, bool create_missing, asio::io_context& reply_io, LoadHandler done) {
  asio::post(home_io_, [alive = std::weak_ptr<ClusterNode*>(alive_), topic = std::move(topic), create_missing,
                        waiter = Waiter{&reply_io, std::move(done)}]() mutable {
    if (auto node = alive.lock()) (*node)->start_load(topic, create_missing, std::move(waiter));
  });
}

void ClusterNode::start_load(const std::string& topic, bool create_missing, Waiter waiter) {
  if (auto it = loading_.find(topic); it != loading_.end()) {
    it->second.waiters.push_back(std::move(waiter));
    return;
  }
  if (watched_.contains(topic) && broker_.mirror_position(topic)) {
    asio::post(*waiter.io, [done = std::move(waiter.done)] { done(engine::StoreStatus::ok); });
    return;
  }
  // The topic's server is out of reach: no need to wait for it.
  if (!feed_.up(feed_.server_of(topic)) || !store_.up(store_.server_of(topic))) {
    asio::post(*waiter.io, [done = std::move(waiter.done)] { done(engine::StoreStatus::unavailable); });
    return;
  }
  Loading& loading = loading_[topic];
  loading.waiters.push_back(std::move(waiter));
  loading.deadline = std::make_shared<asio::steady_timer>(home_io_, kLoadTimeout);
  loading.deadline->async_wait(
      [this, topic, alive = std::weak_ptr<ClusterNode*>(alive_),
       timer = std::weak_ptr<asio::steady_timer>(loading.deadline)](boost::system::error_code ec) {
        if (ec || !alive.lock()) return;
        // Only this load's deadline: a later load of the topic has its own.
        auto it = loading_.find(topic);
        if (it != loading_.end() && it->second.deadline == timer.lock())
          finish_load(topic, engine::StoreStatus::unavailable);
      });
  if (!create_missing) return watch(topic);
  store_.create_topic(topic, [this, topic](engine::StoreResult<engine::TopicPosition> created) {
    if (created.status == engine::StoreStatus::unavailable) return finish_load(topic, created.status);
    watch(topic);
  });
}

void ClusterNode::watch(const std::string& topic) {
  if (watched_.insert(topic).second) feed_.watch(topic);
  if (feed_.ready(topic)) read_and_load(topic);
  // Otherwise the feed's ready report reads it.
}

void ClusterNode::read_and_load(const std::string& topic) {
  store_.last_n(topic, history_size_, [this, topic](engine::StoreResult<engine::HistoryPage> read) {
    auto it = loading_.find(topic);
    if (it == loading_.end()) return;
    if (!read.ok()) return finish_load(topic, read.status);
    const std::optional<core::Epoch> epoch = core::Epoch::parse(read.value.topic.epoch);
    if (!epoch) return finish_load(topic, engine::StoreStatus::unavailable);
    std::vector<PublishEncoder> encoders;
    encoders.reserve(read.value.messages.size());
    std::vector<core::MirroredEvent> history;
    history.reserve(read.value.messages.size());
    for (const engine::StoredMessage& message : read.value.messages) {
      encoders.emplace_back(message.id, message.payload, message.ts);
      history.push_back({message.seq, &encoders.back()});
    }
    broker_.mirror_load(home_shard_, topic, *epoch, read.value.topic.seq, history);
    // Events that came while the history was read: those past it follow.
    std::vector<engine::StoredMessage> early = std::move(it->second.early);
    const std::string early_epoch = std::move(it->second.early_epoch);
    finish_load(topic, engine::StoreStatus::ok);
    for (const engine::StoredMessage& message : early) apply(topic, early_epoch, message);
  });
}

void ClusterNode::finish_load(const std::string& topic, engine::StoreStatus status) {
  auto it = loading_.find(topic);
  if (it == loading_.end()) return;
  std::vector<Waiter> waiters = std::move(it->second.waiters);
  it->second.deadline->cancel();
  loading_.erase(it);
  if (status != engine::StoreStatus::ok) release(topic);
  for (Waiter& waiter : waiters) {
    asio::post(*waiter.io, [done = std::move(waiter.done), status] { done(status); });
  }
}

// ------------------------------------------------------------------ releasing

void ClusterNode::unheld(std::string_view topic) {
  asio::post(home_io_, [alive = std::weak_ptr<ClusterNode*>(alive_), topic = std::string(topic)] {
    auto node = alive.lock();
    if (!node) return;
    ClusterNode& self = **node;
    if (self.loading_.contains(topic)) return;  // held again soon
    // Still mirrored and held again meanwhile: keep listening.
    if (self.broker_.mirror_position(topic) && !self.broker_.mirror_release(topic)) return;
    self.release(topic);
  });
}

void ClusterNode::release(const std::string& topic) {
  if (watched_.erase(topic) > 0) feed_.unwatch(topic);
  filling_.erase(topic);
}

// ------------------------------------------------------------------ live events

void ClusterNode::take_event(const engine::ChannelEvent& event) {
  const std::string_view topic = event.topic;
  if (event.kind == engine::ChannelEventKind::deleted) {
    if (auto it = loading_.find(topic); it != loading_.end()) {
      it->second.early.clear();  // that life is over; the read tells what follows
      return;
    }
    return end_mirror(std::string(topic), event.epoch);
  }
  if (auto it = loading_.find(topic); it != loading_.end()) {
    if (it->second.early_epoch != event.epoch) {
      it->second.early.clear();
      it->second.early_epoch = std::string(event.epoch);
    }
    it->second.early.push_back(copy_of(event));
    return;
  }
  if (auto it = filling_.find(topic); it != filling_.end()) {
    it->second.later.push_back(copy_of(event));
    return;
  }
  apply(topic, event.epoch, copy_of(event));
}

void ClusterNode::apply(std::string_view topic, std::string_view epoch, const engine::StoredMessage& message) {
  const PublishEncoder encoder(message.id, message.payload, message.ts);
  std::uint64_t mirror_seq = 0;
  switch (broker_.mirror_event(home_shard_, topic, epoch, message.seq, encoder, &mirror_seq)) {
    case core::MirrorOutcome::applied:
    case core::MirrorOutcome::duplicate:
    case core::MirrorOutcome::not_loaded: return;
    case core::MirrorOutcome::other_life:
      // Its life ended without a word (Valkey/Redis lost its data).
      return end_mirror(std::string(topic), {});
    case core::MirrorOutcome::gap: {
      const std::string name(topic);
      filling_[name].later.push_back(message);
      return fill(name, std::string(epoch));
    }
  }
}

void ClusterNode::fill(const std::string& topic, const std::string& epoch) {
  Filling& filling = filling_[topic];
  filling.epoch = epoch;
  const std::optional<std::pair<core::Epoch, std::uint64_t>> position = broker_.mirror_position(topic);
  if (!position || position->first.text() != epoch) {
    filling_.erase(topic);
    return;
  }
  const std::uint64_t after = position->second;
  store_.history(topic, after, std::numeric_limits<std::size_t>::max(),
                 [this, topic, epoch, after](engine::StoreResult<engine::HistoryPage> read) {
                   auto it = filling_.find(topic);
                   if (it == filling_.end()) return;
                   if (read.status == engine::StoreStatus::unavailable) return retry_fill_later(topic);
                   // Gone, of another life, or behind the mirror (Valkey/Redis
                   // came back from an older snapshot): this life as the
                   // mirror knew it is over.
                   if (read.status == engine::StoreStatus::not_found || read.value.topic.epoch != epoch ||
                       read.value.topic.seq < after) {
                     filling_.erase(it);
                     return end_mirror(topic, epoch);
                   }
                   // What the history no longer holds is announced, then
                   // the rest follows in seq order.
                   const engine::HistoryPage& page = read.value;
                   const std::uint64_t first = page.messages.empty() ? page.topic.seq + 1 : page.messages.front().seq;
                   if (first > after + 1) broker_.mirror_skip(topic, epoch, first - 1);
                   std::vector<engine::StoredMessage> later = std::move(it->second.later);
                   filling_.erase(it);
                   for (const engine::StoredMessage& message : page.messages) apply(topic, epoch, message);
                   for (const engine::StoredMessage& message : later) {
                     if (auto again = filling_.find(topic); again != filling_.end()) {
                       again->second.later.push_back(message);  // a new gap is being filled
                     } else {
                       apply(topic, epoch, message);
                     }
                   }
                 });
}

void ClusterNode::retry_fill_later(const std::string& topic) {
  auto timer = std::make_shared<asio::steady_timer>(home_io_, kFillRetry);
  timer->async_wait([this, timer, topic, alive = std::weak_ptr<ClusterNode*>(alive_)](boost::system::error_code ec) {
    if (ec || !alive.lock()) return;
    auto it = filling_.find(topic);
    if (it != filling_.end()) fill(topic, it->second.epoch);
  });
}

void ClusterNode::end_mirror(const std::string& topic, std::string_view epoch) {
  filling_.erase(topic);
  // Its subscribers get topic_deleted. The node stops listening now: a
  // subscriber of a later life loads it anew.
  if (broker_.mirror_end(topic, epoch) && !loading_.contains(topic)) release(topic);
}

// ------------------------------------------------------------------ a shard's link

void ShardTopicsLink::publish(std::string_view topic, std::string_view id_raw, std::string_view payload_raw,
                              bool create_missing, PublishHandler handler) {
  store_.publish(topic, engine::OutgoingMessage{id_raw, payload_raw}, create_missing, std::move(handler));
}

void ShardTopicsLink::load(std::string_view topic, bool create_missing, StatusHandler handler) {
  node_.load(std::string(topic), create_missing, io_, std::move(handler));
}

void ShardTopicsLink::find(std::string_view topic, StatusHandler handler) {
  store_.topic_info(
      topic, [handler = std::move(handler)](engine::StoreResult<engine::TopicInfo> info) { handler(info.status); });
}

}  // namespace pubsub::net
