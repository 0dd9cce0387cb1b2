// The REST answers with --engine redis (contract section 15), made from
// what the store answered (engine/store_results.h) and this node's own
// figures: the bodies of memory mode (rest_bodies.h), and on GET /topics,
// GET /topics/{name}, GET /stats and GET /health also "engine":"redis"
// and "scope", which names the fields that hold cluster-wide facts (which
// topics exist, their messages, epoch and seq: from the store) and those
// that hold this node's (subscriptions, drops, connections). A store that
// cannot answer gives 503 UNAVAILABLE.
//
// Pure; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/broker.h"
#include "engine/store_results.h"
#include "net/rest.h"

namespace pubsub::net {

// The answer to a store call that did not succeed: 409 TOPIC_EXISTS,
// 404 TOPIC_NOT_FOUND, or 503 UNAVAILABLE saying that Valkey/Redis cannot
// be reached, with the store's `detail` (which never holds a password).
RestResponse store_refusal(std::string_view topic, engine::StoreStatus status, std::string_view detail);

// POST /topics: 201, or the refusal.
RestResponse created_answer(std::string_view topic, const engine::StoreResult<engine::TopicPosition>& result);
// DELETE /topics/{name}: 200, or the refusal.
RestResponse deleted_answer(std::string_view topic, const engine::StoreResult<engine::TopicPosition>& result);
// GET /topics/{name}: the store's position; the subscribers and drops of
// `here`, the node's mirror of the topic (none: 0).
RestResponse topic_answer(std::string_view topic, const engine::StoreResult<engine::TopicInfo>& result,
                          const std::optional<core::TopicStats>& here);
// GET /topics: the store's topics; the subscribers of `here`, the node's
// mirrors sorted by name (as Broker::all_topics gives them).
RestResponse topic_list_answer(const engine::StoreResult<std::vector<engine::TopicListing>>& result,
                               std::span<const core::TopicStats> here);
// GET /stats: the store's topics with their positions, the node's figures
// of `here` (sorted by name) and `counters`.
RestResponse stats_answer(const engine::StoreResult<std::vector<engine::TopicListing>>& result,
                          std::span<const core::TopicStats> here, const ServerCounters& counters);
// GET /topics/{name}/messages: the page the store read.
RestResponse history_answer(std::string_view topic, const engine::StoreResult<engine::HistoryPage>& result);
// POST /topics/{name}/messages(:batch): 201 with the store's seqs.
RestResponse published_answer(std::string_view topic, const engine::StoreResult<engine::PublishReceipt>& result,
                              bool batch);

// One Valkey/Redis server as GET /health shows it.
struct StoreServerState {
  std::string endpoint;  // host:port, never the credentials
  bool up = false;
  std::string error;  // why it is down
};

// Counts the node's live feed (cluster_node.h) in `servers`, one entry
// per server of the ring in the ring's order: a server whose shard
// connection is up but whose live feed connection is down is down, with
// the feed's error after "live feed: ". While the feed is down the node
// cannot subscribe to that server's topics nor deliver their events.
void count_live_feed(std::span<StoreServerState> servers, const LinkStates& feed);

// GET /health: 200 "ok" while every server is up, 503 "degraded" naming
// those that are down, 503 "shutting_down" once the shutdown began; the
// topics and subscriptions `topics` and `subscribers` are the node's.
RestResponse health_answer(const RestContext& context, std::size_t topics, std::int64_t subscribers,
                           std::span<const StoreServerState> servers);

}  // namespace pubsub::net
