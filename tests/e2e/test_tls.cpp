// End-to-end: TLS on the one port (contract section 13) against the real
// server, with an OpenSSL client (Asio's SSL stream) and certificates made
// by the openssl command: HTTPS and wss:// with the certificate verified,
// TLS 1.2 and 1.3 only, many events and a large one over TLS, the close
// handshake, 503 past --max-connections, and SIGHUP reloading the pair for
// new connections while open ones keep theirs (a failed reload keeping it).
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "e2e/harness.h"

using namespace pubsub::e2e;
namespace json = boost::json;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Catch::Matchers::ContainsSubstring;

namespace {

// Runs `ioc` until the operation started by `start` completes, for at most
// 10 s; returns its error (timed_out if it did not complete).
template <class Start>
beast::error_code run_op(asio::io_context& ioc, Start start) {
  beast::error_code result = asio::error::timed_out;
  bool done = false;
  start([&](beast::error_code ec, auto&&...) {
    result = ec;
    done = true;
  });
  ioc.restart();
  ioc.run_for(10s);
  return done ? result : beast::error_code(asio::error::timed_out);
}

// A TLS client trusting `ca` (the server's self-signed certificate), at
// most TLS version `max_version` (0: any).
class TlsClient {
 public:
  explicit TlsClient(const std::string& ca, int max_version = 0) {
    context_.load_verify_file(ca);
    context_.set_verify_mode(ssl::verify_peer);
    if (max_version != 0) SSL_CTX_set_max_proto_version(context_.native_handle(), max_version);
    SSL_CTX_set_min_proto_version(context_.native_handle(), TLS1_VERSION);
    SSL_CTX_set_security_level(context_.native_handle(), 0);  // let the client offer TLS 1.0 and 1.1
    ws_.emplace(ioc_, context_);  // an SSL object takes the context's settings when it is made
  }

  // Connects and completes the TLS handshake.
  beast::error_code connect(std::uint16_t port) {
    auto& socket = beast::get_lowest_layer(*ws_);
    beast::error_code ec = run_op(ioc_, [&](auto handler) {
      socket.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), handler);
    });
    if (ec) return ec;
    ws_->next_layer().set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    return run_op(ioc_, [&](auto handler) { ws_->next_layer().async_handshake(ssl::stream_base::client, handler); });
  }

  // The CN of the certificate the server presented.
  std::string server_name() {
    X509* peer = SSL_get1_peer_certificate(ws_->next_layer().native_handle());
    if (peer == nullptr) return {};
    char name[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name, sizeof name);
    X509_free(peer);
    return name;
  }
  std::string protocol() { return SSL_get_version(ws_->next_layer().native_handle()); }

  HttpResponse request(const std::string& method, const std::string& target, const std::string& body = {}) {
    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.body() = body;
    req.prepare_payload();
    HttpResponse out;
    if (run_op(ioc_, [&](auto handler) { bhttp::async_write(ws_->next_layer(), req, handler); })) return out;
    bhttp::response<bhttp::string_body> res;
    if (run_op(ioc_, [&](auto handler) { bhttp::async_read(ws_->next_layer(), buffer_, res, handler); })) return out;
    out.status = static_cast<int>(res.result_int());
    out.body = res.body();
    return out;
  }

  beast::error_code upgrade(const std::string& target = "/ws") {
    ws_->read_message_max(64 * 1024 * 1024);
    return run_op(ioc_, [&](auto handler) { ws_->async_handshake("127.0.0.1", target, handler); });
  }
  void send(const std::string& text) {
    REQUIRE_FALSE(run_op(ioc_, [&](auto handler) { ws_->async_write(asio::buffer(text), handler); }));
  }
  json::object next() {
    buffer_.clear();
    const beast::error_code ec = run_op(ioc_, [&](auto handler) { ws_->async_read(buffer_, handler); });
    if (ec) throw std::runtime_error("read failed: " + ec.message());
    return json::parse(beast::buffers_to_string(buffer_.data())).as_object();
  }
  // Closes with 1000; returns the code the server answered with.
  int close() {
    if (run_op(ioc_, [&](auto handler) { ws_->async_close(websocket::close_code::normal, handler); })) return 0;
    return ws_->reason().code;
  }

 private:
  asio::io_context ioc_;
  ssl::context context_{ssl::context::tls_client};
  std::optional<websocket::stream<ssl::stream<tcp::socket>>> ws_;  // made once context_ is set up
  beast::flat_buffer buffer_;
};

