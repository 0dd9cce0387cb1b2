// The live feed of a node; see event_feed.h.
#include "engine/event_feed.h"

#include <boost/asio/post.hpp>
#include <cassert>
#include <exception>

#include "common/log.h"
#include "engine/jump_hash.h"
#include "engine/redis_schema.h"
#include "protocol/messages.h"

namespace pubsub::engine {
namespace {

constexpr std::chrono::seconds kMalformedLogInterval{10};

}  // namespace

EventFeed::EventFeed(boost::asio::io_context& io, std::span<const redis::RedisUrl> urls,
                     redis::ConnectionOptions connection)
    : io_(io), alive_(std::make_shared<EventFeed*>(this)) {
  assert(!urls.empty());
  servers_.reserve(urls.size());
  for (std::size_t server = 0; server < urls.size(); ++server) {
    servers_.push_back(std::make_unique<Server>(io, urls[server], connection));
    redis::Subscriber& subscriber = servers_.back()->subscriber;
    subscriber.on_message(
        [this, server](std::string_view channel, std::string_view bytes) { take_message(server, channel, bytes); });
    subscriber.on_subscribed(
        [this, server](std::string_view channel, bool /*after_outage*/) { take_subscribed(server, channel); });
  }
}

// Posted reports find alive_ gone; the subscribers call no handler once
// destroyed, and go before the rest (which their handlers use).
EventFeed::~EventFeed() {
  alive_.reset();
  servers_.clear();
}

void EventFeed::on_event(ChannelEventHandler handler) { event_handler_ = std::move(handler); }

void EventFeed::on_ready(TopicReadyHandler handler) { ready_handler_ = std::move(handler); }

void EventFeed::on_resubscribed(ResubscribedHandler handler) { resubscribed_handler_ = std::move(handler); }

void EventFeed::on_state(RingStateHandler handler) {
  auto shared = std::make_shared<RingStateHandler>(std::move(handler));
  for (std::size_t server = 0; server < servers_.size(); ++server) {
    servers_[server]->subscriber.on_state(
        [shared, server](redis::LinkState state, std::string_view detail) { (*shared)(server, state, detail); });
  }
}

void EventFeed::start() {
  for (const auto& server : servers_) server->subscriber.start();
}

std::size_t EventFeed::server_of(std::string_view topic) const { return server_of_topic(topic, servers_.size()); }

bool EventFeed::up() const {
  for (const auto& server : servers_) {
    if (!server->subscriber.up()) return false;
  }
  return true;
}

void EventFeed::watch(std::string_view topic) {
  assert(protocol::is_valid_topic_name(topic));
  auto found = watches_.find(topic);
  if (found == watches_.end()) found = watches_.emplace(std::string(topic), Watch{}).first;
  if (++found->second.holders > 1) return;
  servers_[server_of(topic)]->subscriber.subscribe(events_channel(topic));
}

void EventFeed::unwatch(std::string_view topic) {
  const auto found = watches_.find(topic);
  assert(found != watches_.end() && "unwatch of a topic that is not watched");
  if (found == watches_.end()) return;
  if (--found->second.holders > 0) return;
  watches_.erase(found);
  servers_[server_of(topic)]->subscriber.unsubscribe(events_channel(topic));
}

std::size_t EventFeed::watchers(std::string_view topic) const {
  const auto found = watches_.find(topic);
  return found == watches_.end() ? 0 : found->second.holders;
}

bool EventFeed::ready(std::string_view topic) const {
  if (!watches_.contains(topic)) return false;
  return servers_[server_of(topic)]->subscriber.subscribed(events_channel(topic));
}

// Called by the server's subscriber for each message of a channel in
// effect (so of a watched topic).
void EventFeed::take_message(std::size_t server, std::string_view channel, std::string_view bytes) {
  // Resubscriptions confirmed before this message are reported before it.
  if (!servers_[server]->resubscribed.empty()) report_resubscribed(server);
  const ChannelDecode decoded = decode_channel_event(channel, bytes);
  if (!decoded.event) {
    skip_malformed(channel, decoded.error);
    return;
  }
  if (event_handler_) event_handler_(*decoded.event);
}

// Called by the server's subscriber each time a watched topic's
// subscription takes effect: the first time in a watch, the topic is
// ready; any later time, the connection was lost in between.
void EventFeed::take_subscribed(std::size_t server, std::string_view channel) {
  const auto topic = topic_of_events_channel(channel);
  if (!topic) return;
  const auto found = watches_.find(*topic);
  if (found == watches_.end()) return;
  if (!found->second.took_effect) {
    found->second.took_effect = true;
    if (ready_handler_) ready_handler_(*topic);
    return;
  }
  Server& state = *servers_[server];
  state.resubscribed.emplace_back(*topic);
  if (state.report_posted) return;
  state.report_posted = true;
  // After the confirmations that arrived together, in one report.
  boost::asio::post(io_, [alive = std::weak_ptr<EventFeed*>(alive_), server] {
    const auto feed = alive.lock();
    if (!feed) return;
    (*feed)->servers_[server]->report_posted = false;
    (*feed)->report_resubscribed(server);
  });
}

// Also called from take_message: what the handler throws is logged here,
// so that the event that follows is handed on all the same.
void EventFeed::report_resubscribed(std::size_t server) {
  std::vector<std::string> topics = std::move(servers_[server]->resubscribed);
  servers_[server]->resubscribed.clear();
  std::erase_if(topics, [this](const std::string& topic) { return !watches_.contains(topic); });
  if (topics.empty() || !resubscribed_handler_) return;
  try {
    resubscribed_handler_(server, topics);
  } catch (const std::exception& failure) {
    log::error("event feed: the resubscribed handler threw", {{"error", failure.what()}});
  } catch (...) {
    log::error("event feed: the resubscribed handler threw");
  }
}

void EventFeed::skip_malformed(std::string_view channel, std::string_view error) {
  ++malformed_;
  ++malformed_unlogged_;
  const auto now = std::chrono::steady_clock::now();
  if (malformed_logged_ && now - malformed_logged_at_ < kMalformedLogInterval) return;
  log::warn("event feed: skipped a message that does not decode",
            {{"channel", channel}, {"error", error}, {"skipped", malformed_unlogged_}});
  malformed_logged_ = true;
  malformed_logged_at_ = now;
  malformed_unlogged_ = 0;
}

}  // namespace pubsub::engine
