// The writing half of a WebSocket connection: it owns the socket and
// coalesces frames. The connection appends its queued events and replies
// here already framed, once per pass of the shard's event loop, plus the
// control frames it answers (pong, ping, close), and flush() sends
// everything appended in one socket write. A connection that is sent 100
// small events in a burst costs one system call instead of 100.
//
// Write-behind is bounded: appending stops being welcome (accepting() is
// false) once kHighWater bytes wait behind the write in flight, so a slow
// peer stops the connection's writer and the subscriber's own bounded queue
// (with its overflow policy) takes over. The on_written callback tells the
// owner when room is back.
//
// Included by server.cpp only. Single thread: the connection's shard thread.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/any_completion_handler.hpp>
#include <string>
#include <utility>
#include <vector>

#include "protocol/websocket_frame.h"

namespace pubsub::net {

class FrameWriter {
 public:
  // The shard's own executor type: its sockets and their operations are
  // smaller than with the type-erased any_io_executor.
  using executor_type = boost::asio::io_context::executor_type;
  using socket_type = boost::asio::basic_stream_socket<boost::asio::ip::tcp, executor_type>;
  using error_code = boost::system::error_code;

  // Bytes allowed to wait behind the write in flight before the writer waits.
  static constexpr std::size_t kHighWater = 64 * 1024;
  // Between writes a buffer is kept only if it is a busy connection's: at
  // least kKeepMin (an idle connection's one small reply is given back) and
  // at most kKeepMax (a burst's large buffer is given back). Freeing every
  // buffer at every idle moment made each loop pass regrow them (S2: 4x
  // the CPU per delivery).
  static constexpr std::size_t kKeepMin = 1024;
  static constexpr std::size_t kKeepMax = 16 * 1024;

  explicit FrameWriter(socket_type&& socket) : socket_(std::move(socket)) {}

  socket_type& socket() noexcept { return socket_; }

  // True while more frames are welcome: no write failed and fewer than
  // kHighWater bytes wait behind the write in flight.
  bool accepting() const { return !error_ && pending_.size() < kHighWater; }
  // True when every appended byte has been written: nothing pending or in flight.
  bool idle() const { return !flushing_ && pending_.empty(); }
  // The error of a failed write; every later append is dropped.
  error_code error() const { return error_; }

  // Appends `payload` as one text frame; flush() sends it.
  void append_frame(std::string_view payload) { append(protocol::Opcode::text, payload); }
  // Appends a control frame (payload of at most 125 bytes).
  void append(protocol::Opcode opcode, std::string_view payload) {
    if (!error_) protocol::append_server_frame(pending_, opcode, payload);
  }
  void append_close(std::uint16_t code) {
    if (!error_) protocol::append_close_frame(pending_, code);
  }
  // Starts writing what was appended, unless a write is in flight (its
  // completion then writes the rest).
  void flush() {
    if (!flushing_ && !pending_.empty() && !error_) start_flush();
  }
  // `callback(context)` is called after every socket write that completed
  // or failed (room for more frames, or an error to notice); null clears it.
  // A plain pointer pair, not a std::function: every connection holds one.
  void on_written(void (*callback)(void*), void* context) {
    on_written_ = callback;
    written_context_ = context;
  }

  // Completes once no write is in flight; the socket may then be moved or destroyed.
  template <class WaitToken>
  auto async_wait_flushed(WaitToken&& token) {
    return boost::asio::async_initiate<WaitToken, void(error_code)>(
        [this](auto handler) { when_flushed(std::move(handler)); }, token);
  }

  // Calls `handler` (posted) once no write is in flight.
  template <class Handler>
  void when_flushed(Handler&& handler) {
    if (!flushing_) {
      boost::asio::post(socket_.get_executor(),
                        [h = std::forward<Handler>(handler), ec = error_]() mutable { std::move(h)(ec); });
      return;
    }
    flush_waiters_.emplace_back(std::forward<Handler>(handler));
  }

 private:
  static void release_unless_busy_size(std::string& buffer) {
    if (buffer.capacity() < kKeepMin || buffer.capacity() > kKeepMax) std::string().swap(buffer);
  }

  void start_flush() {
    flushing_ = true;
    std::swap(pending_, sending_);
    pending_.clear();
    boost::asio::async_write(socket_, boost::asio::buffer(sending_),
                             [this](error_code ec, std::size_t) { on_flushed(ec); });
  }

  void on_flushed(error_code ec) {
    sending_.clear();
    if (ec) {
      error_ = ec;
      pending_.clear();
    } else if (!pending_.empty()) {
      start_flush();
      if (on_written_) on_written_(written_context_);
      return;
    }
    flushing_ = false;
    release_unless_busy_size(sending_);
    release_unless_busy_size(pending_);
    for (auto& waiter : std::exchange(flush_waiters_, {})) {
      boost::asio::post(socket_.get_executor(), [h = std::move(waiter), ec = error_]() mutable { std::move(h)(ec); });
    }
    if (on_written_) on_written_(written_context_);
  }

  socket_type socket_;
  std::string pending_;  // appended while a write is in flight
  std::string sending_;  // the write in flight
  error_code error_;     // sticky: a failed write drops every later frame
  std::vector<boost::asio::any_completion_handler<void(error_code)>> flush_waiters_;
  void (*on_written_)(void*) = nullptr;
  void* written_context_ = nullptr;
  bool flushing_ = false;
};

}  // namespace pubsub::net
