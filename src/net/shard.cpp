// The shard's loop pass and timers; see shard.h.
#include "net/shard.h"

#include "net/broker_frames.h"
#include "net/server_state.h"
#include "net/timeouts.h"
#include "net/ws_connection.h"
#include "protocol/messages.h"

namespace pubsub::net {
namespace {

// Ready handlers a shard runs in one pass of its loop before it writes out
// what the pass queued (see run_shard), so that a busy loop still writes.
constexpr int kMaxPassHandlers = 256;

}  // namespace

void ShardContext::flush_dirty() {
  while (!dirty.empty()) {
    flushing.swap(dirty);
    for (WsConnection* connection : flushing) connection->flush();
    flushing.clear();
  }
}

// Runs one shard's event loop, in passes: it runs ready handlers until none
// is left (or kMaxPassHandlers ran), then writes out every connection that
// the pass gave frames, one socket write each. Under load a pass handles
// many publishes, so each connection's write carries many events; when idle,
// a frame leaves at the end of the pass that queued it, without delay.
void run_shard(ShardContext& shard) {
  while (shard.ioc.run_one() > 0) {
    for (int ran = 1; ran < kMaxPassHandlers && shard.ioc.poll_one() > 0; ++ran) {
    }
    shard.flush_dirty();
    shard.broker_shard.release_dropped();
  }
}

task<void> heartbeat_loop(ServerState& server, ShardContext& shard) {
  auto& timer = *shard.heartbeat;
  for (;;) {
    timer.expires_after(server.options.heartbeat_interval);
    auto [ec] = co_await timer.async_wait(nothrow);
    if (ec || server.shutting_down.load()) co_return;
    if (shard.connections.empty()) continue;
    auto frame = core::make_control_frame(protocol::make_heartbeat(now_ts()));
    for (WsConnection* connection : shard.connections) connection->subscriber().push_control(frame);
  }
}

task<void> idle_sweep_loop(ServerState& server, ShardContext& shard) {
  auto& timer = *shard.idle_sweep;
  const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(server.options.idle_timeout) /
                      kIdleEpochsPerTimeout;
  for (;;) {
    timer.expires_after(period);
    auto [ec] = co_await timer.async_wait(nothrow);
    if (ec || server.shutting_down.load()) co_return;
    ++shard.idle_epoch;
    for (WsConnection* connection : shard.connections) connection->check_idle(shard.idle_epoch);
  }
}

}  // namespace pubsub::net
