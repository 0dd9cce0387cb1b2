// The connection's coroutines; see session.h.
#include "net/session.h"

#include <memory>
#include <optional>

#include "common/log.h"
#include "net/connection_slot.h"
#include "net/http_session.h"
#include "net/server_state.h"
#include "net/shard.h"
#include "net/ws_endpoint.h"

namespace pubsub::net {
namespace {

// The session's log lines and counters, outside its coroutine: the
// temporaries of a call in a coroutine can take room in its frame.
// A connection that presented a token is known by its `sub` in the logs.
std::uint64_t open_websocket(ServerState& server, const auth::Identity* identity) {
  std::uint64_t id = server.counters.next_connection_id.fetch_add(1, std::memory_order_relaxed);
  server.websocket_connections.fetch_add(1, std::memory_order_relaxed);
  if (identity) {
    log::info("websocket open", {{"connection", id}, {"sub", identity->subject}});
  } else {
    log::info("websocket open", {{"connection", id}});
  }
  return id;
}

void websocket_closed(ServerState& server, const WsEndpoint& endpoint) {
  server.websocket_connections.fetch_sub(1, std::memory_order_relaxed);
  server.counters.counts.count_disconnect(endpoint.close_reason());
  const std::string_view reason = to_string(endpoint.close_reason());
  if (const auth::Identity* identity = endpoint.identity()) {
    log::info("websocket closed", {{"connection", endpoint.id()}, {"sub", identity->subject}, {"reason", reason}});
  } else {
    log::info("websocket closed", {{"connection", endpoint.id()}, {"reason", reason}});
  }
}

// What the HTTP session hands to the WebSocket session: the socket's
// descriptor and the client's early bytes (null if none), so that the
// WebSocket coroutine's frame holds no moved-from socket or string.
struct Handover {
  int descriptor;
  tcp protocol;
  std::unique_ptr<std::string> early_input;
  std::unique_ptr<auth::Identity> identity;
};

// Serves one WebSocket connection. The endpoint's state machine says what
// to do; the coroutine does the one wait it asks for. An idle connection
// is this frame and one pending wait.
task<void> websocket_session(ShardContext& shard, ConnectionSlot slot, Handover handover) {
  WsEndpoint endpoint(
      shard, handover.descriptor, handover.protocol, open_websocket(shard.server, handover.identity.get()),
      handover.early_input ? std::move(*handover.early_input) : std::string(), std::move(handover.identity));
  handover.early_input.reset();
  for (;;) {
    const WsConnection::Action action = endpoint.next_action();
    if (action == WsConnection::Action::finish) break;
    if (action == WsConnection::Action::read) {
      endpoint.read();
    } else {
      co_await endpoint.wait();
    }
  }
  websocket_closed(shard.server, endpoint);
  endpoint.close(std::move(slot));
}

// The same over TLS: reads are asynchronous reads of the TLS stream.
task<void> tls_websocket_session(ShardContext& shard, ConnectionSlot slot, Handover handover,
                                 std::shared_ptr<TlsChannel> tls) {
  WsEndpoint endpoint(shard, std::move(tls), open_websocket(shard.server, handover.identity.get()),
                      handover.early_input ? std::move(*handover.early_input) : std::string(),
                      std::move(handover.identity));
  handover.early_input.reset();
  for (;;) {
    const WsConnection::Action action = endpoint.next_action();
    if (action == WsConnection::Action::finish) break;
    if (action == WsConnection::Action::wait_wake) {
      co_await endpoint.wait();
      continue;
    }
    auto [ec, n] = co_await endpoint.read_tls();
    endpoint.on_tls_read(ec, n);
  }
  websocket_closed(shard.server, endpoint);
  endpoint.close(std::move(slot));
}

}  // namespace

void log_session_exception(std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    log::error("session failed", {{"error", e.what()}});
  }
}

task<void> connection_session(ServerState& server, std::size_t shard, shard_socket socket) {
  ConnectionSlot slot(server.connections);
  std::optional<WebSocketStart> start = co_await serve_http(server, shard, std::move(socket));
  if (!start) co_return;
  std::unique_ptr<std::string> early;
  if (!start->early_input.empty()) early = std::make_unique<std::string>(std::move(start->early_input));
  ShardContext& context = *server.shards[shard];
  Handover handover{start->descriptor, start->protocol, std::move(early), std::move(start->identity)};
  if (start->tls) {
    asio::co_spawn(context.ioc,
                   tls_websocket_session(context, std::move(slot), std::move(handover), std::move(start->tls)),
                   log_session_exception);
    co_return;
  }
  asio::co_spawn(context.ioc, websocket_session(context, std::move(slot), std::move(handover)), log_session_exception);
}

}  // namespace pubsub::net
