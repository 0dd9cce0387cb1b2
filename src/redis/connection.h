// One connection to a Redis (or Valkey) server that keeps itself up; the
// common part of redis::Client and redis::Subscriber. It resolves the host
// without blocking, connects with hiredis (non-blocking), sends AUTH and
// SELECT as the URL says, and only then counts as up. When the connection
// fails or is lost it tries again after an exponential backoff with
// jitter, reporting each change between up and down.
//
// Commands sent with send() are answered in order; each must be answered
// within the command timeout, or the connection is dropped and made anew:
// Redis answers in order, so a late answer could not be told from the
// next one. Commands in flight when the connection goes get
// `unavailable`.
//
// The io_context's thread only (one thread runs it). Owned through a
// shared_ptr: its own timers, and the hiredis context while it lives, keep
// it alive; close() it before the io_context is destroyed.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "redis/backoff.h"
#include "redis/redis_url.h"
#include "redis/reply.h"

struct redisAsyncContext;  // hiredis
struct redisReply;

namespace pubsub::redis {

namespace asio = boost::asio;

struct ConnectionOptions {
  // How long a command may wait for its answer, and connecting plus
  // logging in for theirs.
  std::chrono::milliseconds command_timeout{2000};
  // The delays between attempts to connect (Backoff).
  std::chrono::milliseconds backoff_initial{50};
  std::chrono::milliseconds backoff_maximum{2000};
};

enum class LinkState : std::uint8_t { down, up };

// Told each change: `up` once connected and logged in (detail empty),
// `down` with why when the connection is lost. Failed attempts while down
// are not reported again (last_error() has the latest).
using StateHandler = std::function<void(LinkState state, std::string_view detail)>;
// Gets the reply to one command.
using ReplyHandler = std::function<void(Reply reply)>;

// A hiredis reply callback (redisCallbackFn).
using RawReplyCallback = void (*)(redisAsyncContext* context, void* reply, void* privdata);

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using clock = std::chrono::steady_clock;

  Connection(asio::io_context& io, RedisUrl url, ConnectionOptions options);
  virtual ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Replaces the state handler (set it before start()).
  void set_state_handler(StateHandler handler) { state_handler_ = std::move(handler); }
  // Starts connecting; only the first call does anything.
  void start();
  // Drops the connection and stops for good. No handler of this
  // connection (state, replies, messages) is called afterwards, not even
  // for the commands in flight. May be called from within a handler.
  void close();

  bool up() const { return logged_in_ && context_ != nullptr; }
  bool closed() const { return closed_; }
  // Why the last attempt failed or the connection was lost; empty while up.
  // Never holds the password.
  const std::string& last_error() const { return last_error_; }
  const RedisUrl& url() const { return url_; }
  const ConnectionOptions& options() const { return options_; }
  asio::io_context& io() const { return io_; }

 protected:
  // Sends a command answered in order: `handler` gets its reply, or
  // `unavailable` if the connection goes first. Returns false, leaving
  // `handler` as it was, when there is no live connection.
  bool send(std::span<const std::string_view> args, ReplyHandler& handler);
  // Sends a command whose answers hiredis routes by channel (SUBSCRIBE,
  // UNSUBSCRIBE) to `callback`, with `data` as privdata; false when there
  // is no live connection. The callback gets a null reply when the
  // connection goes (then call context_dying()).
  bool send_routed(std::span<const std::string_view> args, RawReplyCallback callback, void* data);
  // Makes sure the deadlines are checked by `deadline`.
  void watch(clock::time_point deadline);
  // Drops the connection (if any): commands in flight get `unavailable`
  // with `reason`; a new attempt follows after the backoff.
  void drop(std::string reason);
  // hiredis gave a null reply: `context` is being freed; send nothing more.
  void context_dying(redisAsyncContext* context);
  // Posts `handler` to get `unavailable` with `why` (never called inline).
  void post_unavailable(ReplyHandler handler, std::string why);
  // Why there is no connection, for `unavailable` replies.
  std::string unavailable_reason() const;

  // Calls a handler of the caller's, logging (not propagating) what it
  // throws: handlers run inside hiredis's C callbacks.
  template <typename Handler, typename... Args>
  static void call_guarded(Handler& handler, Args&&... args) {
    try {
      handler(std::forward<Args>(args)...);
    } catch (...) {
      log_handler_exception();
    }
  }

  // Logged in: the connection is up (the state handler is told next).
  virtual void on_up() {}
  // The connection is gone, or an attempt failed: this runs while hiredis
  // frees the context, before the state handler is told `down`.
  virtual void on_down() {}
  // The earliest deadline of what the subclass awaits besides send()'s
  // replies.
  virtual std::optional<clock::time_point> other_deadline() const { return std::nullopt; }

 private:
  struct Pending {
    ReplyHandler handler;
    clock::time_point deadline;
    std::uint64_t serial;
  };

  static void on_reply(redisAsyncContext* context, void* reply, void* privdata);
  static void log_handler_exception();

  void connect();
  void open(const std::string& address);
  void log_in();
  void logged_in_step(const Reply& reply, bool last);
  void take_reply(redisAsyncContext* context, redisReply* reply, std::uint64_t serial);
  void context_freed(redisAsyncContext* context);
  void attempt_failed(std::string reason);
  void schedule_attempt();
  void arm_watchdog(clock::time_point deadline);
  void check_deadlines();
  void report(LinkState state, std::string_view detail);

  asio::io_context& io_;
  const RedisUrl url_;
  const ConnectionOptions options_;
  Backoff backoff_;
  asio::ip::tcp::resolver resolver_;
  asio::steady_timer retry_timer_;
  asio::steady_timer watchdog_;
  StateHandler state_handler_;

  redisAsyncContext* context_ = nullptr;   // the live context: commands may be sent
  redisAsyncContext* attached_ = nullptr;  // the context until hiredis has freed it
  std::deque<Pending> pending_;            // commands sent with send(), oldest first
  std::uint64_t next_serial_ = 0;
  std::uint64_t attempts_ = 0;
  std::string loss_reason_;  // why the current context goes, once known
  std::string last_error_;
  bool started_ = false;
  bool closed_ = false;
  bool logged_in_ = false;     // the live context has logged in
  bool announced_up_ = false;  // the state handler was last told `up`
  bool watchdog_armed_ = false;
};

}  // namespace pubsub::redis