// POST /topics {"name":"t"} over HTTPS; returns the status (0: no answer).
int create_topic_tls(std::uint16_t port, const std::string& ca) {
  TlsClient client(ca);
  if (client.connect(port)) return 0;
  return client.request("POST", "/topics", R"({"name":"t"})").status;
}

std::string subscribe(const std::string& topic) {
  return R"({"type":"subscribe","topic":")" + topic + R"(","client_id":"c","request_id":"s"})";
}

}  // namespace

TEST_CASE("HTTPS and wss:// on the one port, the certificate verified; TLS 1.2 and 1.3 only") {
  const Certificate certificate("pubsub-one");
  ServerProcess server({"--tls-cert", certificate.cert, "--tls-key", certificate.key});
  {
    TlsClient client(certificate.cert);
    REQUIRE_FALSE(client.connect(server.port()));
    CHECK(client.server_name() == "pubsub-one");
    CHECK(client.protocol() == "TLSv1.3");
    const HttpResponse health = client.request("GET", "/health");
    CHECK(health.status == 200);
    CHECK(client.request("POST", "/topics", R"({"name":"t"})").status == 201);  // keep-alive over TLS
  }
  TlsClient tls12(certificate.cert, TLS1_2_VERSION);
  REQUIRE_FALSE(tls12.connect(server.port()));
  CHECK(tls12.protocol() == "TLSv1.2");
  for (int old : {TLS1_1_VERSION, TLS1_VERSION}) {
    TlsClient refused(certificate.cert, old);
    CHECK(refused.connect(server.port()));
  }
  // A plain HTTP request gets no HTTP answer.
  const std::vector<HttpResponse> plain =
      raw_http_responses(server.port(), "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", 1);
  CHECK((plain.empty() || plain[0].status == 0));
  // The server still serves after all that.
  TlsClient again(certificate.cert);
  REQUIRE_FALSE(again.connect(server.port()));
  CHECK(again.request("GET", "/topics").status == 200);
}

TEST_CASE("wss://: requests, many events in order, a large event and the close handshake") {
  const Certificate certificate("pubsub-ws");
  for (const char* threads : {"1", "2"}) {
    CAPTURE(threads);
    ServerProcess server({"--tls-cert", certificate.cert, "--tls-key", certificate.key, "--threads", threads,
                          "--max-message-bytes", "4194304", "--max-queue", "100000"});
    REQUIRE(create_topic_tls(server.port(), certificate.cert) == 201);
    TlsClient subscriber(certificate.cert), publisher(certificate.cert);
    REQUIRE_FALSE(subscriber.connect(server.port()));
    REQUIRE_FALSE(subscriber.upgrade());
    REQUIRE_FALSE(publisher.connect(server.port()));
    REQUIRE_FALSE(publisher.upgrade());
    subscriber.send(subscribe("t"));
    CHECK(subscriber.next().at("type") == "ack");
    // Sent without waiting: the server's writes gather many events each.
    constexpr int kEvents = 2000;
    for (int i = 1; i <= kEvents; ++i) publisher.send(json::serialize(publish_request("t", i)));
    for (int i = 1; i <= kEvents; ++i) CHECK(publisher.next().at("type") == "ack");
    for (int i = 1; i <= kEvents; ++i) {
      const json::object event = subscriber.next();
      REQUIRE(event.at("seq") == i);
      REQUIRE(event.at("message").at("payload") == i);
    }
    const std::string big(3 * 1024 * 1024, 'x');
    publisher.send(json::serialize(publish_request("t", json::value(big))));
    CHECK(publisher.next().at("type") == "ack");
    CHECK(subscriber.next().at("message").at("payload").as_string() == big);
    CHECK(subscriber.close() == 1000);
    CHECK(publisher.close() == 1000);
  }
}

