// The WebSocket connection's I/O; see ws_endpoint.h.
#include "net/ws_endpoint.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <boost/beast/core/tcp_stream.hpp>
#include <cerrno>

#include "net/gathered_send.h"
#include "net/linger.h"
#include "net/readiness.h"
#include "net/send_batch.h"
#include "net/session.h"
#include "net/shard.h"
#include "net/timeouts.h"
#include "net/tls.h"

namespace pubsub::net {
namespace {

// Buffers per gathered write.
constexpr std::size_t kMaxGather = 64;
static_assert(kMaxGather <= SendBatch::kMaxPieces);
// The most a TLS write gathers: four full records.
constexpr std::size_t kTlsWriteChunk = 64 * 1024;

bool would_block(int error) { return error == EAGAIN || error == EWOULDBLOCK; }

// Appends the next buffers `writer` gathers to `out`; returns their size
// (the writer still holds them: consume or on_sent them).
std::size_t append_gathered(FrameWriter& writer, std::string& out) {
  std::array<WriteBuffer, kMaxGather> pieces;
  const std::size_t count = writer.gather(pieces);
  std::size_t n = 0;
  for (std::size_t i = 0; i < count; ++i) {
    out.append(pieces[i].data, pieces[i].size);
    n += pieces[i].size;
  }
  return n;
}

// Writes `pending` (the close frame, and what was left before it) within
// kFinalFlushTimeout, then closes gently (linger_close). The connection
// keeps its slot until then.
task<void> linger_session(tcp::socket socket, std::string pending, [[maybe_unused]] ConnectionSlot slot) {
  boost::beast::tcp_stream stream(std::move(socket));
  stream.expires_after(kFinalFlushTimeout);
  auto [ec, n] = co_await asio::async_write(stream, asio::buffer(pending), nothrow);
  if (!ec) co_await linger_close(stream);
}

}  // namespace

WsEndpoint::WsEndpoint(ShardContext& shard, int descriptor, tcp protocol, std::uint64_t id, std::string early_input,
                       std::unique_ptr<auth::Identity> identity)
    : WsConnection(shard.context, id, std::move(early_input), std::move(identity)),
      descriptor_(descriptor),
      ipv6_(protocol == tcp::v6()) {
  const int flags = ::fcntl(descriptor_, F_GETFL);
  if (flags < 0 || ::fcntl(descriptor_, F_SETFL, flags | O_NONBLOCK) != 0 || !shard.readiness.add(descriptor_, *this)) {
    ::close(std::exchange(descriptor_, -1));
    on_read_end(true);
  }
}

WsEndpoint::WsEndpoint(ShardContext& shard, std::shared_ptr<TlsChannel> tls, std::uint64_t id, std::string early_input,
                       std::unique_ptr<auth::Identity> identity)
    : WsConnection(shard.context, id, std::move(early_input), std::move(identity)),
      descriptor_(-1),
      ipv6_(false),
      tls_(std::move(tls)) {
  tls_->owner = this;
  tls_->shard_context = &shard.ioc;
}

WsEndpoint::~WsEndpoint() {
  if (descriptor_ >= 0) ::close(release());
  if (tls_) {
    tls_->owner = nullptr;
    boost::system::error_code ignored;
    boost::beast::get_lowest_layer(tls_->stream).socket().close(ignored);
  }
}

void WsEndpoint::abandon() {
  wait_.drop();
  cancel_tls();  // a session reading over TLS ends too
}

ShardContext& WsEndpoint::shard() { return *context().owner; }

int WsEndpoint::release() {
  shard().readiness.remove(descriptor_);
  return std::exchange(descriptor_, -1);
}

void WsEndpoint::read() {
  const std::span<char> space = read_space();
  for (;;) {
    const ssize_t n = ::recv(descriptor_, space.data(), space.size(), 0);
    if (n > 0) return on_read(static_cast<std::size_t>(n));
    if (n == 0) return on_read_end(false);
    if (errno == EINTR) continue;
    if (would_block(errno)) return on_read_would_block();
    return on_read_end(true);
  }
}

bool WsEndpoint::input_pending() {
  if (tls_) {
    if (SSL_pending(tls_->stream.native_handle()) > 0) return true;
    boost::system::error_code ec;
    return boost::beast::get_lowest_layer(tls_->stream).socket().available(ec) > 0 && !ec;
  }
  int bytes = 0;
  return descriptor_ >= 0 && ::ioctl(descriptor_, FIONREAD, &bytes) == 0 && bytes > 0;
}

void WsEndpoint::on_readiness(std::uint32_t events) {
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) on_input_ready();
  if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) on_writable();
  settle();
}

void WsEndpoint::flush() {
  if (!begin_flush()) return;
  if (tls_) {
    send_tls();
  } else {
    send();
  }
  settle();
}

bool WsEndpoint::flush_into(SendBatch& batch) {
  if (!begin_flush()) return false;
  if (tls_ || send_blocked() || writer().empty()) {
    if (tls_) send_tls();
    settle();
    return false;
  }
  std::array<WriteBuffer, kMaxGather> pieces;
  const std::size_t count = writer().gather(pieces);
  batch.add(descriptor_, std::span<const WriteBuffer>(pieces.data(), count));
  return true;
}

