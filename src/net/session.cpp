// The connection's coroutine; see session.h.
#include "net/session.h"

#include <optional>

#include "common/log.h"
#include "net/http_session.h"
#include "net/server_state.h"
#include "net/shard.h"
#include "net/ws_endpoint.h"

namespace pubsub::net {
namespace {

// Tracks one open TCP connection for --max-connections and /stats, for as
// long as its session coroutine (HTTP, then WebSocket) runs.
class ConnectionSlot {
 public:
  explicit ConnectionSlot(ServerState& server) : server_(server) {
    server_.connections.fetch_add(1, std::memory_order_relaxed);
  }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ~ConnectionSlot() { server_.connections.fetch_sub(1, std::memory_order_relaxed); }

 private:
  ServerState& server_;
};

// The session's log lines and counters, outside its coroutine: the
// temporaries of a call in a coroutine can take room in its frame.
std::uint64_t open_websocket(ServerState& server) {
  std::uint64_t id = server.counters.next_connection_id.fetch_add(1, std::memory_order_relaxed);
  server.websocket_connections.fetch_add(1, std::memory_order_relaxed);
  log::info("websocket open", {{"connection", id}});
  return id;
}

void websocket_closed(ServerState& server, const WsEndpoint& endpoint) {
  server.websocket_connections.fetch_sub(1, std::memory_order_relaxed);
  log::info("websocket closed", {{"connection", endpoint.id()}, {"reason", to_string(endpoint.close_reason())}});
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

// The WebSocket session waits in this coroutine's frame: the endpoint's
// state machine says what to do, and the coroutine does the one wait it
// asks for.
task<void> connection_session(ServerState& server, std::size_t shard, shard_socket socket) {
  ConnectionSlot slot(server);
  std::optional<WebSocketStart> start = co_await serve_http(server, shard, std::move(socket));
  if (!start) co_return;
  WsEndpoint endpoint(*server.shards[shard], std::move(start->socket), open_websocket(server),
                      std::move(start->early_input));
  start.reset();
  for (;;) {
    const WsConnection::Action action = endpoint.next_action();
    if (action == WsConnection::Action::finish) break;
    if (action == WsConnection::Action::read) {
      endpoint.read();
    } else if (action == WsConnection::Action::wait_readable) {
      auto [ec] = co_await endpoint.wait_readable();
      endpoint.on_readable(!ec);
    } else {
      co_await endpoint.wait_wake();
    }
  }
  co_await endpoint.finish();
  websocket_closed(server, endpoint);
}

}  // namespace pubsub::net
