// The connection's coroutine; see session.h.
#include "net/session.h"

#include <boost/beast/core/tcp_stream.hpp>
#include <optional>

#include "common/log.h"
#include "net/http_session.h"
#include "net/linger.h"
#include "net/server_state.h"
#include "net/timeouts.h"
#include "net/ws_connection.h"

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

// Waits until `out` has written everything, for at most `limit`; past it,
// the write in flight is cancelled.
task<void> flush_within(FrameWriter& out, std::chrono::steady_clock::duration limit) {
  out.flush();
  if (out.idle()) co_return;
  asio::steady_timer timer(out.socket().get_executor(), limit);
  out.when_flushed([&timer](FrameWriter::error_code) { timer.cancel(); });
  auto [ec] = co_await timer.async_wait(nothrow);
  if (!ec) {
    boost::system::error_code ignored;
    out.socket().cancel(ignored);
  }
  // The waiter above runs before this one: both are posted in order.
  co_await out.async_wait_flushed(nothrow);
}

// Ends a WebSocket session's socket: a session that exchanged close frames
// flushes them and closes gently; any other closes at once.
task<void> close_socket(FrameWriter& out, bool gently) {
  if (gently) {
    // The close frame goes out first; then the peer may still be sending.
    co_await flush_within(out, kFinalFlushTimeout);
    boost::beast::tcp_stream lingering(tcp::socket(std::move(out.socket())));
    co_await linger_close(lingering);
  } else {
    // A write still in flight refers to the socket: end it before the socket goes.
    boost::system::error_code ignored;
    out.socket().close(ignored);
    co_await out.async_wait_flushed(nothrow);
  }
}

// The session's log lines and counters, outside its coroutine: the
// temporaries of a call in a coroutine can take room in its frame.
std::uint64_t open_websocket(ServerState& server) {
  std::uint64_t id = server.next_connection_id.fetch_add(1, std::memory_order_relaxed);
  server.websocket_connections.fetch_add(1, std::memory_order_relaxed);
  log::info("websocket open", {{"connection", id}});
  return id;
}

void websocket_closed(ServerState& server, std::uint64_t id, const char* reason) {
  server.websocket_connections.fetch_sub(1, std::memory_order_relaxed);
  log::info("websocket closed", {{"connection", id}, {"reason", reason}});
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

// The WebSocket session waits in this coroutine's frame (see
// WsConnection::advance).
task<void> connection_session(ServerState& server, std::size_t shard, shard_socket socket) {
  ConnectionSlot slot(server);
  std::optional<WebSocketStart> start = co_await serve_http(server, shard, std::move(socket));
  if (!start) co_return;
  FrameWriter& out = start->out;
  const std::uint64_t id = open_websocket(server);
  const char* reason = "peer closed";
  bool lingers = false;
  {
    WsConnection connection(server, shard, out, id, start->early_input);
    if (server.shutting_down.load()) connection.begin_close();
    for (;;) {
      WsConnection::Wait wait = connection.advance();
      if (wait == WsConnection::Wait::done) break;
      if (wait == WsConnection::Wait::readable) {
        auto [ec] = co_await connection.wait_readable();
        connection.on_readable(ec);
      } else {
        co_await connection.wait_woken();
      }
    }
    reason = connection.close_reason();
    lingers = connection.lingers();
  }
  co_await close_socket(out, lingers);
  websocket_closed(server, id, reason);
}

}  // namespace pubsub::net
