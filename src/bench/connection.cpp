// pubsub-bench's Asio WebSocket connection; see connection.h.
#include "bench/connection.h"

#include <algorithm>
#include <cstring>

#include "bench/stats.h"
#include "bench/tls_client.h"

namespace pubsub::bench {

asio::mutable_buffer ReceiveBuffer::free_space(std::size_t n) {
  if (capacity_ - size_ < n) {
    std::size_t capacity = std::max(capacity_ * 2, size_ + n);
    auto bigger = std::unique_ptr<char[]>(new char[capacity]);
    if (size_ > 0) std::memcpy(bigger.get(), bytes_.get(), size_);
    bytes_ = std::move(bigger);
    capacity_ = capacity;
  }
  return asio::buffer(bytes_.get() + size_, capacity_ - size_);
}

void ReceiveBuffer::append(std::string_view bytes) {
  if (bytes.empty()) return;
  std::memcpy(free_space(bytes.size()).data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

void ReceiveBuffer::consume(std::size_t n) {
  size_ -= n;
  if (size_ > 0) std::memmove(bytes_.get(), bytes_.get() + n, size_);
}

asio::awaitable<bool> Connection::open(const Options& o, tcp::endpoint server, std::optional<asio::ip::address> source,
                                       int receive_buffer) {
  if (source || receive_buffer > 0) socket_.open(tcp::v4());
  if (receive_buffer > 0) socket_.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
  if (source) {
    int one = 1;
    ::setsockopt(socket_.native_handle(), IPPROTO_IP, 24 /* IP_BIND_ADDRESS_NO_PORT */, &one, sizeof one);
    boost::system::error_code ec;
    socket_.bind(tcp::endpoint(*source, 0), ec);
    if (ec) co_return false;
  }
  auto [ec] = co_await socket_.async_connect(server, nothrow);
  if (ec) co_return false;
  socket_.set_option(tcp::no_delay(true));
  if (o.tls) {
    tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, tls_client_context());
    SSL_set_tlsext_host_name(tls_->native_handle(), o.host.c_str());
    auto [hec] = co_await tls_->async_handshake(asio::ssl::stream_base::client, nothrow);
    if (hec) co_return false;
  }
  std::string request = "GET /ws HTTP/1.1\r\nHost: " + o.host +
                        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
  request += credential_headers(o);
  request += "\r\n";
  auto [wec, wn] = co_await write_all(asio::buffer(request));
  if (wec) co_return false;
  std::string response;
  auto [rec, rn] = co_await read_head(response);
  if (rec || response.compare(0, 12, "HTTP/1.1 101") != 0) co_return false;
  in_.append(std::string_view(response).substr(rn));
  co_return true;
}

asio::awaitable<bool> Connection::send(const std::string& bytes) {
  auto [ec, n] = co_await write_all(asio::buffer(bytes));
  co_return !ec;
}

void Connection::close() {
  boost::system::error_code ec;
  socket_.close(ec);
}

asio::awaitable<bool> subscribe(Connection& c, const std::string& topic) {
  if (!co_await c.send(subscribe_frame(topic))) co_return false;
  bool acked = false, failed = false;
  while (!acked && !failed) {
    if (!co_await c.read([&](std::string_view text) {
          auto f = read_frame_fields(text);
          if (f && f->kind == FrameKind::ack) acked = true;
          if (f && f->kind == FrameKind::error) failed = true;
        })) {
      co_return false;
    }
  }
  co_return acked;
}

}  // namespace pubsub::bench
