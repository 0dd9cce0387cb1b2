// TLS on the one port (contract section 13): the server's certificate and
// key, reloaded on SIGHUP for new connections, TLS 1.2 and 1.3 only; and a
// TLS connection's stream, shared by its HTTP phase and its WebSocket
// phase (Asio's SSL stream over OpenSSL).
//
// TlsContext: any thread. A TlsChannel belongs to its connection's shard
// thread.
#pragma once

#include <boost/asio/ssl.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/asio_support.h"
#include "net/connection_slot.h"

namespace pubsub::net {

namespace ssl = asio::ssl;
using tls_stream = ssl::stream<boost::beast::tcp_stream>;

class TlsContext {
 public:
  // Loads the PEM certificate chain and private key; throws
  // std::runtime_error naming the file that failed.
  TlsContext(std::string certificate_file, std::string key_file);

  // The context new connections use.
  std::shared_ptr<ssl::context> current() const;
  // Loads the files again; on success new connections use them (open ones
  // keep theirs). On failure logs why, keeps the old pair and returns false.
  bool reload();

 private:
  static std::shared_ptr<ssl::context> load(const std::string& certificate_file, const std::string& key_file);

  const std::string certificate_file_;
  const std::string key_file_;
  mutable std::mutex mutex_;
  std::shared_ptr<ssl::context> current_;
};

class WsEndpoint;

// One TLS connection. Shared by the operations under way on it, so that
// their completions may outlive the WebSocket endpoint that started them
// (which then clears `owner`).
struct TlsChannel {
  TlsChannel(std::shared_ptr<ssl::context> context, tcp::socket socket)
      : context(std::move(context)), stream(std::move(socket), *this->context) {}

  std::shared_ptr<ssl::context> context;  // kept while the stream lives
  tls_stream stream;
  // The WebSocket phase.
  WsEndpoint* owner = nullptr;                                // null once the endpoint is gone
  asio::io_context* shard_context = nullptr;                  // the io_context of the owner's shard
  std::vector<char> input = std::vector<char>(kTlsReadSize);  // decrypted reads
  std::string output;                                         // the bytes of the write under way
  bool writing = false;
  bool reading = false;
  // A gentle close that waits for the write under way: what to send after
  // it, and the connection's slot until then.
  std::optional<ConnectionSlot> closing_slot;
  std::string close_output;

  static constexpr std::size_t kTlsReadSize = 8 * 1024;
};

// The TLS handshake, within kHandshakeTimeout; false if it failed.
task<bool> tls_handshake(TlsChannel& channel);

// Ends a TLS connection gently: writes `pending` (if any), sends
// close_notify, then lingers as linger_close does; each step within
// kFinalFlushTimeout. `stream` must outlive the call.
task<void> finish_tls(tls_stream& stream, std::string_view pending);

// finish_tls for a WebSocket connection's channel, with `pending` its close
// frame. Keeps `channel` and `slot` until done.
task<void> tls_close(std::shared_ptr<TlsChannel> channel, std::string pending, ConnectionSlot slot);

}  // namespace pubsub::net
