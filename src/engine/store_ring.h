// Topics spread over several Valkey/Redis servers (`--redis-url` given
// more than once): each topic lives, whole, on one server, the one that
// engine/jump_hash.h chooses from its name, and every call about a topic
// goes to that server's RedisStore. Nothing about one topic ever needs two
// servers, so each keeps its scripts atomic and its seqs in order, and
// adding servers adds capacity: a server holds about 1/N of the topics and
// carries their traffic.
//
// Every node must be given the same servers in the same order: that order
// is the placement. A server is added at the end of the list; the topics
// that jump hash then moves (about 1/(N + 1) of them, all to the new
// server) start a new life there, and what they had on their old server
// is no longer reached (listing skips it). No two entries may name the
// same server and database; one server named in two ways (a name and its
// address) cannot be told apart and must be avoided.
//
// Calls answer as RedisStore's do (engine/redis_store.h): once, through
// the handler, on the io_context's thread, never from within the call;
// `unavailable` when the topic's server is down, whatever the others do.
//
// Owned by the io_context's thread: create, use and destroy it there (one
// thread runs that io_context), and destroy it before the io_context. No
// handler is called once the ring is destroyed.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/redis_store.h"
#include "engine/store_results.h"
#include "redis/connection.h"
#include "redis/redis_url.h"

namespace pubsub::engine {

// Told each change of one server's connection: the server's index in the
// list, and what redis::StateHandler is told.
using RingStateHandler = std::function<void(std::size_t server, redis::LinkState state, std::string_view detail)>;

class StoreRing {
 public:
  // One RedisStore per URL, in that order. Throws std::invalid_argument if
  // `urls` is empty or two of them name the same host, port and database.
  StoreRing(boost::asio::io_context& io, std::vector<redis::RedisUrl> urls, RedisStoreOptions options,
            redis::ConnectionOptions connection = {});
  StoreRing(const StoreRing&) = delete;
  StoreRing& operator=(const StoreRing&) = delete;

  // Set it before start().
  void on_state(RingStateHandler handler);
  // Starts connecting to every server.
  void start();

  // The servers, in placement order.
  std::size_t size() const { return stores_.size(); }
  const std::vector<redis::RedisUrl>& urls() const { return urls_; }
  // The index of the server that keeps `topic`.
  std::size_t server_of(std::string_view topic) const;
  // The store of server `server` (< size()), and the one that keeps `topic`.
  RedisStore& store(std::size_t server) { return *stores_.at(server); }
  RedisStore& store_of(std::string_view topic) { return *stores_[server_of(topic)]; }

  // True while every server is up (a topic's calls need only its own).
  bool up() const;
  bool up(std::size_t server) const { return stores_.at(server)->up(); }
  std::size_t servers_up() const;
  // Why server `server`'s last attempt failed or its connection was lost;
  // empty while it is up.
  const std::string& last_error(std::size_t server) const { return stores_.at(server)->last_error(); }

  // RedisStore's calls, on the topic's server; see redis_store.h.
  void create_topic(std::string_view topic, StoreHandler<TopicPosition> handler);
  void delete_topic(std::string_view topic, StoreHandler<TopicPosition> handler);
  void publish(std::string_view topic, std::span<const OutgoingMessage> messages, bool create_missing,
               StoreHandler<PublishReceipt> handler);
  void publish(std::string_view topic, OutgoingMessage message, bool create_missing,
               StoreHandler<PublishReceipt> handler);
  void topic_info(std::string_view topic, StoreHandler<TopicInfo> handler);
  void history(std::string_view topic, std::uint64_t since_seq, std::size_t limit, StoreHandler<HistoryPage> handler);
  void last_n(std::string_view topic, std::size_t n, StoreHandler<HistoryPage> handler);

  // Every topic of every server with its epoch and seq, sorted by name
  // (byte order). Skips a topic found on a server that is not its own (left
  // there by a shorter list of servers). `unavailable` as soon as one
  // server answers so: a partial list would hide topics.
  void list_topics(StoreHandler<std::vector<TopicListing>> handler);

 private:
  std::vector<redis::RedisUrl> urls_;
  std::vector<std::unique_ptr<RedisStore>> stores_;
};

}  // namespace pubsub::engine
