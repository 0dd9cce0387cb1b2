// The WebSocket connection's I/O; see ws_endpoint.h.
#include "net/ws_endpoint.h"

#include <array>
#include <boost/beast/core/tcp_stream.hpp>

#include "net/linger.h"
#include "net/shard.h"
#include "net/timeouts.h"

namespace pubsub::net {
namespace {

// Buffers per gathered write (Asio's limit for one system call on Linux).
constexpr std::size_t kMaxGather = 64;

// Copies the writer's next buffers into `out`; returns how many.
std::size_t next_buffers(const FrameWriter& writer, std::array<asio::const_buffer, kMaxGather>& out) {
  std::array<WriteBuffer, kMaxGather> pieces;
  const std::size_t count = writer.gather(pieces);
  for (std::size_t i = 0; i < count; ++i) out[i] = asio::const_buffer(pieces[i].data, pieces[i].size);
  return count;
}

bool would_block(const boost::system::error_code& ec) {
  return ec == asio::error::would_block || ec == asio::error::try_again;
}

}  // namespace

WsEndpoint::WsEndpoint(ShardContext& shard, shard_socket socket, std::uint64_t id, std::string early_input)
    : WsConnection(shard.context, id, std::move(early_input)), shard_(shard), socket_(std::move(socket)) {
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);  // reads and writes never block the shard
}

WsEndpoint::~WsEndpoint() = default;

void WsEndpoint::read() {
  boost::system::error_code ec;
  const std::size_t n = socket_.read_some(asio::buffer(read_space().data(), read_space().size()), ec);
  if (would_block(ec)) {
    on_read_would_block();
  } else if (ec) {
    on_read_end(ec != asio::error::eof);
  } else {
    on_read(n);
  }
}

void WsEndpoint::flush() {
  if (!begin_flush()) return;
  send();
  settle();
}

void WsEndpoint::send() {
  std::array<asio::const_buffer, kMaxGather> buffers;
  while (!send_blocked() && !writer().empty()) {
    const std::size_t count = next_buffers(writer(), buffers);
    boost::system::error_code ec;
    const std::size_t n = socket_.write_some(std::span<const asio::const_buffer>(buffers.data(), count), ec);
    if (!ec) {
      on_sent(n);
    } else if (would_block(ec)) {
      on_send_blocked();
      arm_write_wait();
    } else {
      on_send_failed();
    }
  }
}

void WsEndpoint::arm_write_wait() {
  if (write_waiting_) return;
  write_waiting_ = true;
  socket_.async_wait(shard_socket::wait_write, [this](boost::system::error_code ec) {
    write_waiting_ = false;
    if (finishing_) return wake();  // the session waits for this wait to end
    if (!ec) on_writable();
    settle();
  });
}

void WsEndpoint::settle() {
  if (wake_due()) wake();
  if (interrupt_due()) {
    boost::system::error_code ignored;
    socket_.cancel(ignored);
  }
}

void WsEndpoint::wake() {
  if (!wake_handler_) return;
  asio::post(socket_.get_executor(),
             [handler = std::move(wake_handler_)]() mutable { std::move(handler)(boost::system::error_code{}); });
}

task<void> WsEndpoint::finish() {
  finishing_ = true;
  boost::system::error_code ignored;
  socket_.cancel(ignored);  // a pending wait for writability ends
  while (write_waiting_) co_await wait_wake();
  if (state() != State::closed) {
    socket_.close(ignored);
    co_return;
  }
  // The close frame (and what is left before it) goes out first; then the
  // peer may still be sending.
  boost::beast::tcp_stream stream(tcp::socket(std::move(socket_)));
  stream.expires_after(kFinalFlushTimeout);
  std::array<asio::const_buffer, kMaxGather> buffers;
  while (!writer().empty()) {
    const std::size_t count = next_buffers(writer(), buffers);
    auto [ec, n] = co_await asio::async_write(stream, std::span<const asio::const_buffer>(buffers.data(), count),
                                              nothrow);
    if (ec) break;
    writer().consume(writer_pool(), n);
  }
  writer().discard(writer_pool());
  co_await linger_close(stream);
}

}  // namespace pubsub::net
