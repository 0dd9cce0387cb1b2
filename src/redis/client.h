// A Redis (or Valkey) client for commands on an Asio io_context, on one
// hiredis connection that keeps itself up (redis/connection.h: log in,
// reconnect with backoff, command timeout). Commands are binary-safe
// argument lists; the commands sent in one loop pass leave together,
// pipelined, and are answered in order. It never blocks and never waits
// for the connection: while it is down a command fails at once (in the
// next loop pass) with `unavailable`.
//
// Scripts run with EVALSHA: SCRIPT LOAD goes out, pipelined, before a
// script's first call on each connection, and a NOSCRIPT answer (a server
// restarted empty, SCRIPT FLUSH) is retried once with EVAL.
//
// Pub/sub commands are refused here: redis::Subscriber has a connection
// of its own for them.
//
// Owned by the io_context's thread: create, use and destroy it there (one
// thread runs that io_context), and destroy it before the io_context.
// Handlers are called on that thread, never from within the call that
// sent the command; a handler that throws is logged and ignored.
#pragma once

#include <boost/asio/io_context.hpp>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "redis/connection.h"
#include "redis/redis_url.h"
#include "redis/reply.h"
#include "redis/script.h"

namespace pubsub::redis {

class ClientConnection;

class Client {
 public:
  Client(asio::io_context& io, RedisUrl url, ConnectionOptions options = {});
  // Drops the connection. Handlers of commands still in flight are
  // destroyed without being called.
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Told each change between up and down (set it before start()).
  void on_state(StateHandler handler);
  // Starts connecting; commands fail with `unavailable` until it is up.
  void start();

  bool up() const;
  // Why the last attempt failed or the connection was lost; empty while up.
  const std::string& last_error() const;

  // Sends `args` (the command's name, then its arguments; any bytes) and
  // calls `handler` once with the reply, an error reply (a refused
  // command, an empty one), or `unavailable`: no connection, the
  // connection was lost before the answer, or no answer within the
  // command timeout (then the connection is dropped and made anew).
  // `args` need only live during the call.
  void command(std::span<const std::string_view> args, ReplyHandler handler);
  void command(std::initializer_list<std::string_view> args, ReplyHandler handler);

  // Runs `script` with `keys` (KEYS) and `args` (ARGV) as EVALSHA does;
  // `handler` gets the script's reply, as command() says.
  void run_script(const Script& script, std::span<const std::string_view> keys, std::span<const std::string_view> args,
                  ReplyHandler handler);

 private:
  std::shared_ptr<ClientConnection> connection_;
};

}  // namespace pubsub::redis
