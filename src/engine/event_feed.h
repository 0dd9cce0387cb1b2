// The live feed of a node (contract section 15): the events and deletions
// of the topics that the node's own connections hold, received from the
// Valkey/Redis servers of the ring (engine/store_ring.h) and handed to the
// node typed (engine/channel_event.h).
//
// One redis::Subscriber per server, each on its own connection. A node
// listens only to the topics it needs: watch(T) and unwatch(T) count the
// holders of T, the first watch subscribes `pubsub:{T}:events` on T's
// server (the one engine/jump_hash.h chooses, as the ring does) and the
// last unwatch unsubscribes. Nothing published before a subscription takes
// effect arrives, so the feed says when it does:
//
// - ready(T): the first subscription of a watch took effect; everything
//   published to T from now on arrives. A caller reads the topic's
//   position or history after this, not before, to miss nothing.
// - resubscribed(server, topics): the server's connection was lost and is
//   back, and these watched topics are subscribed again. What they
//   published meanwhile did not arrive: the caller fills the gap from the
//   history. Reported before any later event of that server, in one or
//   more calls per reconnection.
//
// A message that does not decode (another program publishing on the
// channel, a newer layout) is skipped and counted; the first one is
// logged, then at most one line per 10 seconds with the count since.
//
// Owned by the io_context's thread: create, use and destroy it there (one
// thread runs that io_context), and destroy it before the io_context.
// Handlers are called on that thread, never from within watch() or
// unwatch(), and none once the feed is destroyed; a handler that throws is
// logged and ignored.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/string_hash.h"
#include "engine/channel_event.h"
#include "engine/store_ring.h"
#include "redis/connection.h"
#include "redis/redis_url.h"
#include "redis/subscriber.h"

namespace pubsub::engine {

// An event or a deletion of a watched topic; its views are valid during
// the call only.
using ChannelEventHandler = std::function<void(const ChannelEvent& event)>;
// The first subscription of a watch of `topic` took effect.
using TopicReadyHandler = std::function<void(std::string_view topic)>;
// After server `server`'s connection came back, `topics` (watched, on that
// server) are subscribed again; their events of the outage are missing.
using ResubscribedHandler = std::function<void(std::size_t server, std::span<const std::string> topics)>;

class EventFeed {
 public:
  // One subscriber per URL: the ring's URLs, in the ring's order.
  EventFeed(boost::asio::io_context& io, std::span<const redis::RedisUrl> urls,
            redis::ConnectionOptions connection = {});
  ~EventFeed();
  EventFeed(const EventFeed&) = delete;
  EventFeed& operator=(const EventFeed&) = delete;

  // Set the handlers before start().
  void on_event(ChannelEventHandler handler);
  void on_ready(TopicReadyHandler handler);
  void on_resubscribed(ResubscribedHandler handler);
  void on_state(RingStateHandler handler);
  // Starts connecting to every server.
  void start();

  // One more holder of `topic` (a valid topic name); the first subscribes
  // its channel, now or once its server is up.
  void watch(std::string_view topic);
  // One holder fewer; the last unsubscribes its channel, and no event of
  // `topic` is handed on after this call, even one already on its way.
  // Unwatching a topic that is not watched is a programming error.
  void unwatch(std::string_view topic);

  // How many holders `topic` has (0: not watched).
  std::size_t watchers(std::string_view topic) const;
  // True while `topic` is watched and its subscription is in effect.
  bool ready(std::string_view topic) const;
  // Topics watched.
  std::size_t watched_topics() const { return watches_.size(); }
  // Messages skipped because they did not decode.
  std::uint64_t malformed() const { return malformed_; }

  std::size_t size() const { return servers_.size(); }
  std::size_t server_of(std::string_view topic) const;
  // True while every server's connection is up.
  bool up() const;
  bool up(std::size_t server) const { return servers_.at(server)->subscriber.up(); }
  const std::string& last_error(std::size_t server) const { return servers_.at(server)->subscriber.last_error(); }

 private:
  struct Server {
    Server(boost::asio::io_context& io, const redis::RedisUrl& url, redis::ConnectionOptions connection)
        : subscriber(io, url, connection) {}
    redis::Subscriber subscriber;
    std::vector<std::string> resubscribed;  // to report, in confirmation order
    bool report_posted = false;
  };
  struct Watch {
    std::size_t holders = 0;
    bool took_effect = false;  // a subscription took effect during this watch
  };

  void take_message(std::size_t server, std::string_view channel, std::string_view bytes);
  void take_subscribed(std::size_t server, std::string_view channel);
  // Reports the server's resubscribed topics that are still watched.
  void report_resubscribed(std::size_t server);
  void skip_malformed(std::string_view channel, std::string_view error);

  boost::asio::io_context& io_;
  std::vector<std::unique_ptr<Server>> servers_;
  std::unordered_map<std::string, Watch, StringHash, std::equal_to<>> watches_;
  ChannelEventHandler event_handler_;
  TopicReadyHandler ready_handler_;
  ResubscribedHandler resubscribed_handler_;
  std::uint64_t malformed_ = 0;
  std::uint64_t malformed_unlogged_ = 0;
  std::chrono::steady_clock::time_point malformed_logged_at_{};
  bool malformed_logged_ = false;
  // Posted reports hold it weakly: they do nothing once the feed is gone.
  std::shared_ptr<EventFeed*> alive_;
};

}  // namespace pubsub::engine
