// TCP and TLS connections to the server; see transport.h.
#include "cli/transport.h"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "cli/exit_status.h"

namespace pubsub::cli {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

// What an operation reported, kept apart from the objects that started it.
struct Completion {
  bool done = false;
  boost::system::error_code error;
};

ssl::context tls_context(const ConnectionSettings& settings) {
  ssl::context context(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
  // A server that closes without close_notify ends the stream as a clean close does.
  SSL_CTX_set_options(context.native_handle(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  if (settings.insecure) {
    context.set_verify_mode(ssl::verify_none);
    return context;
  }
  context.set_verify_mode(ssl::verify_peer);
  boost::system::error_code error;
  if (settings.ca_file.empty()) {
    context.set_default_verify_paths(error);
  } else {
    context.load_verify_file(settings.ca_file, error);
    if (error)
      throw UsageError("cannot read the certificates of --ca-file " + settings.ca_file + ": " + error.message());
  }
  return context;
}

// Names the host the certificate must be for: its DNS name, or its IP
// address (a certificate's subjectAltName IP entry).
void expect_host(SSL* ssl, const ServerUrl& url, bool check) {
  if (!url.host_is_address()) SSL_set_tlsext_host_name(ssl, url.host.c_str());
  if (!check) return;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (url.host_is_address()) {
    X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str());
  } else {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), 0);
  }
}

}  // namespace

std::shared_ptr<Transport> Transport::open(EventLoop& loop, const ConnectionSettings& settings,
                                           Clock::time_point deadline) {
  auto transport = std::make_shared<Transport>(loop);
  const std::string& host = settings.url.host;
  transport->peer_ =
      (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(settings.url.port);
  transport->connect(loop, settings, deadline);
  if (settings.url.tls) transport->handshake(loop, settings, deadline);
  return transport;
}

void Transport::connect(EventLoop& loop, const ConnectionSettings& settings, Clock::time_point deadline) {
  auto resolver = std::make_shared<tcp::resolver>(loop.context());
  auto resolved = std::make_shared<Completion>();
  auto endpoints = std::make_shared<tcp::resolver::results_type>();
  resolver->async_resolve(settings.url.host, std::to_string(settings.url.port),
                          [resolver, resolved, endpoints](const boost::system::error_code& ec, auto results) {
                            resolved->error = ec;
                            *endpoints = std::move(results);
                            resolved->done = true;
                          });
  try {
    await(loop, resolved->done, deadline, settings.timeout);
  } catch (...) {
    resolver->cancel();
    throw;
  }
  if (resolved->error) {
    throw ConnectionFailure("cannot resolve " + settings.url.host + ": " + resolved->error.message());
  }
  auto connected = std::make_shared<Completion>();
  asio::async_connect(socket_, *endpoints,
                      [self = shared_from_this(), connected](const boost::system::error_code& ec, const auto&) {
                        connected->error = ec;
                        connected->done = true;
                      });
  await(loop, connected->done, deadline, settings.timeout);
  if (connected->error) throw ConnectionFailure("cannot connect to " + peer_ + ": " + connected->error.message());
  socket_.set_option(tcp::no_delay(true));
}

void Transport::handshake(EventLoop& loop, const ConnectionSettings& settings, Clock::time_point deadline) {
  tls_context_.emplace(tls_context(settings));
  tls_ = std::make_unique<ssl::stream<tcp::socket&>>(socket_, *tls_context_);
  expect_host(tls_->native_handle(), settings.url, !settings.insecure);
  auto shaken = std::make_shared<Completion>();
  tls_->async_handshake(ssl::stream_base::client,
                        [self = shared_from_this(), shaken](const boost::system::error_code& ec) {
                          shaken->error = ec;
                          shaken->done = true;
                        });
  await(loop, shaken->done, deadline, settings.timeout);
  if (!shaken->error) return;
  const long verified = SSL_get_verify_result(tls_->native_handle());
  if (!settings.insecure && verified != X509_V_OK) {
    throw ConnectionFailure("the TLS certificate of " + peer_ +
                                " is not trusted: " + X509_verify_cert_error_string(verified) +
                                " (--ca-file FILE trusts the CA in FILE; --insecure checks nothing)",
                            true);
  }
  throw ConnectionFailure("TLS handshake with " + peer_ + " failed: " + shaken->error.message());
}

void Transport::await(EventLoop& loop, const bool& done, Clock::time_point deadline,
                      std::chrono::milliseconds timeout) {
  EventLoop::Stop stop;
  while ((stop = loop.run_until([&] { return done; }, deadline)) == EventLoop::Stop::woken) {}
  if (stop == EventLoop::Stop::done) return;
  close();
  if (stop == EventLoop::Stop::interrupted) throw Interrupted();
  throw ConnectionFailure(no_answer_within(peer_, timeout));
}

void Transport::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

}  // namespace pubsub::cli
