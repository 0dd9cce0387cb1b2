// Connections mode; see connections_run.h.
#include "bench/connections_run.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "bench/client_threads.h"
#include "bench/connection.h"
#include "bench/node_assignment.h"
#include "bench/process_sample.h"
#include "bench/rest_client.h"

namespace pubsub::bench {

using namespace std::chrono_literals;

namespace {

// Opens connection `i` from `source` on its thread: subscribe, count it
// ready (or failed), then read until it is closed.
void spawn_held_connection(const Options& o, tcp::endpoint server, asio::io_context& ioc, Connection& c, int i,
                           asio::ip::address_v4 source, std::atomic<int>& ready, std::atomic<int>& failed) {
  asio::co_spawn(
      ioc,
      [&o, server, &c, i, source, &ready, &failed]() -> asio::awaitable<void> {
        if (!co_await c.open(o, server, asio::ip::address(source)) ||
            !co_await subscribe(c, topic_name(o, i % o.topics))) {
          failed++;
          co_return;
        }
        ready++;
        while (co_await c.read([](std::string_view) {})) {}
      },
      asio::detached);
}

}  // namespace

ConnectionsResult run_connections(const Options& o) {
  raise_fd_limit();
  ConnectionsResult r;
  r.sources = o.sources > 0 ? o.sources : std::max(1, (o.connections + 24999) / 25000);
  r.server_rss_before_kib = total_rss_kib(o.server_pids);
  ClientThreads threads(o.client_threads);
  std::vector<std::unique_ptr<Connection>> connections;
  std::atomic<int> ready{0}, failed{0};
  threads.start();
  const int batch = 500;  // connections being opened at once
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < o.connections; ++i) {
    while (i - ready - failed >= batch) std::this_thread::sleep_for(1ms);
    auto& ioc = threads.context(static_cast<std::size_t>(i % o.client_threads));
    connections.push_back(std::make_unique<Connection>(ioc));
    auto source = asio::ip::make_address_v4(0x7F000001u + 1 + static_cast<unsigned>(i % r.sources));
    const tcp::endpoint server(asio::ip::make_address(o.host), o.ports[subscriber_node(i, o.topics, o.ports.size())]);
    spawn_held_connection(o, server, ioc, *connections.back(), i, source, ready, failed);
  }
  while (ready + failed < o.connections) std::this_thread::sleep_for(5ms);
  r.open_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::this_thread::sleep_for(1s);
  r.server_rss_held_kib = total_rss_kib(o.server_pids);
  std::this_thread::sleep_for(std::chrono::duration<double>(o.duration));
  r.server_rss_after_hold_kib = total_rss_kib(o.server_pids);
  threads.stop();
  r.held = ready;
  r.failed = failed;
  return r;
}

}  // namespace pubsub::bench