void WsEndpoint::finish_send(ssize_t result) {
  take_send_result(result);
  send();
  settle();
}

// ------------------------------------------------------------------ TLS

void WsEndpoint::start_tls_read(asio::any_completion_handler<void(boost::system::error_code, std::size_t)> handler) {
  tls_->reading = true;
  tls_->stream.async_read_some(asio::buffer(tls_->input), std::move(handler));
}

void WsEndpoint::on_tls_read(boost::system::error_code ec, std::size_t n) {
  tls_->reading = false;
  if (ec) {
    const bool clean = ec == asio::error::eof || ec == ssl::error::stream_truncated;
    return on_read_end(!clean);
  }
  on_input(std::span<char>(tls_->input.data(), n));
}

void WsEndpoint::cancel_tls() {
  if (!tls_ || !tls_->reading) return;
  boost::system::error_code ignored;
  boost::beast::get_lowest_layer(tls_->stream).socket().cancel(ignored);
}

// One write at a time: the frames the writer holds are gathered into the
// channel's output (one pass's frames become a few full TLS records), and
// the writer refills from the queue while the write is under way. Its
// completion asks for the next end-of-pass flush (on_writable).
void WsEndpoint::send_tls() {
  TlsChannel& channel = *tls_;
  if (channel.writing) return on_send_blocked();
  channel.output.clear();
  while (!writer().empty() && channel.output.size() < kTlsWriteChunk)
    on_sent(append_gathered(writer(), channel.output));
  if (channel.output.empty()) return;
  channel.writing = true;
  on_send_blocked();
  asio::async_write(channel.stream, asio::buffer(channel.output),
                    [tls = tls_](boost::system::error_code ec, std::size_t) {
                      tls->writing = false;
                      if (tls->owner == nullptr) {
                        // The connection ended gently during the write: its close follows.
                        if (tls->closing_slot) {
                          ConnectionSlot slot = std::move(*tls->closing_slot);
                          tls->closing_slot.reset();
                          std::string pending = std::move(tls->close_output);
                          asio::co_spawn(*tls->shard_context, tls_close(tls, std::move(pending), std::move(slot)),
                                         log_session_exception);
                        }
                        return;
                      }
                      WsEndpoint& owner = *tls->owner;
                      owner.shard().write_completions += 1;
                      if (ec) {
                        owner.on_send_failed();
                      } else {
                        owner.on_writable();
                      }
                      owner.settle();
                    });
}

void WsEndpoint::close_tls(ConnectionSlot slot) {
  std::shared_ptr<TlsChannel> channel = std::move(tls_);
  channel->owner = nullptr;
  boost::system::error_code ignored;
  if (state() != State::closed) {
    boost::beast::get_lowest_layer(channel->stream).socket().close(ignored);
    return;
  }
  std::string pending;
  while (!writer().empty()) writer().consume(writer_pool(), append_gathered(writer(), pending));
  if (channel->writing) {
    channel->closing_slot.emplace(std::move(slot));
    channel->close_output = std::move(pending);
    return;
  }
  asio::co_spawn(shard().ioc, tls_close(std::move(channel), std::move(pending), std::move(slot)),
                 log_session_exception);
}

void WsEndpoint::send() {
  std::array<WriteBuffer, kMaxGather> pieces;
  std::array<iovec, kMaxGather> iov;
  while (!send_blocked() && !writer().empty()) {
    const std::size_t count = writer().gather(pieces);
    const msghdr message = gathered_message(std::span<const WriteBuffer>(pieces.data(), count), iov);
    take_send_result(send_gathered(descriptor_, message));
  }
}

void WsEndpoint::take_send_result(ssize_t result) {
  if (result >= 0) {
    on_sent(static_cast<std::size_t>(result));
  } else if (result == -EINTR) {
    // nothing was written: the caller writes again
  } else if (would_block(static_cast<int>(-result))) {
    on_send_blocked();  // the set's EPOLLOUT says when there is room
  } else {
    on_send_failed();
  }
}

void WsEndpoint::close(ConnectionSlot slot) {
  if (tls_) return close_tls(std::move(slot));
  if (descriptor_ < 0) return;
  if (state() != State::closed) {
    ::close(release());
    return;
  }
  // The close frame (and what is left before it) goes out from a coroutine
  // of its own; then the peer may still be sending.
  std::string pending;
  pending.reserve(writer().pending());
  while (!writer().empty()) writer().consume(writer_pool(), append_gathered(writer(), pending));
  tcp::socket socket(shard().ioc);
  boost::system::error_code ec;
  const int descriptor = release();
  socket.assign(ipv6_ ? tcp::v6() : tcp::v4(), descriptor, ec);
  if (ec) {
    ::close(descriptor);
    return;
  }
  asio::co_spawn(shard().ioc, linger_session(std::move(socket), std::move(pending), std::move(slot)),
                 log_session_exception);
}

}  // namespace pubsub::net
