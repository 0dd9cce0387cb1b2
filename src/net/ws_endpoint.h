// A WebSocket connection with its socket: the I/O that the connection's
// state machine (ws_connection.h) asks for. The session coroutine reads
// and waits through it (read, wait, close); the shard's loop writes
// through it at the end of each pass (flush), tells it when its socket is
// ready (on_readiness, from the shard's epoll set, readiness.h), and after
// any other call into the state machine (a sweep, a tick, the shutdown)
// lets it resume a session whose wait is over (settle).
//
// Over plain TCP the socket is a bare descriptor: reads and writes are
// plain non-blocking system calls (a gathered write per loop pass, handed
// to the kernel with the pass's other writes where the shard batches them,
// send_batch.h), readiness comes from the shard's set, and the session's
// one pending wait is held in place (pending_wait.h). An idle connection is its coroutine
// frame and nothing else.
//
// Over TLS (tls.h) the connection keeps the TLS stream of its HTTP phase:
// the session reads with an asynchronous read into the channel's own
// buffer, and each loop pass's frames are gathered into one write of up to
// 64 KiB (full TLS records), one write at a time.
//
// Lives in its session coroutine's frame; shard thread only.
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "net/asio_support.h"
#include "net/connection_slot.h"
#include "net/pending_wait.h"
#include "net/ws_connection.h"

namespace pubsub::net {

class SendBatch;
struct ShardContext;
struct TlsChannel;

class WsEndpoint final : public WsConnection {
 public:
  // Takes over `descriptor` (a connected TCP socket of `protocol`); if the
  // shard cannot watch it, the connection is lost at once.
  WsEndpoint(ShardContext& shard, int descriptor, tcp protocol, std::uint64_t id, std::string early_input,
             std::unique_ptr<auth::Identity> identity);
  // Takes over a TLS connection.
  WsEndpoint(ShardContext& shard, std::shared_ptr<TlsChannel> tls, std::uint64_t id, std::string early_input,
             std::unique_ptr<auth::Identity> identity);
  // Closes the descriptor unless close() handed it on.
  ~WsEndpoint() override;

  // --- the session ---

  // One non-blocking read into the shard's buffer, reported to the state
  // machine.
  void read();
  // Over TLS, reads are asynchronous: co_await read_tls(), then report
  // what it gave with on_tls_read().
  bool tls() const { return tls_ != nullptr; }
  auto read_tls() {
    return asio::async_initiate<decltype(nothrow), void(boost::system::error_code, std::size_t)>(
        [this](auto handler) { start_tls_read(std::move(handler)); }, nothrow);
  }
  void on_tls_read(boost::system::error_code ec, std::size_t n);
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
  // The same through the shard's batch of writes (send_batch.h): queues
  // the connection's first gathered write in `batch` and returns true;
  // finish_send() takes its result once the batch is submitted. Returns
  // false when it queued nothing: nothing to write, or a TLS connection,
  // which it writes as flush() does.
  bool flush_into(SendBatch& batch);
  // The result of the write flush_into() queued (bytes, or -errno); writes
  // the rest directly, if any, then settle().
  void finish_send(ssize_t result);
  // Resumes the session if its wait is due (over TLS, ends its read once
  // the connection has ended).
  void settle() {
    if (wait_.pending() && wake_due()) wait_.complete();
    if (tls_ && wake_due_for_read()) cancel_tls();
  }
  // The shard's epoll set says the socket is ready (EPOLL* `events`).
  void on_readiness(std::uint32_t events);
  // An answer from the shared topics came: the session may resume.
  void on_shared_answer() override { settle(); }
  // Destroys the session's pending wait, and with it the session: for a
  // shard stopped with sessions still waiting (a shutdown that timed out).
  void abandon();

 private:
  // Writes the writer's bytes until it is empty or the socket is full.
  void send();
  // Reports one write's result (bytes, or -errno) to the state machine.
  void take_send_result(ssize_t result);
  // Over TLS: starts one write of what the writer holds, unless one is
  // under way.
  void send_tls();
  void start_tls_read(asio::any_completion_handler<void(boost::system::error_code, std::size_t)> handler);
  bool wake_due_for_read() const { return state() == State::closed || state() == State::lost; }
  // Ends the TLS read under way, if any.
  void cancel_tls();
  void close_tls(ConnectionSlot slot);
  // Stops watching the descriptor and forgets it; returns it.
  int release();
  // Bytes wait in the socket's receive buffer (or, over TLS, in OpenSSL's).
  bool input_pending() override;

  ShardContext& shard();

  int descriptor_;
  bool ipv6_;
  PendingWait wait_;
  std::shared_ptr<TlsChannel> tls_;  // null over plain TCP
};

}  // namespace pubsub::net
