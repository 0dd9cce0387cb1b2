// Shared server state; see server_state.h.
#include "net/server_state.h"

#include <algorithm>

#include "net/cluster_node.h"
#include "net/metrics_page.h"
#include "net/shard.h"
#include "net/store_log.h"
#include "net/tls.h"

namespace pubsub::net {
namespace {

core::BrokerOptions broker_options(const ServerOptions& options, ServerState* state) {
  core::BrokerOptions out;
  if (options.engine == Engine::redis) {
    out.on_unheld = [state](std::string_view topic) {
      if (state->cluster) state->cluster->unheld(topic);
    };
  }
  out.history_size = options.history_size;
  out.shards = std::max<std::size_t>(options.threads, 1);
  out.queue = options.queue;
  out.max_topics = options.max_topics;
  return out;
}

ConnectionSettings connection_settings(const ServerOptions& options) {
  ConnectionSettings out;
  out.max_message_bytes = options.max_message_bytes;
  out.require_uuid = options.require_uuid;
  out.auto_create_topics = options.auto_create_topics;
  out.max_subscriptions = options.max_subscriptions;
  out.max_publish_rate = options.max_publish_rate;
  return out;
}

}  // namespace

ServerState::ServerState(ServerOptions opts)
    : options(std::move(opts)),
      connection_settings(net::connection_settings(options)),
      authenticator(options.api_keys, options.jwt),
      broker(broker_options(options, this), frames) {
  if (!options.tls_certificate.empty()) tls = std::make_unique<TlsContext>(options.tls_certificate, options.tls_key);
  for (std::size_t i = 0; i < broker.shard_count(); ++i) {
    shards.push_back(std::make_unique<ShardContext>(*this, broker.shard(i)));
  }
  if (options.engine != Engine::redis) return;
  const engine::RedisStoreOptions store_options{options.history_size};
  for (auto& shard : shards) {
    shard->store = std::make_unique<engine::StoreRing>(shard->ioc, options.redis_urls, store_options);
  }
  log_store_changes(*shards.front()->store);
  ShardContext& home = *shards.front();
  cluster = std::make_unique<ClusterNode>(broker, home.ioc, home.broker_shard.index(), *home.store, options.redis_urls,
                                          options.history_size);
  for (auto& shard : shards) {
    shard->topics_link = std::make_unique<ShardTopicsLink>(*shard->store, *cluster, shard->ioc);
    shard->context.shared_topics = shard->topics_link.get();
  }
}

void ServerState::start_engine() {
  if (!cluster) return;
  for (auto& shard : shards) shard->store->start();
  cluster->start();
}

ServerState::~ServerState() = default;

RestContext ServerState::rest_context(std::size_t shard, common::TokenBucket* publish_budget) const {
  ServerCounters figures;
  figures.connections = connections.load(std::memory_order_relaxed);
  figures.websocket_connections = websocket_connections.load(std::memory_order_relaxed);
  figures.rejected_connections = rejected_connections.load(std::memory_order_relaxed);
  figures.slow_consumer_disconnects = counters.slow_consumer_disconnects.load(std::memory_order_relaxed);
  figures.shutting_down = counters.shutting_down.load(std::memory_order_relaxed);
  return RestContext{.authenticator = authenticator,
                     .started = started,
                     .counters = figures,
                     .shard = shard,
                     .auto_create_topics = options.auto_create_topics,
                     .require_uuid = options.require_uuid,
                     .publish_budget = publish_budget,
                     .token_memory = nullptr,
                     .counts = &shards[shard]->context.counts,
                     .render_metrics = [this] { return net::render_metrics(*this); },
                     .live_feed = cluster ? &cluster->feed_states() : nullptr};
}

}  // namespace pubsub::net
