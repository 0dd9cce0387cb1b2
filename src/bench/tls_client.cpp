// pubsub-bench's TLS client side; see tls_client.h.
#include "bench/tls_client.h"

#include <openssl/ssl.h>

#include <cerrno>
#include <climits>

namespace pubsub::bench {

namespace ssl = boost::asio::ssl;

ssl::context& tls_client_context() {
  static ssl::context context = [] {
    ssl::context c(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(c.native_handle(), TLS1_2_VERSION);
    c.set_verify_mode(ssl::verify_none);
    // A server that closes without close_notify ends the stream as a clean
    // close does.
    SSL_CTX_set_options(c.native_handle(), SSL_OP_IGNORE_UNEXPECTED_EOF);
    // A frame that send() took only in part is offered again from wherever
    // the unsent rest now lives.
    SSL_CTX_set_mode(c.native_handle(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // One recv() takes in every record that has arrived, as a plain read
    // takes every frame; SSL_read then hands them out one at a time.
    SSL_CTX_set_read_ahead(c.native_handle(), 1);
    return c;
  }();
  return context;
}

std::unique_ptr<TlsSession> TlsSession::connect(int fd, const std::string& host) {
  SSL* ssl = SSL_new(tls_client_context().native_handle());
  if (ssl == nullptr) return nullptr;
  std::unique_ptr<TlsSession> session(new TlsSession(ssl));
  SSL_set_tlsext_host_name(ssl, host.c_str());
  if (SSL_set_fd(ssl, fd) != 1 || SSL_connect(ssl) != 1) return nullptr;
  return session;
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

long TlsSession::read(char* data, std::size_t size) {
  const int n = SSL_read(ssl_, data, size > INT_MAX ? INT_MAX : static_cast<int>(size));
  return n > 0 ? n : failure(n);
}

long TlsSession::write(const char* data, std::size_t size) {
  const int n = SSL_write(ssl_, data, size > INT_MAX ? INT_MAX : static_cast<int>(size));
  return n > 0 ? n : failure(n);
}

bool TlsSession::buffered() const { return SSL_has_pending(ssl_) == 1; }

long TlsSession::failure(int result) {
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_ZERO_RETURN: return 0;
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE: errno = EAGAIN; return -1;
    case SSL_ERROR_SYSCALL:
      if (errno == EINTR || errno == EAGAIN) return -1;
      [[fallthrough]];
    default: errno = ECONNRESET; return -1;
  }
}

}  // namespace pubsub::bench
