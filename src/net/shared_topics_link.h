// What a WebSocket connection asks of the shared topics with --engine
// redis (contract section 15), without I/O of its own: publish through
// Valkey/Redis, have the node's mirror load a topic before subscribing to
// it, and find out whether a topic exists. ClusterNode's shard link
// (cluster_node.h) answers over the network; unit tests answer by hand.
//
// Called on a shard's thread; every handler is called later on that same
// thread, never from within the call.
#pragma once

#include <functional>
#include <string_view>

#include "engine/store_results.h"

namespace pubsub::net {

class SharedTopicsLink {
 public:
  using PublishHandler = std::function<void(engine::StoreResult<engine::PublishReceipt> result)>;
  using StatusHandler = std::function<void(engine::StoreStatus status)>;

  // Publishes one message (`id_raw` and `payload_raw` as the request
  // carried them) on `topic`: ok with its seq, not_found, or unavailable.
  virtual void publish(std::string_view topic, std::string_view id_raw, std::string_view payload_raw,
                       bool create_missing, PublishHandler handler) = 0;
  // The broker's mirror holds `topic` once this answers ok (or not_found,
  // unavailable).
  virtual void load(std::string_view topic, bool create_missing, StatusHandler handler) = 0;
  // Whether `topic` exists: ok, not_found or unavailable.
  virtual void find(std::string_view topic, StatusHandler handler) = 0;

 protected:
  ~SharedTopicsLink() = default;
};

}  // namespace pubsub::net
