// The REST API with --engine redis (contract section 15): a request that
// reads or changes topics is answered from the state every node shares in
// Valkey/Redis, through the shard's StoreRing, with one store call; the
// node's own figures come from the broker (which mirrors the topics the
// node's connections hold). GET /health answers from the state of the
// shard's connections and of the node's live feed (RestContext::live_feed),
// and sends each server a PING (not awaited) on the shard's connection, so
// that one that stopped answering counts as down within the command timeout.
// Routing, credentials and the checks of bodies and queries are memory
// mode's (rest.h, rest_requests.h); the answers are made by
// rest_store_answers.h.
//
// The shard's thread, which runs the store's io_context: construct, start
// and destroy a request there; its answer comes there.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/store_results.h"
#include "net/rest.h"
#include "net/rest_requests.h"

namespace pubsub::core {
class Broker;
}

namespace pubsub::engine {
class StoreRing;
}

namespace pubsub::net {

// One REST request: routed and checked when constructed, then answered at
// once (a refusal, a file, /metrics, /health) or by start()'s store call.
class SharedTopicsRequest {
 public:
  using Done = std::function<void(RestResponse answer)>;

  // `request`'s bytes must live until start() returns.
  SharedTopicsRequest(engine::StoreRing& store, const core::Broker& broker, const RestContext& context,
                      const RestRequest& request);

  // The answer when no store call is needed; nullopt: call start().
  std::optional<RestResponse>& answer() { return answer_; }

  // Makes the store call; `done` gets the answer once, later, on the
  // store's thread: within the store's command timeout, or never if the
  // store is destroyed first. Only without answer() (throws
  // std::logic_error otherwise).
  void start(Done done);

 private:
  // Takes the checked parts of the request the action needs, or the
  // refusal as the answer.
  void check(const RestContext& context, const RestRequest& request);

  engine::StoreRing& store_;
  const core::Broker& broker_;
  RestAction action_ = RestAction::answered;
  std::string topic_;
  HistoryQuery query_;
  std::vector<engine::OutgoingMessage> messages_;  // point into the request's body
  ServerCounters counters_;
  ShardCounts* counts_ = nullptr;  // counts the HTTP publishes
  bool create_missing_ = false;
  std::optional<RestResponse> answer_;
};

}  // namespace pubsub::net
