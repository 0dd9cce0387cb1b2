// Redis (or Valkey) pub/sub on an Asio io_context, on a hiredis connection
// of its own that keeps itself up (redis/connection.h: log in, reconnect
// with backoff). The caller says which channels it wants; the subscriber
// subscribes to each whenever it is connected, so after a reconnect every
// channel is subscribed again. Messages published while it was down are
// lost: each time a channel's subscription takes effect the subscribed
// handler hears of it, with `after_outage` set when the connection was lost
// since the channel's previous subscription took effect, so that the
// caller can look for what it missed.
//
// Owned by the io_context's thread: create, use and destroy it there (one
// thread runs that io_context), and destroy it before the io_context.
// Handlers are called on that thread, never from within subscribe() or
// unsubscribe(); a handler that throws is logged and ignored.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "redis/connection.h"
#include "redis/redis_url.h"

namespace pubsub::redis {

class SubscriberConnection;

// A message: its channel and its payload (any bytes), valid during the call.
using MessageHandler = std::function<void(std::string_view channel, std::string_view payload)>;
// A channel's subscription took effect: messages published to it from now
// on arrive. `after_outage`: the connection was lost since its previous
// subscription took effect, so messages of that time may be missing.
using SubscribedHandler = std::function<void(std::string_view channel, bool after_outage)>;

class Subscriber {
 public:
  // Only the command timeout and the backoff of `options` apply: they
  // bound logging in and each (un)subscription's confirmation.
  Subscriber(asio::io_context& io, RedisUrl url, ConnectionOptions options = {});
  // Drops the connection; no handler is called afterwards.
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  // Set the handlers before start().
  void on_state(StateHandler handler);
  void on_message(MessageHandler handler);
  void on_subscribed(SubscribedHandler handler);
  // Starts connecting.
  void start();

  // Wants `channel`'s messages from now on, across reconnects. Nothing if
  // it is wanted already.
  void subscribe(std::string_view channel);
  // Wants no more of `channel`'s messages: none is delivered after this
  // call, even those already on their way. Nothing if it was not wanted.
  void unsubscribe(std::string_view channel);

  bool up() const;
  // True while `channel`'s subscription is in effect on the connection.
  bool subscribed(std::string_view channel) const;
  // Why the last attempt failed or the connection was lost; empty while up.
  const std::string& last_error() const;

 private:
  std::shared_ptr<SubscriberConnection> connection_;
};

}  // namespace pubsub::redis
