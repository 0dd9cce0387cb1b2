// TLS contexts, handshakes and gentle closes; see tls.h.
#include "net/tls.h"

#include <openssl/ssl.h>

#include <stdexcept>

#include "common/log.h"
#include "net/linger.h"
#include "net/timeouts.h"

namespace pubsub::net {

TlsContext::TlsContext(std::string certificate_file, std::string key_file)
    : certificate_file_(std::move(certificate_file)),
      key_file_(std::move(key_file)),
      current_(load(certificate_file_, key_file_)) {}

std::shared_ptr<ssl::context> TlsContext::load(const std::string& certificate_file, const std::string& key_file) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  // An idle connection gives its record buffers back (they are 34 KiB).
  SSL_CTX_set_mode(context->native_handle(), SSL_MODE_RELEASE_BUFFERS);
  boost::system::error_code ec;
  context->use_certificate_chain_file(certificate_file, ec);
  if (ec) throw std::runtime_error("cannot use the certificate " + certificate_file + ": " + ec.message());
  context->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec) throw std::runtime_error("cannot use the private key " + key_file + ": " + ec.message());
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    throw std::runtime_error("the private key " + key_file + " does not match the certificate " + certificate_file);
  }
  return context;
}

std::shared_ptr<ssl::context> TlsContext::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

bool TlsContext::reload() {
  try {
    auto fresh = load(certificate_file_, key_file_);
    std::lock_guard lock(mutex_);
    current_ = std::move(fresh);
  } catch (const std::exception& e) {
    log::error("TLS reload failed; keeping the certificate in use", {{"error", e.what()}});
    return false;
  }
  log::info("TLS certificate reloaded", {{"certificate", certificate_file_}});
  return true;
}

task<bool> tls_handshake(TlsChannel& channel) {
  boost::beast::get_lowest_layer(channel.stream).expires_after(kHandshakeTimeout);
  auto [ec] = co_await channel.stream.async_handshake(ssl::stream_base::server, nothrow);
  boost::beast::get_lowest_layer(channel.stream).expires_never();
  co_return !ec;
}

task<void> finish_tls(tls_stream& stream, std::string_view pending) {
  boost::beast::tcp_stream& tcp_layer = boost::beast::get_lowest_layer(stream);
  tcp_layer.expires_after(kFinalFlushTimeout);
  if (!pending.empty()) {
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(pending), nothrow);
    if (ec) co_return;
  }
  // close_notify; the peer's answer is not awaited.
  tcp_layer.expires_after(kFinalFlushTimeout);
  auto [ec] = co_await stream.async_shutdown(nothrow);
  if (ec && ec != ssl::error::stream_truncated && ec != asio::error::eof) {
    log::debug("TLS shutdown failed", {{"error", ec.message()}});
  }
  co_await linger_close(tcp_layer);
}

task<void> tls_close(std::shared_ptr<TlsChannel> channel, std::string pending, [[maybe_unused]] ConnectionSlot slot) {
  co_await finish_tls(channel->stream, pending);
}

}  // namespace pubsub::net
