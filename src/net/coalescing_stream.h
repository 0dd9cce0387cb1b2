// A stream layer between Beast's WebSocket stream and the TCP stream that
// coalesces writes. The connection appends its queued events and
// replies here already framed (append_frame), once per pass of the shard's
// event loop, and flush() sends everything appended in one socket write.
// Beast's own frames (pongs, pings, close) go through async_write_some and
// are appended the same way. A connection that is sent 100 small events in
// a burst costs one system call instead of 100, and no WebSocket write
// operation per message.
//
// Write-behind is bounded: appending stops being welcome (accepting() is
// false) once kHighWater bytes wait behind the write in flight, and a Beast
// write then completes only when the write in flight has finished, so a
// slow peer stops the writer and the subscriber's own bounded queue (with
// its overflow policy) takes over. The on_written callback tells the owner
// when room is back.
//
// Included by server.cpp only. Single thread: the connection's shard thread.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocol/websocket_frame.h"

namespace pubsub::net {

class CoalescingStream {
 public:
  using next_layer_type = boost::asio::ip::tcp::socket;
  using executor_type = next_layer_type::executor_type;
  using error_code = boost::beast::error_code;

  // Bytes allowed to wait behind the write in flight before writers wait.
  static constexpr std::size_t kHighWater = 64 * 1024;

  explicit CoalescingStream(next_layer_type&& next) : next_(std::move(next)) {}

  executor_type get_executor() noexcept { return next_.get_executor(); }
  next_layer_type& next_layer() noexcept { return next_; }
  const next_layer_type& next_layer() const noexcept { return next_; }

  template <class MutableBufferSequence, class ReadToken>
  auto async_read_some(const MutableBufferSequence& buffers, ReadToken&& token) {
    return next_.async_read_some(buffers, std::forward<ReadToken>(token));
  }

  // Appends `buffers` to the outgoing bytes; completes with their full size
  // (see the class comment for when), or with the error of a failed flush.
  template <class ConstBufferSequence, class WriteToken>
  auto async_write_some(const ConstBufferSequence& buffers, WriteToken&& token) {
    return boost::asio::async_initiate<WriteToken, void(error_code, std::size_t)>(
        [this](auto handler, const ConstBufferSequence& b) { start_write(std::move(handler), b); }, token, buffers);
  }

  // True while more frames are welcome: no write failed and fewer than
  // kHighWater bytes wait behind the write in flight.
  bool accepting() const { return !error_ && pending_.size() < kHighWater; }
  // True when every appended byte has been written: nothing pending or in flight.
  bool idle() const { return !flushing_ && pending_.empty(); }
  // The error of a failed write; every later write fails with it.
  error_code error() const { return error_; }
  // Appends `payload` as one WebSocket text frame; flush() sends it.
  void append_frame(std::string_view payload) {
    if (!error_) protocol::append_server_text_frame(pending_, payload);
  }
  // Starts writing what was appended, unless a write is in flight (its
  // completion then writes the rest).
  void flush() {
    if (!flushing_ && !pending_.empty() && !error_) start_flush();
  }
  // Called after every socket write that completed or failed (room for more
  // frames, or an error to notice). Cleared by passing an empty function.
  void on_written(std::function<void()> callback) { on_written_ = std::move(callback); }

  // Completes once no write is in flight; the stream may then be destroyed.
  template <class WaitToken>
  auto async_wait_flushed(WaitToken&& token) {
    return boost::asio::async_initiate<WaitToken, void(error_code)>(
        [this](auto handler) { when_flushed(std::move(handler)); }, token);
  }

  // Calls `handler` once every appended byte has been written (or failed).
  template <class Handler>
  void when_flushed(Handler&& handler) {
    if (!flushing_) {
      boost::asio::post(get_executor(), [h = std::forward<Handler>(handler), ec = error_]() mutable { std::move(h)(ec); });
      return;
    }
    flush_waiters_.emplace_back(std::forward<Handler>(handler));
  }

  // Beast's teardown customization points: flush first, then the TCP teardown.
  template <class TeardownHandler>
  friend void async_teardown(boost::beast::role_type role, CoalescingStream& stream, TeardownHandler&& handler) {
    stream.when_flushed([&stream, role, h = std::forward<TeardownHandler>(handler)](error_code) mutable {
      using boost::beast::websocket::async_teardown;
      async_teardown(role, stream.next_, std::move(h));
    });
  }
  friend void teardown(boost::beast::role_type role, CoalescingStream& stream, error_code& ec) {
    using boost::beast::websocket::teardown;
    teardown(role, stream.next_, ec);
  }

 private:
  using WriteHandler = boost::asio::any_completion_handler<void(error_code, std::size_t)>;

  template <class Handler, class Buffers>
  void start_write(Handler handler, const Buffers& buffers) {
    std::size_t n = boost::asio::buffer_size(buffers);
    if (error_) return complete(std::move(handler), error_, 0);
    std::size_t old = pending_.size();
    pending_.resize(old + n);
    boost::asio::buffer_copy(boost::asio::buffer(pending_.data() + old, n), buffers);
    if (!flushing_) start_flush();
    if (pending_.size() < kHighWater) return complete(std::move(handler), {}, n);
    blocked_.emplace(std::move(handler));  // Beast has at most one write outstanding
    blocked_size_ = n;
  }

  template <class Handler>
  void complete(Handler&& handler, error_code ec, std::size_t n) {
    boost::asio::post(get_executor(), [h = std::forward<Handler>(handler), ec, n]() mutable { std::move(h)(ec, n); });
  }

  void start_flush() {
    flushing_ = true;
    std::swap(pending_, sending_);
    pending_.clear();
    if (blocked_) {  // its bytes are in `sending_` now: room again
      complete(std::move(*blocked_), {}, blocked_size_);
      blocked_.reset();
    }
    boost::asio::async_write(next_, boost::asio::buffer(sending_),
                             [this](error_code ec, std::size_t) { on_flushed(ec); });
  }

  void on_flushed(error_code ec) {
    sending_.clear();
    if (sending_.capacity() > 16 * 1024) std::string().swap(sending_);  // idle connections stay small
    if (ec) {
      error_ = ec;
      pending_.clear();
      if (blocked_) {
        complete(std::move(*blocked_), ec, 0);
        blocked_.reset();
      }
    } else if (!pending_.empty()) {
      start_flush();
      if (on_written_) on_written_();
      return;
    }
    flushing_ = false;
    for (auto& waiter : std::exchange(flush_waiters_, {})) {
      boost::asio::post(get_executor(), [h = std::move(waiter), ec = error_]() mutable { std::move(h)(ec); });
    }
    if (on_written_) on_written_();
  }

  next_layer_type next_;
  std::string pending_;  // appended while a write is in flight
  std::string sending_;  // the write in flight
  bool flushing_ = false;
  error_code error_;     // sticky: a failed flush fails every later write
  std::optional<WriteHandler> blocked_;
  std::size_t blocked_size_ = 0;
  std::vector<boost::asio::any_completion_handler<void(error_code)>> flush_waiters_;
  std::function<void()> on_written_;
};

}  // namespace pubsub::net
