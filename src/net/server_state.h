// What every part of the server shares: the options, the broker, the
// shards (one per I/O thread) and the process-wide counters.
//
// Built and destroyed on the thread that runs the server; the atomics may
// be read and written from any thread; a shard's members only from its own
// thread (see shard.h).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "auth/authenticator.h"
#include "core/broker.h"
#include "net/broker_frames.h"
#include "net/connection_context.h"
#include "net/rest.h"
#include "net/server.h"

namespace pubsub::net {

struct ShardContext;
class ClusterNode;
class TlsContext;

struct ServerState {
  explicit ServerState(ServerOptions opts);
  ~ServerState();
  ServerState(const ServerState&) = delete;
  ServerState& operator=(const ServerState&) = delete;

  // Starts connecting to Valkey/Redis (--engine redis). Before the shards
  // run.
  void start_engine();

  // The figures the REST API reports, read now, for a request answered on
  // shard `shard`'s thread.
  RestContext rest_context(std::size_t shard, common::TokenBucket* publish_budget = nullptr) const;

  ServerOptions options;
  ConnectionSettings connection_settings;
  auth::Authenticator authenticator;
  std::unique_ptr<TlsContext> tls;  // null: plain TCP
  ConnectionCounters counters;      // shutting down, slow consumers, connection ids
  ProtocolFrames frames;
  core::Broker broker;
  std::vector<std::unique_ptr<ShardContext>> shards;  // destroyed before broker
  // --engine redis: the node's feed and mirror, on shard 0 (destroyed
  // before the shards); null with --engine memory.
  std::unique_ptr<ClusterNode> cluster;
  const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  std::atomic<std::int64_t> connections{0};
  std::atomic<std::int64_t> websocket_connections{0};
  std::atomic<std::uint64_t> rejected_connections{0};
};

}  // namespace pubsub::net
