// The accept loop; see listener.h.
#include "net/listener.h"

#include <chrono>
#include <cstdint>

#include "common/log.h"
#include "net/http_session.h"
#include "net/server_state.h"
#include "net/session.h"
#include "net/shard.h"

namespace pubsub::net {
namespace {

// After a failed accept (typically: out of descriptors) the loop pauses,
// so that it does not spin while the listener stays readable.
constexpr auto kAcceptRetryPause = std::chrono::milliseconds(50);
// While accepts keep failing, at most one log line per this.
constexpr auto kAcceptLogInterval = std::chrono::seconds(1);

// The log of accept failures: the first is logged, then at most one line
// per kAcceptLogInterval with the count since the previous line (a process
// out of descriptors would otherwise log every kAcceptRetryPause), and one
// line when accepting works again.
class AcceptFailures {
 public:
  // Counts a failure, and logs it if it is the first or the interval has
  // passed since the last line.
  void failed(const boost::system::error_code& ec) {
    const auto now = std::chrono::steady_clock::now();
    ++unreported_;
    if (failing_ && now - last_line_ < kAcceptLogInterval) return;
    log::warn("accept failed", {{"error", ec.message()}, {"failures", unreported_}});
    failing_ = true;
    last_line_ = now;
    unreported_ = 0;
  }

  // An accept succeeded: logs the recovery (with the failures not yet
  // logged) if accepts were failing.
  void succeeded() {
    if (!failing_) return;
    log::info("accepting again", {{"failures", unreported_}});
    failing_ = false;
    unreported_ = 0;
  }

 private:
  std::uint64_t unreported_ = 0;  // failures since the last line
  bool failing_ = false;
  std::chrono::steady_clock::time_point last_line_{};
};

}  // namespace

task<void> accept_loop(ServerState& server, tcp::acceptor& acceptor) {
  std::size_t next_shard = 0;
  AcceptFailures failures;
  for (;;) {
    std::size_t shard = next_shard;
    next_shard = (next_shard + 1) % server.shards.size();
    auto [ec, socket] = co_await acceptor.async_accept(server.shards[shard]->ioc, nothrow);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      failures.failed(ec);
      asio::steady_timer pause(co_await asio::this_coro::executor, kAcceptRetryPause);
      co_await pause.async_wait(nothrow);
      continue;
    }
    failures.succeeded();
    server.counters.counts.accepted.fetch_add(1, std::memory_order_relaxed);
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto& ioc = server.shards[shard]->ioc;
    if (server.connections.load(std::memory_order_relaxed) >=
        static_cast<std::int64_t>(server.options.max_connections)) {
      server.rejected_connections.fetch_add(1, std::memory_order_relaxed);
      server.counters.counts.count_rejected(RejectReason::max_connections);
      asio::co_spawn(ioc, reject_session(server, tcp::socket(std::move(socket))), log_session_exception);
      continue;
    }
    asio::co_spawn(ioc, connection_session(server, shard, std::move(socket)), log_session_exception);
  }
}

}  // namespace pubsub::net
