// What the WebSocket connections of one shard share, without any I/O: the
// broker shard they belong to, the settings, the server-wide flags and
// counters they update, the read buffer they take turns reading into, the
// pool of write buffers, and the lists the shard's loop walks (every
// connection; those to write at the end of the pass; those in a close
// handshake and those with acks waiting for their events, whose deadlines
// the shard's tick checks; those holding a token, by the second it
// expires).
//
// Shard thread only, except the atomics.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <vector>

#include "core/shard.h"
#include "net/frame_writer.h"
#include "net/metrics_counts.h"

namespace pubsub::net {

class WsConnection;
class SharedTopicsLink;
struct ShardContext;

// The options a connection obeys.
struct ConnectionSettings {
  std::size_t max_message_bytes = 1024 * 1024;
  bool require_uuid = true;
  bool auto_create_topics = false;
  std::size_t max_subscriptions = std::numeric_limits<std::size_t>::max();
  std::uint32_t max_publish_rate = 0;  // per second; 0: no limit
};

// The server-wide state a connection reads or counts into; any thread.
struct ConnectionCounters {
  std::atomic<bool> shutting_down{false};
  std::atomic<std::uint64_t> slow_consumer_disconnects{0};
  std::atomic<std::uint64_t> next_connection_id{1};
  // Accepted, rejected, ended (GET /metrics); counted through const
  // references to the server too.
  mutable ServerCounts counts;
};

// What one read takes from a socket, into the buffer the shard's
// connections share.
constexpr std::size_t kReadBufferSize = 64 * 1024;

struct ConnectionContext {
  ConnectionContext(core::Shard& shard, const ConnectionSettings& settings, ConnectionCounters& counters)
      : broker_shard(shard), settings(settings), counters(counters) {}
  ConnectionContext(const ConnectionContext&) = delete;
  ConnectionContext& operator=(const ConnectionContext&) = delete;

  ShardContext* owner = nullptr;  // the shard's I/O side, if any (tests have none)
  // --engine redis: the shared topics; null with --engine memory.
  SharedTopicsLink* shared_topics = nullptr;
  core::Shard& broker_shard;
  const ConnectionSettings& settings;
  ConnectionCounters& counters;
  WriterPool writers;
  std::vector<char> read_buffer = std::vector<char>(kReadBufferSize);
  std::vector<WsConnection*> connections;  // every open connection (WsConnection::slot_)
  std::vector<WsConnection*> urgent;       // given replies: to write at the end of this pass
  std::vector<WsConnection*> dirty;        // given events only: to write at the next event write
  std::vector<WsConnection*> closing;      // waiting for the peer's close frame
  // --engine redis: holding acks that wait for their events (released
  // after each drain of the shard, or by the deadline tick at
  // kAckAwaitsEventTimeout).
  std::vector<WsConnection*> acks_awaiting_events;
  // Connections opened with a token, by the Unix second it expires.
  std::multimap<std::int64_t, WsConnection*> token_expiries;
  std::uint32_t idle_epoch = 0;  // idle sweeps so far (see timeouts.h)
  ShardCounts counts;            // this shard's share of GET /metrics
};

}  // namespace pubsub::net
