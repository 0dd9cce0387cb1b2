// Shared server state; see server_state.h.
#include "net/server_state.h"

#include <algorithm>

#include "net/shard.h"

namespace pubsub::net {
namespace {

core::BrokerOptions broker_options(const ServerOptions& options) {
  core::BrokerOptions out;
  out.history_size = options.history_size;
  out.shards = std::max<std::size_t>(options.threads, 1);
  out.queue = options.queue;
  return out;
}

}  // namespace

ServerState::ServerState(ServerOptions opts) : options(std::move(opts)), broker(broker_options(options), frames) {
  for (std::size_t i = 0; i < broker.options().shards; ++i) {
    core::Shard& broker_shard = broker.shard(i);
    auto shard = std::make_unique<ShardContext>(broker_shard);
    asio::io_context& ioc = shard->ioc;
    broker_shard.set_wake([&ioc, &broker_shard] { asio::post(ioc, [&broker_shard] { broker_shard.drain(); }); });
    shards.push_back(std::move(shard));
  }
}

ServerState::~ServerState() = default;

RestContext ServerState::rest_context() const {
  ServerCounters counters;
  counters.connections = connections.load(std::memory_order_relaxed);
  counters.websocket_connections = websocket_connections.load(std::memory_order_relaxed);
  counters.rejected_connections = rejected_connections.load(std::memory_order_relaxed);
  counters.slow_consumer_disconnects = slow_consumer_disconnects.load(std::memory_order_relaxed);
  counters.shutting_down = shutting_down.load(std::memory_order_relaxed);
  return RestContext{options.api_key, started, counters};
}

}  // namespace pubsub::net
