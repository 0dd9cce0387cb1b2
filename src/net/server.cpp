// The server's lifecycle: binding the listener, starting one thread per
// shard, the signals, and the graceful shutdown. See server.h; the parts
// are in listener.h, session.h, http_session.h, ws_connection.h and
// shard.h.
//
// Threads: one io_context per shard, each run by one thread, so everything
// a connection owns (its socket, its Subscriber, its timers) lives on
// that single thread and needs no strand. The only cross-thread paths are
// the broker's (see core/broker.h) and asio::post.
#include "net/server.h"

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>

#include "common/log.h"
#include "net/listener.h"
#include "net/server_state.h"
#include "net/session.h"
#include "net/shard.h"
#include "net/tls.h"

namespace pubsub::net {

struct Server::Impl : ServerState {
  explicit Impl(ServerOptions opts) : ServerState(std::move(opts)) {}

  void begin_shutdown();

  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::signal_set> signals;
  std::optional<asio::signal_set> reload_signal;  // SIGHUP

  // run() waits on these for the shutdown and for the threads to finish.
  std::mutex run_mutex;
  std::condition_variable run_changed;
  std::size_t running_threads = 0;
};

// Runs on shard 0's thread.
void Server::Impl::begin_shutdown() {
  if (counters.shutting_down.exchange(true)) return;
  log::info("shutting down", {{"timeout_ms", options.shutdown_timeout.count()}});
  boost::system::error_code ignored;
  acceptor->close(ignored);
  signals->cancel(ignored);
  if (reload_signal) reload_signal->cancel(ignored);
  for (auto& shard : shards) {
    asio::post(shard->ioc, [s = shard.get()] { s->begin_shutdown(); });
  }
  std::lock_guard lock(run_mutex);
  run_changed.notify_all();
}

namespace {

// Reloads the TLS certificate and key (if any) on each SIGHUP until the
// shutdown. Without TLS, SIGHUP is logged and otherwise ignored.
task<void> reload_loop(asio::signal_set& signals, TlsContext* tls) {
  for (;;) {
    auto [ec, signal] = co_await signals.async_wait(nothrow);
    if (ec) co_return;
    if (tls) {
      tls->reload();
    } else {
      log::info("SIGHUP: nothing to reload (no --tls-cert)");
    }
  }
}

}  // namespace

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Server::~Server() = default;

void Server::request_stop() {
  Impl* impl = impl_.get();
  asio::post(impl->shards[0]->ioc, [impl] { impl->begin_shutdown(); });
}

int Server::run() {
  Impl& s = *impl_;
  asio::io_context& main_ioc = s.shards[0]->ioc;
  auto address = asio::ip::make_address(s.options.host);
  tcp::endpoint endpoint(address, s.options.port);
  s.acceptor.emplace(main_ioc);
  s.acceptor->open(endpoint.protocol());
  s.acceptor->set_option(tcp::acceptor::reuse_address(true));
  s.acceptor->bind(endpoint);
  s.acceptor->listen(asio::socket_base::max_listen_connections);
  auto bound = s.acceptor->local_endpoint();

  s.signals.emplace(main_ioc, SIGINT, SIGTERM);
  s.signals->async_wait([&s](const boost::system::error_code& ec, int) {
    if (!ec) s.begin_shutdown();
  });
  s.reload_signal.emplace(main_ioc, SIGHUP);
  asio::co_spawn(main_ioc, reload_loop(*s.reload_signal, s.tls.get()), asio::detached);
  asio::co_spawn(main_ioc, accept_loop(s, *s.acceptor), log_session_exception);
  if (s.options.heartbeat_interval.count() > 0) {
    for (auto& shard : s.shards) {
      shard->heartbeat.emplace(shard->ioc);
      asio::co_spawn(shard->ioc, heartbeat_loop(*shard), asio::detached);
    }
  }
  if (s.options.idle_timeout.count() > 0) {
    for (auto& shard : s.shards) {
      shard->idle_sweep.emplace(shard->ioc);
      asio::co_spawn(shard->ioc, idle_sweep_loop(*shard), asio::detached);
    }
  }

  std::string_view writes = "sendmsg";
  if (s.options.io_uring) {
    writes = "io_uring";
    for (auto& shard : s.shards) {
      if (shard->send_batch.start()) continue;
      // Not a fault: container runtimes' default seccomp profiles refuse
      // io_uring, and the writes work the same without it.
      log::info("io_uring unavailable: each connection is written with its own sendmsg",
                {{"error", shard->send_batch.failure()}});
      writes = "sendmsg";
      // The shards whose rings did start give them up: every shard writes
      // the way the log says.
      for (auto& other : s.shards) other->send_batch.stop();
      break;
    }
  }

  std::printf("listening on %s:%u\n", s.options.host.c_str(), static_cast<unsigned>(bound.port()));
  std::fflush(stdout);
  log::info("listening",
            {{"host", s.options.host}, {"port", bound.port()}, {"writes", writes}, {"threads", s.shards.size()}});

  s.start_engine();
  s.running_threads = s.shards.size();
  std::vector<std::thread> threads;
  for (auto& shard : s.shards) {
    threads.emplace_back([&s, shard = shard.get()] {
      run_shard(*shard);
      std::lock_guard lock(s.run_mutex);
      --s.running_threads;
      s.run_changed.notify_all();
    });
  }
  {
    // Wait for the shutdown to start, then give it --shutdown-timeout.
    std::unique_lock lock(s.run_mutex);
    s.run_changed.wait(lock, [&] { return s.counters.shutting_down.load() || s.running_threads == 0; });
    if (!s.run_changed.wait_for(lock, s.options.shutdown_timeout, [&] { return s.running_threads == 0; })) {
      log::warn("shutdown timeout: closing remaining connections");
      for (auto& shard : s.shards) shard->ioc.stop();
    }
  }
  for (auto& t : threads) t.join();
  for (auto& shard : s.shards) shard->abandon_sessions();
  log::info("stopped");
  return 0;
}

}  // namespace pubsub::net
