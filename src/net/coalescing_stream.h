// A stream layer between Beast's WebSocket stream and the TCP stream that
// coalesces writes: every frame Beast writes (our events and replies, and
// its own pongs, pings and close frames) is appended to a buffer, and one
// socket write sends everything appended while the previous write was in
// flight. A connection that is sent 100 small events in a burst costs one
// system call instead of 100.
//
// Write-behind is bounded: a write completes at once while less than
// kHighWater bytes wait, and otherwise only when the write in flight has
// finished, so a slow peer still stops the writer and the subscriber's own
// bounded queue (with its overflow policy) takes over.
//
// Included by server.cpp only. Single thread: the connection's shard thread.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pubsub::net {

class CoalescingStream {
 public:
  using next_layer_type = boost::beast::tcp_stream;
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

  // While corked, appended bytes wait for uncork() (or for kHighWater)
  // instead of starting a write each: the writer corks around a drain of
  // its queue so that the whole drain leaves in one system call.
  void cork() { corked_ = true; }
  void uncork() {
    corked_ = false;
    if (!flushing_ && !pending_.empty() && !error_) start_flush();
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
    if (!flushing_ && (!corked_ || pending_.size() >= kHighWater)) start_flush();
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
    } else if (!pending_.empty() && (!corked_ || pending_.size() >= kHighWater)) {
      start_flush();
      return;
    }
    flushing_ = false;
    for (auto& waiter : std::exchange(flush_waiters_, {})) {
      boost::asio::post(get_executor(), [h = std::move(waiter), ec = error_]() mutable { std::move(h)(ec); });
    }
  }

  next_layer_type next_;
  std::string pending_;  // appended while a write is in flight
  std::string sending_;  // the write in flight
  bool flushing_ = false;
  bool corked_ = false;
  error_code error_;     // sticky: a failed flush fails every later write
  std::optional<WriteHandler> blocked_;
  std::size_t blocked_size_ = 0;
  std::vector<boost::asio::any_completion_handler<void(error_code)>> flush_waiters_;
};

}  // namespace pubsub::net
