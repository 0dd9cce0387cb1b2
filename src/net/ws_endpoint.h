// A WebSocket connection with its socket: the I/O that the connection's
// state machine (ws_connection.h) asks for. The session coroutine reads
// and waits through it (read, wait, close); the shard's loop writes
// through it at the end of each pass (flush), tells it when its socket is
// ready (on_readiness, from the shard's epoll set, readiness.h), and after
// any other call into the state machine (a sweep, a tick, the shutdown)
// lets it resume a session whose wait is over (settle).
//
// The socket is a bare descriptor: reads and writes are plain non-blocking
// system calls (a gathered write per loop pass), readiness comes from the
// shard's set, and the session's one pending wait is held in place
// (pending_wait.h). An idle connection is its coroutine frame and nothing
// else.
//
// Lives in its session coroutine's frame; shard thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "net/asio_support.h"
#include "net/connection_slot.h"
#include "net/pending_wait.h"
#include "net/ws_connection.h"

namespace pubsub::net {

struct ShardContext;

class WsEndpoint final : public WsConnection {
 public:
  // Takes over `descriptor` (a connected TCP socket of `protocol`); if the
  // shard cannot watch it, the connection is lost at once.
  WsEndpoint(ShardContext& shard, int descriptor, tcp protocol, std::uint64_t id, std::string early_input,
             std::unique_ptr<auth::Identity> identity);
  // Closes the descriptor unless close() handed it on.
  ~WsEndpoint() override;

  // --- the session ---

  // One non-blocking read into the shard's buffer, reported to the state
  // machine.
  void read();
  // The wait next_action() asked for (wait_readable or wait_wake): it ends
  // when settle() finds it due. One deferred operation, co-awaited without
  // a coroutine frame of its own.
  auto wait() {
    return asio::async_initiate<const asio::deferred_t&, void()>(
        [this](auto handler) {
          wait_.hold(std::move(handler));
          settle();  // due already: readiness may have come first
        },
        asio::deferred);
  }
  // Ends the socket once next_action() says finish: after a close
  // handshake, the output is flushed within kFinalFlushTimeout and the
  // socket lingers (linger_close), in a coroutine of its own that keeps
  // `slot`; otherwise the socket closes at once.
  void close(ConnectionSlot slot);

  // --- the shard ---

  // Writes what the connection has queued, until it is all out or the
  // socket is full; then settle().
  void flush();
  // Resumes the session if its wait is due.
  void settle() {
    if (wait_.pending() && wake_due()) wait_.complete();
  }
  // The shard's epoll set says the socket is ready (EPOLL* `events`).
  void on_readiness(std::uint32_t events);
  // Destroys the session's pending wait, and with it the session: for a
  // shard stopped with sessions still waiting (a shutdown that timed out).
  void abandon() { wait_.drop(); }

 private:
  // Writes the writer's bytes until it is empty or the socket is full.
  void send();
  // Stops watching the descriptor and forgets it; returns it.
  int release();

  ShardContext& shard();

  int descriptor_;
  bool ipv6_;
  PendingWait wait_;
};

}  // namespace pubsub::net
