// What a WebSocket connection keeps while it talks to the shared topics
// (--engine redis; ws_connection.h): its replies in request order behind
// the answers still to come, the subscribe or unsubscribe that waits, and
// the handle through which late answers find it. Made on the first
// request that needs it; a connection of --engine memory never has one.
//
// The connection's shard thread only.
#pragma once

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

  DeferredReplies line;
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
