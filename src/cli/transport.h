// One connection to the server on the EventLoop's io_context: TCP, and TLS
// over it for wss:// and https://, through OpenSSL in Asio's SSL stream.
// The certificate chain is checked against the system's CAs (or --ca-file)
// and the certificate against the URL's host (name or address) unless
// --insecure. It is a stream Beast's HTTP and the WebSocket session read
// and write alike.
//
// Included only by the units that do the I/O (rest_client.cpp,
// websocket_session.cpp); the main thread only.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <memory>
#include <optional>
#include <string>

#include "cli/connection_settings.h"
#include "cli/event_loop.h"

namespace pubsub::cli {

class Transport : public std::enable_shared_from_this<Transport> {
 public:
  using executor_type = boost::asio::any_io_executor;

  // Connects to `settings.url` and runs the TLS handshake if it asks for
  // TLS, before `deadline`. Throws ConnectionFailure (permanent when the
  // certificate is not trusted or --ca-file cannot be read), or
  // Interrupted.
  static std::shared_ptr<Transport> open(EventLoop& loop, const ConnectionSettings& settings,
                                         Clock::time_point deadline);

  explicit Transport(EventLoop& loop) : socket_(loop.context()) {}
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  executor_type get_executor() { return socket_.get_executor(); }

  template <typename Buffers, typename Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const Buffers& b) {
          if (tls_) {
            tls_->async_read_some(b, std::move(handler));
          } else {
            socket_.async_read_some(b, std::move(handler));
          }
        },
        token, buffers);
  }

  template <typename Buffers, typename Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const Buffers& b) {
          if (tls_) {
            tls_->async_write_some(b, std::move(handler));
          } else {
            socket_.async_write_some(b, std::move(handler));
          }
        },
        token, buffers);
  }

  // Closes the socket: pending operations complete with an error.
  void close();

  // Runs `loop` until `done` (an operation on this transport completed).
  // If `deadline` passes or a signal arrives first, closes the transport
  // and throws ConnectionFailure ("no answer ... within `timeout`") or
  // Interrupted.
  void await(EventLoop& loop, const bool& done, Clock::time_point deadline, std::chrono::milliseconds timeout);

  // "host:port" for messages.
  const std::string& peer() const { return peer_; }

 private:
  void connect(EventLoop& loop, const ConnectionSettings& settings, Clock::time_point deadline);
  void handshake(EventLoop& loop, const ConnectionSettings& settings, Clock::time_point deadline);

  std::optional<boost::asio::ssl::context> tls_context_;  // before the stream that uses it
  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  std::string peer_;
};

}  // namespace pubsub::cli
