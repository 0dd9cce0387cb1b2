// One client WebSocket connection of pubsub-bench on Asio: connect (from a
// chosen source address, with a chosen receive buffer), the upgrade
// handshake, whole-frame writes, and reads that hand every text message to
// a callback (server frames read by protocol/client_frames.h; pings
// answered, fragments joined). With --tls it speaks TLS over the same
// socket. Also the subscribe exchange.
//
// Not thread-safe: a connection is used by the coroutines of the one
// io_context thread it was made on.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "bench/options.h"
#include "bench/requests.h"
#include "protocol/client_frames.h"

namespace pubsub::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

inline constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

// Received bytes not yet handled. The socket reads into the free tail
// directly: nothing is cleared or copied per read, only the unhandled rest
// of a partial frame is moved to the front.
class ReceiveBuffer {
 public:
  const char* data() const { return bytes_.get(); }
  std::size_t size() const { return size_; }
  // Room for at least `n` more bytes after the data.
  asio::mutable_buffer free_space(std::size_t n);
  // Takes in `n` bytes written into free_space.
  void commit(std::size_t n) { size_ += n; }
  // Copies `bytes` in after the data.
  void append(std::string_view bytes);
  // Drops the first `n` bytes.
  void consume(std::size_t n);

 private:
  std::unique_ptr<char[]> bytes_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

class Connection {
 public:
  explicit Connection(asio::io_context& ioc) : socket_(ioc) {}

  // Connects to `server` (from `source` if given, with SO_RCVBUF set to
  // `receive_buffer` first if > 0), runs the TLS handshake with --tls, and
  // upgrades to WebSocket at /ws.
  // Returns false if any step failed.
  asio::awaitable<bool> open(const Options& o, tcp::endpoint server, std::optional<asio::ip::address> source,
                             int receive_buffer = 0);

  // Writes all of `bytes`; returns false if the connection failed.
  asio::awaitable<bool> send(const std::string& bytes);

  // Reads more and calls on_text for every complete text message. Returns
  // false when the connection is gone (or the server closed it).
  template <typename OnText>
  asio::awaitable<bool> read(OnText&& on_text);

  // Closes the socket; pending operations complete with an error.
  void close();

 private:
  // One read of what has arrived, a read up to the end of an HTTP head, or
  // a write of all of `bytes`, through the TLS stream if there is one.
  auto read_some(asio::mutable_buffer into) {
    return tls_ ? tls_->async_read_some(into, nothrow) : socket_.async_read_some(into, nothrow);
  }
  auto read_head(std::string& into) {
    return tls_ ? asio::async_read_until(*tls_, asio::dynamic_buffer(into), "\r\n\r\n", nothrow)
                : asio::async_read_until(socket_, asio::dynamic_buffer(into), "\r\n\r\n", nothrow);
  }
  auto write_all(asio::const_buffer bytes) {
    return tls_ ? asio::async_write(*tls_, bytes, nothrow) : asio::async_write(socket_, bytes, nothrow);
  }

  tcp::socket socket_;
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_;  // with --tls
  ReceiveBuffer in_;
  std::string partial_;
  std::string pong_;
};

// Sends the subscribe request for `topic` and reads until its answer.
// Returns true on an ack, false on an error or a lost connection.
asio::awaitable<bool> subscribe(Connection& c, const std::string& topic);

template <typename OnText>
asio::awaitable<bool> Connection::read(OnText&& on_text) {
  auto [ec, n] = co_await read_some(in_.free_space(16384));
  if (ec) co_return false;
  in_.commit(n);
  std::size_t pos = 0;
  while (auto frame = protocol::read_server_frame(std::string_view(in_.data() + pos, in_.size() - pos))) {
    pos += frame->size();
    if (frame->opcode == 0x9) {
      pong_.clear();
      append_request_frame(pong_, frame->payload, 0xA);
      co_await send(pong_);
    } else if (frame->opcode == 0x8) {
      co_return false;
    } else if (frame->opcode == 0x1 && frame->fin) {
      on_text(frame->payload);
    } else if (frame->opcode == 0x1 || frame->opcode == 0x0) {
      partial_.append(frame->payload);  // fragments (this server does not send them)
      if (frame->fin) {
        on_text(std::string_view(partial_));
        partial_.clear();
      }
    }
  }
  in_.consume(pos);
  co_return true;
}

}  // namespace pubsub::bench
