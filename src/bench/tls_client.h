// The TLS side of pubsub-bench (--tls): one client context for the
// process, and the OpenSSL session the per-frame client drives on its own
// socket. The context trusts any certificate: a run measures what
// encryption costs the server, not who a local test server is.
//
// tls_client_context() may be called from any thread (it is made once, on
// first use). A TlsSession belongs to the one thread that drives its socket.
#pragma once

#include <openssl/types.h>

#include <boost/asio/ssl/context.hpp>
#include <cstddef>
#include <memory>
#include <string>

namespace pubsub::bench {

// TLS 1.2 or 1.3, no certificate verification.
boost::asio::ssl::context& tls_client_context();

// One TLS session over a connected socket that the caller owns (and
// closes after the session is gone).
class TlsSession {
 public:
  // Runs the handshake on `fd`, which must be blocking then, naming `host`
  // for SNI. Returns nullptr if it failed.
  static std::unique_ptr<TlsSession> connect(int fd, const std::string& host);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // As recv() and send() do: the bytes moved, 0 at the end of the stream
  // (read only), or -1 with errno EAGAIN when the socket would block and
  // ECONNRESET when the session failed.
  long read(char* data, std::size_t size);
  long write(const char* data, std::size_t size);
  // True while bytes read from the socket wait to be handed out.
  bool buffered() const;

 private:
  explicit TlsSession(SSL* ssl) : ssl_(ssl) {}
  // Maps a failed SSL_read or SSL_write to -1 and errno; 0 at a clean end.
  long failure(int result);

  SSL* ssl_;
};

}  // namespace pubsub::bench
