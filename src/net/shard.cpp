// The shard's loop pass and timers; see shard.h.
#include "net/shard.h"

#include "auth/authenticator.h"
#include "common/log.h"
#include "net/broker_frames.h"
#include "net/server_state.h"
#include "net/timeouts.h"
#include "net/ws_endpoint.h"

namespace pubsub::net {
namespace {

// Ready handlers a shard runs in one pass of its loop before it writes out
// what the pass queued (see run_shard), so that a busy loop still writes.
constexpr int kMaxPassHandlers = 256;

// Every connection of a shard is an endpoint (ws_endpoint.h).
WsEndpoint& endpoint(WsConnection* connection) { return *static_cast<WsEndpoint*>(connection); }

// Ends close handshakes past their deadline, and sends the acks that
// waited for their events past theirs, every kDeadlineTick while there
// are any.
task<void> deadline_tick_loop(ShardContext& shard) {
  ConnectionContext& context = shard.context;
  std::vector<WsConnection*> due;
  while (!context.closing.empty() || !context.acks_awaiting_events.empty()) {
    shard.deadline_tick.expires_after(kDeadlineTick);
    co_await shard.deadline_tick.async_wait(nothrow);
    const auto now = std::chrono::steady_clock::now();
    due = context.closing;  // a connection leaves the list as it ends
    for (WsConnection* connection : due) {
      connection->on_close_tick(now);
      endpoint(connection).settle();
    }
    WsConnection::release_waiting_acks(context, now);
  }
  shard.deadline_tick_running = false;
}

// Ends the connections whose token has expired, every kTokenTick while
// any connection holds a token.
task<void> token_tick_loop(ShardContext& shard) {
  ConnectionContext& context = shard.context;
  std::vector<WsConnection*> expired;
  while (!context.token_expiries.empty()) {
    shard.token_tick.expires_after(kTokenTick);
    auto [ec] = co_await shard.token_tick.async_wait(nothrow);
    if (ec) break;
    const std::int64_t now = auth::unix_now();
    expired.clear();
    for (auto it = context.token_expiries.begin(); it != context.token_expiries.end() && it->first <= now; ++it) {
      expired.push_back(it->second);
    }
    for (WsConnection* connection : expired) {
      connection->on_token_expired();
      endpoint(connection).settle();
    }
  }
  shard.token_tick_running = false;
}

// True if the shard's pools hold spare queues or write buffers.
bool has_spares(ShardContext& shard) {
  return shard.broker_shard.backlogs().spares() + shard.context.writers.spares() > 0;
}

// Frees the spare queues and write buffers that the shard's connections
// did not need in the last kSpareTrimPeriod, every period while any is
// left: a burst's spares last at most two periods after it.
task<void> spare_trim_loop(ShardContext& shard) {
  while (has_spares(shard)) {
    shard.spare_trim.expires_after(kSpareTrimPeriod);
    auto [ec] = co_await shard.spare_trim.async_wait(nothrow);
    if (ec || shard.server.counters.shutting_down.load()) break;
    shard.broker_shard.backlogs().trim();
    shard.context.writers.trim();
  }
  shard.spare_trim_running = false;
}

// --engine redis: the connections to Valkey/Redis keep the loop busy
// after the sessions have ended. Once no connection of the server is left
// (each shard's sessions hold one), the shutdown is done and the loop
// stops; calls still waiting for the store are dropped with it.
task<void> stop_when_sessions_end(ShardContext& shard) {
  constexpr auto kSessionsPoll = std::chrono::milliseconds(20);
  asio::steady_timer poll(shard.ioc);
  while (shard.server.connections.load() > 0) {
    poll.expires_after(kSessionsPoll);
    co_await poll.async_wait(nothrow);
  }
  shard.ioc.stop();
}

}  // namespace

ShardContext::ShardContext(ServerState& server, core::Shard& broker_shard)
    : server(server), broker_shard(broker_shard), context(broker_shard, server.connection_settings, server.counters) {
  context.owner = this;
  broker_shard.set_wake([this] { asio::post(ioc, [] {}); });
}

void ShardContext::abandon_sessions() {
  const std::vector<WsConnection*> waiting = context.connections;
  for (WsConnection* connection : waiting) endpoint(connection).abandon();
  // The abandoned coroutines are destroyed by handlers posted to the loop.
  ioc.restart();
  ioc.poll();
}

void ShardContext::write_out(std::vector<WsConnection*>& list) {
  while (!list.empty()) {
    flushing.swap(list);
    if (flushing.size() > 1 && send_batch.started()) {
      write_batched();
    } else {
      for (WsConnection* connection : flushing) endpoint(connection).flush();
    }
    flushing.clear();
  }
}

// Up to SendBatch::kCapacity connections at a time: each queues its first
// gathered write, the batch is submitted in one system call, and each takes
// its result (and writes what is left directly, which is rare: more than
// one write's worth, or a socket that took only part of it).
void ShardContext::write_batched() {
  std::size_t next = 0;
  while (next < flushing.size()) {
    if (!send_batch.started()) {  // the ring failed: write directly
      for (; next < flushing.size(); ++next) endpoint(flushing[next]).flush();
      return;
    }
    send_batch.clear();
    batched.clear();
    while (next < flushing.size() && !send_batch.full()) {
      WsEndpoint& connection = endpoint(flushing[next++]);
      if (connection.flush_into(send_batch)) batched.push_back(&connection);
    }
    send_batch.submit();
    if (!send_batch.started()) {
      // The ring failed in this submission (its sends were written
      // directly); write_out batches no more, so this is said once.
      log::warn("io_uring failed: each connection is written with its own sendmsg from now on",
                {{"error", send_batch.failure()}});
    }
    for (std::size_t i = 0; i < batched.size(); ++i) batched[i]->finish_send(send_batch.result(i));
  }
}

// Replies (and control frames) are written first, so that publishers
// get their acks while the shard spends its time on the events. Acks that
// wait for their events (--engine redis) are released after the pass's
// last drain, so each follows its event.
void ShardContext::end_pass() {
  WsConnection::deliver_pass(context);
  write_out(context.urgent);
  write_out(context.dirty);
  write_out(context.urgent);
  broker_shard.release_dropped();
  if ((!context.closing.empty() || !context.acks_awaiting_events.empty()) && !deadline_tick_running) {
    deadline_tick_running = true;
    asio::co_spawn(ioc, deadline_tick_loop(*this), asio::detached);
  }
  if (!context.token_expiries.empty() && !token_tick_running &&
      !server.counters.shutting_down.load(std::memory_order_relaxed)) {
    token_tick_running = true;
    asio::co_spawn(ioc, token_tick_loop(*this), asio::detached);
  }
  if (!spare_trim_running && has_spares(*this) && !server.counters.shutting_down.load(std::memory_order_relaxed)) {
    spare_trim_running = true;
    asio::co_spawn(ioc, spare_trim_loop(*this), asio::detached);
  }
}

void ShardContext::begin_shutdown() {
  boost::system::error_code ignored;
  if (heartbeat) heartbeat->cancel();
  if (idle_sweep) idle_sweep->cancel();
  spare_trim.cancel();
  token_tick.cancel();
  for (WsConnection* connection : context.connections) {
    connection->begin_shutdown();
    endpoint(connection).settle();
  }
  for (tcp::socket* socket : idle_http) socket->cancel(ignored);
  work.reset();
  if (store) asio::co_spawn(ioc, stop_when_sessions_end(*this), asio::detached);
}

// Runs one shard's event loop, in passes: it runs ready handlers until none
// is left (or kMaxPassHandlers ran), then ends the pass (end_pass). Under
// load a pass handles many publishes, so each connection's write carries
// many events and each other shard is woken once for all of them; when
// idle, a frame leaves at the end of the pass that queued it, without delay.
//
// A finished TLS write is a handler of its own (a plain write is not), and
// under load every subscriber has one each pass: counted, they would fill
// the bound and leave room for a publish or two per pass, so each pass
// would write every subscriber one event. They are not counted.
void run_shard(ShardContext& shard) {
  while (shard.ioc.run_one() > 0) {
    shard.write_completions = 0;
    for (int ran = 1; ran - shard.write_completions < kMaxPassHandlers && shard.ioc.poll_one() > 0; ++ran) {}
    shard.end_pass();
  }
}

task<void> heartbeat_loop(ShardContext& shard) {
  ServerState& server = shard.server;
  auto& timer = *shard.heartbeat;
  for (;;) {
    timer.expires_after(server.options.heartbeat_interval);
    auto [ec] = co_await timer.async_wait(nothrow);
    if (ec || server.counters.shutting_down.load()) co_return;
    if (shard.context.connections.empty()) continue;
    auto frame = core::Outbound::control(frame_heartbeat(shard.broker_shard.scratch()));
    for (WsConnection* connection : shard.context.connections) connection->push_control(frame);
  }
}

task<void> idle_sweep_loop(ShardContext& shard) {
  ServerState& server = shard.server;
  auto& timer = *shard.idle_sweep;
  const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(server.options.idle_timeout) /
                      kIdleEpochsPerTimeout;
  for (;;) {
    timer.expires_after(period);
    auto [ec] = co_await timer.async_wait(nothrow);
    if (ec || server.counters.shutting_down.load()) co_return;
    const std::uint32_t epoch = ++shard.context.idle_epoch;
    for (WsConnection* connection : shard.context.connections) {
      connection->on_idle_sweep(epoch);
      endpoint(connection).settle();
    }
  }
}

}  // namespace pubsub::net
