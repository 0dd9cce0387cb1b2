// The shared state of topics in Valkey/Redis, for running several nodes as
// one (contract section 15): per topic the epoch, the seq and the history
// live in Valkey/Redis, and every change is one script that runs there
// atomically (engine/redis_scripts.h, laid out as engine/redis_schema.h
// says). Live events and deletions go out on the topic's channel for the
// nodes to receive with a redis::Subscriber; creations and deletions also
// on the lifecycle channel.
//
// Each call answers once through its handler with a StoreResult: the
// value, `not_found`, or `unavailable` when Valkey/Redis is down, the
// connection is lost before the answer, or no answer comes within the
// command timeout (redis::ConnectionOptions): a call never hangs. The
// calls made in one loop pass leave together, pipelined, and Valkey/Redis
// runs them in the order they were made.
//
// Owned by the io_context's thread: create, use and destroy it there (one
// thread runs that io_context), and destroy it before the io_context.
// Handlers are called on that thread, never from within the call that
// made the request; none is called once the store is destroyed.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/store_results.h"
#include "redis/client.h"

namespace pubsub::engine {

struct RedisStoreOptions {
  // Messages retained per topic (--history-size); 0 keeps none.
  std::size_t history_size = 100;
};

class RedisStore {
 public:
  RedisStore(boost::asio::io_context& io, redis::RedisUrl url, RedisStoreOptions options,
             redis::ConnectionOptions connection = {});
  RedisStore(const RedisStore&) = delete;
  RedisStore& operator=(const RedisStore&) = delete;

  // Told each change between up and down (set it before start()).
  void on_state(redis::StateHandler handler);
  // Starts connecting; calls answer `unavailable` until it is up.
  void start();
  bool up() const;
  // Why the last attempt failed or the connection was lost; empty while up.
  const std::string& last_error() const;

  // Every `topic` below must be a valid topic name (contract section 5).

  // Creates `topic` with a new epoch and seq 0: ok with that position, or
  // exists with the position it has.
  void create_topic(std::string_view topic, StoreHandler<TopicPosition> handler);
  // Deletes `topic` and its history: ok with the position it had, or
  // not_found. Its channel carries the deletion after its last event.
  void delete_topic(std::string_view topic, StoreHandler<TopicPosition> handler);
  // Publishes `messages` (at least one) on `topic` with consecutive seqs,
  // no other publish between them: ok with the seqs, or not_found (unless
  // `create_missing`: then the topic is created with a new epoch). Each
  // message is retained (the newest history_size) and goes out on the
  // topic's channel, all with the same ts, now.
  void publish(std::string_view topic, std::span<const OutgoingMessage> messages, bool create_missing,
               StoreHandler<PublishReceipt> handler);
  void publish(std::string_view topic, OutgoingMessage message, bool create_missing,
               StoreHandler<PublishReceipt> handler);
  // The topic's position and retained range, or not_found.
  void topic_info(std::string_view topic, StoreHandler<TopicInfo> handler);
  // The oldest `limit` retained messages with seq > `since_seq`, and the
  // topic's position read with them, or not_found.
  void history(std::string_view topic, std::uint64_t since_seq, std::size_t limit, StoreHandler<HistoryPage> handler);
  // The newest `n` retained messages (oldest first), and the topic's
  // position read with them, or not_found.
  void last_n(std::string_view topic, std::size_t n, StoreHandler<HistoryPage> handler);
  // Every topic with its epoch and seq, sorted by name (byte order): the
  // registry's names whose topic still exists, checked pipelined.
  void list_topics(StoreHandler<std::vector<TopicListing>> handler);

  // The connection every call goes through (its own commands, for tests
  // and diagnostics, are pipelined with the store's).
  redis::Client& client() { return client_; }

 private:
  // Runs `script` on `topic`'s keys with `args` as ARGV.
  void run_topic_script(const redis::Script& script, std::string_view topic, std::span<const std::string_view> args,
                        redis::ReplyHandler handler);
  // SADD / SREM `topic` in the registry; the answer is not awaited.
  void register_topic(std::string_view topic);
  void unregister_topic(std::string_view topic);

  redis::Client client_;
  const RedisStoreOptions options_;
};

}  // namespace pubsub::engine
