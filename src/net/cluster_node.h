// A node's side of --engine redis for its subscribers (contract section
// 15): the live feed of the topics its connections hold (one EventFeed
// for the whole node, engine/event_feed.h) and the broker's mirror of
// those topics (core/broker.h, mirror mode), kept gap-free.
//
// - load(): a connection subscribes to a topic the mirror does not hold.
//   The node listens to the topic's channel, then reads its position and
//   history from Valkey/Redis and loads them (the events that arrive in
//   between are kept and applied after), then answers. The first load of
//   a topic does this; later ones wait for it or find it loaded.
// - Each event of the channel is encoded once for the node and handed to
//   the shards with subscribers, as a publish is in memory mode.
// - A gap (an event past the next seq, or the node's subscription to a
//   server coming back after an outage) is filled from the history in seq
//   order; what the history no longer holds reaches every subscriber as
//   the `dropped` info with the exact count. An event of another life of
//   the topic (Valkey/Redis lost its data) or the topic's deletion ends
//   the mirror: its subscribers get topic_deleted.
// - When a node's last subscription of a topic ends, it stops listening
//   to the topic and forgets it.
//
// Lives on the home shard (shard 0) and its thread: load() and unheld()
// may be called from any shard's thread (they post to the home shard);
// everything else runs on the home shard's thread. Created before the
// shards run; started on the home shard's thread; destroyed after the
// shards' threads have stopped, before their io_contexts.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/string_hash.h"
#include "engine/event_feed.h"
#include "engine/store_results.h"
#include "net/link_states.h"
#include "net/shared_topics_link.h"

namespace pubsub::core {
class Broker;
}

namespace pubsub::engine {
class StoreRing;
}

namespace pubsub::net {

// The answer to a load: ok (the mirror holds the topic now), not_found,
// or unavailable.
using LoadHandler = std::function<void(engine::StoreStatus status)>;

class ClusterNode {
 public:
  // `home_io` is the home shard's io_context and `store` its StoreRing;
  // `home_shard` is its broker shard's index.
  ClusterNode(core::Broker& broker, boost::asio::io_context& home_io, std::size_t home_shard, engine::StoreRing& store,
              std::vector<redis::RedisUrl> urls, std::size_t history_size);
  ~ClusterNode();
  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;

  // Starts the feed. Home thread (or before the home shard runs).
  void start();

  // --- any thread ---

  // Makes sure the mirror holds `topic` (creating the topic in Valkey/Redis
  // first if `create_missing`); then posts `done` to `reply_io`.
  void load(std::string topic, bool create_missing, boost::asio::io_context& reply_io, LoadHandler done);
  // The node's last subscription of `topic` ended (BrokerOptions::on_unheld).
  void unheld(std::string_view topic);
  // Whether the live feed's connection to each server is up (GET /health).
  const LinkStates& feed_states() const { return feed_states_; }

 private:
  struct Waiter {
    boost::asio::io_context* io;
    LoadHandler done;
  };
  // A topic being loaded: who waits, and the events that came meanwhile.
  struct Loading {
    std::shared_ptr<boost::asio::steady_timer> deadline;  // answers unavailable past kLoadTimeout
    std::vector<Waiter> waiters;
    std::vector<engine::StoredMessage> early;
    std::string early_epoch;
  };
  // A topic whose gap is being filled from its history, and the events
  // that came meanwhile.
  struct Filling {
    std::string epoch;
    std::vector<engine::StoredMessage> later;
  };

  void start_load(const std::string& topic, bool create_missing, Waiter waiter);
  void watch(const std::string& topic);
  // Listening to `topic` has taken effect: reads its history and loads it.
  void read_and_load(const std::string& topic);
  void finish_load(const std::string& topic, engine::StoreStatus status);
  void release(const std::string& topic);
  void take_event(const engine::ChannelEvent& event);
  // Applies one event of a loaded topic; starts a fill on a gap.
  void apply(std::string_view topic, std::string_view epoch, const engine::StoredMessage& message);
  // Fills `topic`'s mirror from its history, after the mirror's seq.
  void fill(const std::string& topic, const std::string& epoch);
  void retry_fill_later(const std::string& topic);
  void end_mirror(const std::string& topic, std::string_view epoch);

  core::Broker& broker_;
  boost::asio::io_context& home_io_;
  const std::size_t home_shard_;
  engine::StoreRing& store_;
  const std::size_t history_size_;
  engine::EventFeed feed_;
  LinkStates feed_states_;
  std::unordered_map<std::string, Loading, StringHash, std::equal_to<>> loading_;
  std::unordered_map<std::string, Filling, StringHash, std::equal_to<>> filling_;
  std::unordered_set<std::string, StringHash, std::equal_to<>> watched_;  // one feed watch each
  // Posted handlers hold it weakly: they do nothing once the node is gone.
  std::shared_ptr<ClusterNode*> alive_;
};

// What one shard's WebSocket connections ask of the shared topics: its
// publishes and lookups go through the shard's own StoreRing, its loads to
// the node. The shard's thread only.
class ShardTopicsLink final : public SharedTopicsLink {
 public:
  ShardTopicsLink(engine::StoreRing& store, ClusterNode& node, boost::asio::io_context& io)
      : store_(store), node_(node), io_(io) {}

  void publish(std::string_view topic, std::string_view id_raw, std::string_view payload_raw, bool create_missing,
               PublishHandler handler) override;
  void load(std::string_view topic, bool create_missing, StatusHandler handler) override;
  void find(std::string_view topic, StatusHandler handler) override;

 private:
  engine::StoreRing& store_;
  ClusterNode& node_;
  boost::asio::io_context& io_;
};

}  // namespace pubsub::net
