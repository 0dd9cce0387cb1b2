// One I/O thread: its io_context, the WebSocket connections it serves, and
// its event loop, which runs in passes and writes every connection the
// pass gave frames at the end of it (run_shard). Also the per-shard timers:
// the heartbeat and the idle-timeout sweep.
//
// Everything here belongs to the shard's thread, except the io_context
// itself (posting to it is thread-safe).
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_set>
#include <vector>

#include "core/broker.h"
#include "net/asio_support.h"

namespace pubsub::net {

class WsConnection;
struct ServerState;

// What one read takes from a socket, into the buffer the shard's
// connections share (see WsConnection::read).
constexpr std::size_t kReadBufferSize = 64 * 1024;

// What one I/O thread owns: its io_context and the WebSocket sessions on it.
struct ShardContext {
  explicit ShardContext(core::Shard& broker_shard) : broker_shard(broker_shard) {}

  core::Shard& broker_shard;
  asio::io_context ioc{1};
  std::optional<asio::executor_work_guard<shard_executor>> work{ioc.get_executor()};
  std::unordered_set<WsConnection*> connections;  // this thread only
  std::unordered_set<tcp::socket*> idle_http;     // waiting for a request; this thread only
  std::optional<asio::steady_timer> heartbeat;
  std::optional<asio::steady_timer> idle_sweep;
  std::uint32_t idle_epoch = 0;  // idle sweeps so far (see kIdleEpochsPerTimeout)
  std::vector<char> read_buffer = std::vector<char>(kReadBufferSize);  // see WsConnection::read
  // Connections given frames during this loop pass; written at its end.
  std::vector<WsConnection*> dirty;
  std::vector<WsConnection*> flushing;  // dirty's previous contents, reused

  // Writes out every dirty connection's queue (see run_shard).
  void flush_dirty();
};

// Runs the shard's event loop until its io_context runs out of work.
void run_shard(ShardContext& shard);

// Sends the heartbeat info to every connection of the shard, every
// --heartbeat-interval, until the shutdown.
task<void> heartbeat_loop(ServerState& server, ShardContext& shard);

// Pings quiet connections and drops silent ones (WsConnection::check_idle).
task<void> idle_sweep_loop(ServerState& server, ShardContext& shard);

}  // namespace pubsub::net
