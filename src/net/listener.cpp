// The accept loop; see listener.h.
#include "net/listener.h"

#include "common/log.h"
#include "net/http_session.h"
#include "net/server_state.h"
#include "net/session.h"
#include "net/shard.h"

namespace pubsub::net {

task<void> accept_loop(ServerState& server, tcp::acceptor& acceptor) {
  std::size_t next_shard = 0;
  for (;;) {
    std::size_t shard = next_shard;
    next_shard = (next_shard + 1) % server.shards.size();
    auto [ec, socket] = co_await acceptor.async_accept(server.shards[shard]->ioc, nothrow);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      log::warn("accept failed", {{"error", ec.message()}});
      asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
      co_await pause.async_wait(nothrow);
      continue;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto& ioc = server.shards[shard]->ioc;
    if (server.connections.load(std::memory_order_relaxed) >= static_cast<std::int64_t>(server.options.max_connections)) {
      server.rejected_connections.fetch_add(1, std::memory_order_relaxed);
      asio::co_spawn(ioc, reject_session(tcp::socket(std::move(socket))), log_session_exception);
      continue;
    }
    asio::co_spawn(ioc, connection_session(server, shard, std::move(socket)), log_session_exception);
  }
}

}  // namespace pubsub::net