TEST_CASE("past --max-connections a TLS client gets the 503") {
  const Certificate certificate("pubsub-full");
  ServerProcess server({"--tls-cert", certificate.cert, "--tls-key", certificate.key, "--max-connections", "1"});
  TlsClient first(certificate.cert);
  REQUIRE_FALSE(first.connect(server.port()));
  REQUIRE_FALSE(first.upgrade());
  TlsClient second(certificate.cert);
  REQUIRE_FALSE(second.connect(server.port()));
  CHECK(second.request("GET", "/health").status == 503);
}

TEST_CASE("SIGHUP reloads the certificate for new connections; open ones keep theirs; a bad pair is refused") {
  const Certificate certificate("pubsub-before");
  ServerProcess server({"--tls-cert", certificate.cert, "--tls-key", certificate.key});
  TlsClient open(certificate.cert);
  REQUIRE_FALSE(open.connect(server.port()));
  REQUIRE_FALSE(open.upgrade());
  CHECK(open.server_name() == "pubsub-before");

  const std::string old_cert = (std::filesystem::path(certificate.dir) / "old.pem").string();
  std::filesystem::copy_file(certificate.cert, old_cert);
  Certificate::make("pubsub-after", certificate.cert, certificate.key);
  server.signal(SIGHUP);
  REQUIRE(eventually([&] { return server.log().find("TLS certificate reloaded") != std::string::npos; }));
  TlsClient fresh(certificate.cert);
  REQUIRE_FALSE(fresh.connect(server.port()));
  CHECK(fresh.server_name() == "pubsub-after");
  TlsClient distrusting(old_cert);  // trusts only the old certificate
  CHECK(distrusting.connect(server.port()));
  // The connection opened before still works, with the old certificate.
  open.send(R"({"type":"ping","request_id":"p"})");
  CHECK(open.next().at("type") == "pong");

  // A reload that fails is logged and changes nothing.
  std::ofstream(certificate.key) << "not a key";
  server.signal(SIGHUP);
  REQUIRE(eventually([&] { return server.log().find("TLS reload failed") != std::string::npos; }));
  TlsClient after_failure(certificate.cert);
  REQUIRE_FALSE(after_failure.connect(server.port()));
  CHECK(after_failure.server_name() == "pubsub-after");
  CHECK(after_failure.request("GET", "/health").status == 200);
}

TEST_CASE("--tls-cert and --tls-key go together; unreadable or unusable files stop the server") {
  const Certificate certificate("pubsub-config");
  CHECK(run_pubsubd({"--tls-cert", certificate.cert}).exit_code == 2);
  CHECK(run_pubsubd({"--tls-key", certificate.key}).exit_code == 2);
  CHECK(run_pubsubd({"--tls-cert", "/nonexistent.pem", "--tls-key", certificate.key}).exit_code == 2);
  const ProcessResult mismatched =
      run_pubsubd({"--port", "0", "--tls-cert", certificate.cert, "--tls-key", "/etc/hostname"});
  CHECK(mismatched.exit_code == 1);
  CHECK_THAT(mismatched.err, ContainsSubstring("/etc/hostname"));
  // Without TLS, SIGHUP changes nothing (it does not stop the server).
  ServerProcess plain;
  plain.signal(SIGHUP);
  REQUIRE(eventually([&] { return plain.log().find("nothing to reload") != std::string::npos; }));
  CHECK(http(plain.port(), "GET", "/health").status == 200);
}
