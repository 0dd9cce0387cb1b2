// One I/O thread: its io_context, the WebSocket connections it serves, and
// its event loop, which runs in passes. At the end of each pass it wakes
// the other shards it handed events to (once each), takes in what other
// shards handed to it, and writes every connection the pass gave frames,
// one gathered write each (run_shard). Also the per-shard timers: the
// heartbeat, the idle-timeout sweep, the deadline tick (close handshakes,
// acks that wait for their events), the token expiry tick and the trim of
// spare queues and write buffers.
//
// Everything here belongs to the shard's thread, except the io_context
// itself (posting to it is thread-safe).
#pragma once

#include <memory>
#include <optional>
#include <unordered_set>
#include <vector>

#include "core/shard.h"
#include "engine/store_ring.h"
#include "net/asio_support.h"
#include "net/cluster_node.h"
#include "net/connection_context.h"
#include "net/readiness.h"
#include "net/send_batch.h"

namespace pubsub::net {

struct ServerState;
class WsEndpoint;

struct ShardContext {
  ShardContext(ServerState& server, core::Shard& broker_shard);
  ShardContext(const ShardContext&) = delete;
  ShardContext& operator=(const ShardContext&) = delete;

  ServerState& server;
  core::Shard& broker_shard;
  asio::io_context ioc{1};
  // --engine redis: the shard's connection(s) to the Valkey/Redis servers
  // that keep the topics, and what its WebSocket connections ask of them
  // (cluster_node.h); null with --engine memory.
  std::unique_ptr<engine::StoreRing> store;
  std::unique_ptr<ShardTopicsLink> topics_link;
  std::optional<asio::executor_work_guard<shard_executor>> work{ioc.get_executor()};
  // The WebSocket connections; each of them is a WsEndpoint.
  ConnectionContext context;
  Readiness readiness{ioc};
  std::unordered_set<tcp::socket*> idle_http;  // waiting for a request
  std::optional<asio::steady_timer> heartbeat;
  std::optional<asio::steady_timer> idle_sweep;
  asio::steady_timer deadline_tick{ioc};  // close handshakes, acks awaiting events
  bool deadline_tick_running = false;
  asio::steady_timer token_tick{ioc};  // ends connections whose token expired
  bool token_tick_running = false;
  asio::steady_timer spare_trim{ioc};  // frees unused spare queues and buffers
  bool spare_trim_running = false;
  std::vector<WsConnection*> flushing;  // a write list's previous contents, reused
  // The pass's writes, submitted together (--io-uring: the server starts
  // it before the loop runs).
  SendBatch send_batch;
  std::vector<WsEndpoint*> batched;  // the connections of send_batch's writes
  // Handlers of this pass that only took note of a finished TLS write:
  // they do not count toward the pass's bound (see run_shard).
  int write_completions = 0;

  // The end of a loop pass (see run_shard).
  void end_pass();
  // Writes every connection on `list` (and what the writes add to it).
  void write_out(std::vector<WsConnection*>& list);
  // Writes every connection on `flushing` through send_batch.
  void write_batched();
  // Starts the graceful shutdown of the shard's connections.
  void begin_shutdown();
  // Ends the sessions still waiting once the loop has stopped (a shutdown
  // that timed out), while the shard's parts are alive.
  void abandon_sessions();
};

// Runs the shard's event loop until its io_context runs out of work.
void run_shard(ShardContext& shard);

// Sends the heartbeat info to every connection of the shard, every
// --heartbeat-interval, until the shutdown.
task<void> heartbeat_loop(ShardContext& shard);

// Pings quiet connections and drops silent ones (WsConnection::on_idle_sweep).
task<void> idle_sweep_loop(ShardContext& shard);

}  // namespace pubsub::net
