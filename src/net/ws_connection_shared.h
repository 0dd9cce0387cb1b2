// What a WebSocket connection keeps while it talks to the shared topics
// (--engine redis; ws_connection.h): its replies in request order behind
// the answers still to come, the acks that wait for the connection's own
// event of what they acknowledge, the subscribe or unsubscribe that waits,
// and the handle through which late answers find it. Made on the first
// request that needs it; a connection of --engine memory never has one.
//
// The connection's shard thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "net/deferred_replies.h"
#include "net/ws_connection.h"
#include "protocol/messages.h"

namespace pubsub::net {

struct WsConnection::Shared {
  explicit Shared(WsConnection* connection) : self(std::make_shared<WsConnection*>(connection)) {}
  ~Shared() { *self = nullptr; }
  Shared(const Shared&) = delete;
  Shared& operator=(const Shared&) = delete;

  // Holds `request` (a subscribe or unsubscribe) with bytes of its own.
  void hold(const protocol::Request& request) {
    held = request;
    held->message_id_raw = {};
    held->payload_raw = {};
    if (request.request_id) {
      held_request_id.assign(request.request_id->data(), request.request_id->size());
      held->request_id = held_request_id;
    }
  }

  // The ack of a publish to a topic the connection holds: it goes out
  // after the event it acknowledges reaches the connection (contract
  // section 3), which comes through the topic's channel and the node's
  // mirror, often after Valkey/Redis's answer; or once the connection no
  // longer awaits that event, or at `deadline` (kAckAwaitsEventTimeout).
  struct ParkedAck {
    DeferredReplies::Place place;
    std::string frame;
    std::string topic;
    std::uint64_t seq;
    std::chrono::steady_clock::time_point deadline;
  };

  DeferredReplies line;
  std::deque<ParkedAck> parked;  // oldest first
  // Nulled when the connection goes: a late answer finds nothing to do.
  const std::shared_ptr<WsConnection*> self;
  // The subscribe or unsubscribe being handled: it waits for the line to
  // empty, then for the node's mirror or Valkey/Redis. No request is read
  // meanwhile (awaiting).
  std::optional<protocol::Request> held;
  std::string held_request_id;
  bool awaiting = false;
  // The request being handled is counted (pubsub_requests_total) when its
  // answer comes.
  bool count_later = false;
};

}  // namespace pubsub::net
