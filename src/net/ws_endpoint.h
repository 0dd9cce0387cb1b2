// A WebSocket connection with its socket: the I/O that the connection's
// state machine (ws_connection.h) asks for. The session coroutine reads
// and waits through it (read, wait_readable, wait_wake, finish); the
// shard's loop writes through it at the end of each pass (flush), and
// after any other call into the state machine (a sweep, a tick, the
// shutdown) lets it wake or interrupt the session (settle).
//
// Writes are plain non-blocking gathered writes: a connection whose socket
// takes everything costs one system call per pass and no Asio operation.
// Only a full socket arms a wait for writability.
//
// Lives in its session coroutine's frame; shard thread only.
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <cstdint>
#include <string>

#include "net/asio_support.h"
#include "net/ws_connection.h"

namespace pubsub::net {

struct ShardContext;

class WsEndpoint final : public WsConnection {
 public:
  WsEndpoint(ShardContext& shard, shard_socket socket, std::uint64_t id, std::string early_input);
  ~WsEndpoint() override;

  // --- the session ---

  // One non-blocking read into the shard's buffer, reported to the state
  // machine.
  void read();
  // Waits for the socket to be readable (a deferred operation: co-awaited
  // without a coroutine frame of its own).
  auto wait_readable() { return socket_.async_wait(shard_socket::wait_read, nothrow); }
  // Waits until wake() is called.
  auto wait_wake() {
    return asio::async_initiate<decltype(nothrow), void(boost::system::error_code)>(
        [this](auto handler) { wake_handler_ = std::move(handler); }, nothrow);
  }
  // Ends the socket once the state machine says finish: gently (the output
  // flushed within kFinalFlushTimeout, then linger_close) after a close
  // handshake, at once otherwise.
  task<void> finish();

  // --- the shard's loop ---

  // Writes what the connection has queued, until it is all out or the
  // socket is full; then settle().
  void flush();
  // Wakes the session if it waits for a wake-up that is due, or
  // interrupts its wait for the socket if the connection is over.
  void settle();

 private:
  // Writes the writer's bytes until it is empty or the socket is full.
  void send();
  void arm_write_wait();
  void wake();

  ShardContext& shard_;
  shard_socket socket_;
  asio::any_completion_handler<void(boost::system::error_code)> wake_handler_;
  bool write_waiting_ = false;  // a wait for writability is pending
  bool finishing_ = false;      // finish() runs: only it may be woken
};

}  // namespace pubsub::net
