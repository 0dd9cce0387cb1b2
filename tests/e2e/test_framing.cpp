// End-to-end tests of the server's WebSocket framing, with a client on a
// bare socket that sends exact bytes and sees every frame the server sends
// (control frames included): frames split across TCP writes, fragments,
// pings both ways, the close handshake, violations, and a request sent
// right behind the upgrade request.
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "e2e/harness.h"
#include "support/client_frame.h"

using namespace pubsub::e2e;
using Catch::Matchers::ContainsSubstring;
using pubsub::testing::client_frame;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// A WebSocket client on a blocking socket; reads give up after 5 s.
class RawClient {
 public:
  struct Frame {
    int opcode = -1;  // -1: the connection ended (or 5 s passed) first
    std::string payload;
  };

  // Connects and upgrades; `after_request` is sent in the same write as
  // the upgrade request, before the 101 can arrive.
  explicit RawClient(std::uint16_t port, const std::string& after_request = "") : socket_(ioc_) {
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
    timeval timeout{5, 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    send("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" +
         after_request);
    while (buffer_.find("\r\n\r\n") == std::string::npos && fill()) {
    }
    std::size_t end = buffer_.find("\r\n\r\n");
    REQUIRE(end != std::string::npos);
    REQUIRE(buffer_.starts_with("HTTP/1.1 101"));
    buffer_.erase(0, end + 4);
  }

  void send(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }

  // The next frame the server sent (server frames are never masked).
  Frame next() {
    std::string head = take(2);
    if (head.size() < 2) return {};
    std::uint64_t size = static_cast<unsigned char>(head[1]) & 0x7F;
    if (size >= 126) {
      std::string extended = take(size == 126 ? 2 : 8);
      size = 0;
      for (char c : extended) size = size << 8 | static_cast<unsigned char>(c);
    }
    return {static_cast<unsigned char>(head[0]) & 0x0F, take(static_cast<std::size_t>(size))};
  }

  // The next frame that is not a server ping.
  Frame next_skipping_pings() {
    for (;;) {
      Frame frame = next();
      if (frame.opcode != 0x9) return frame;
    }
  }

 private:
  bool fill() {
    char chunk[4096];
    boost::system::error_code ec;
    std::size_t got = socket_.read_some(asio::buffer(chunk), ec);
    if (ec) return false;
    buffer_.append(chunk, got);
    return true;
  }
  std::string take(std::size_t n) {
    while (buffer_.size() < n && fill()) {
    }
    std::string out = buffer_.substr(0, std::min(n, buffer_.size()));
    buffer_.erase(0, out.size());
    return out;
  }

  asio::io_context ioc_;
  tcp::socket socket_;
  std::string buffer_;
};

std::string text(std::string_view payload) { return client_frame(0x81, payload); }

std::string close_code_of(const RawClient::Frame& frame) {
  if (frame.opcode != 0x8 || frame.payload.size() < 2) return "no close frame";
  return std::to_string(static_cast<unsigned char>(frame.payload[0]) << 8 | static_cast<unsigned char>(frame.payload[1]));
}

}  // namespace

TEST_CASE("a request split across TCP writes, and one fragmented around a ping, are answered") {
  ServerProcess server({"--heartbeat-interval", "0"});
  RawClient client(server.port());
  const std::string frame = text(R"({"type":"ping","request_id":"split"})");
  for (std::size_t at = 0; at < frame.size(); at += 5) {
    client.send(frame.substr(at, 5));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto reply = client.next();
  CHECK(reply.opcode == 0x1);
  CHECK_THAT(reply.payload, ContainsSubstring(R"("request_id":"split")"));

  client.send(client_frame(0x01, R"({"type":"ping",)") + client_frame(0x89, "are you there") +
              client_frame(0x00, R"("request_id":)") + client_frame(0x80, R"("fragments"})"));
  auto first = client.next();
  auto second = client.next();
  // The pong echoes the ping's data; the request's answer follows it.
  CHECK(first.opcode == 0xA);
  CHECK(first.payload == "are you there");
  CHECK(second.opcode == 0x1);
  CHECK_THAT(second.payload, ContainsSubstring(R"("request_id":"fragments")"));
}

TEST_CASE("a request sent right behind the upgrade request is answered") {
  ServerProcess server({"--heartbeat-interval", "0"});
  RawClient client(server.port(), text(R"({"type":"ping","request_id":"early"})"));
  auto reply = client.next();
  CHECK(reply.opcode == 0x1);
  CHECK_THAT(reply.payload, ContainsSubstring(R"("request_id":"early")"));
}

TEST_CASE("the client's close is answered with its code, then the server closes the connection") {
  ServerProcess server({"--heartbeat-interval", "0"});
  RawClient client(server.port());
  client.send(client_frame(0x88, "\x0f\xa0" "bye"));  // 4000
  auto answer = client.next();
  CHECK(close_code_of(answer) == "4000");
  CHECK(client.next().opcode == -1);

  RawClient no_code(server.port());
  no_code.send(client_frame(0x88, ""));
  CHECK(close_code_of(no_code.next()) == "1000");
}

TEST_CASE("broken frames close with 1002 or 1007; other connections carry on") {
  ServerProcess server({"--heartbeat-interval", "0", "--log-level", "debug"});
  RawClient bystander(server.port());
  const std::pair<std::string, std::string> cases[] = {
      {client_frame(0x09, "p"), "1002"},                                    // a fragmented ping
      {client_frame(0xC1, "{}"), "1002"},                                   // RSV1 without an extension
      {client_frame(0x80, "{}"), "1002"},                                   // a continuation without a message
      {client_frame(0x83, "{}"), "1002"},                                   // a reserved opcode
      {client_frame(0x88, "\x03\xed"), "1002"},                             // close code 1005 on the wire
      {client_frame(0x01, "{\"a\":\"\xc3") + client_frame(0x80, "\"}"), "1007"},  // UTF-8 cut off at the end
  };
  for (const auto& [bytes, code] : cases) {
    CAPTURE(code);
    RawClient client(server.port());
    client.send(bytes);
    CHECK(close_code_of(client.next()) == code);
  }
  bystander.send(text(R"({"type":"ping"})"));
  CHECK(bystander.next().opcode == 0x1);
  // At debug, the log says what was wrong with each frame.
  CHECK_THAT(server.log(), ContainsSubstring(R"(code=1002 detail="reserved bits set without an extension")"));
  CHECK_THAT(server.log(), ContainsSubstring(R"(code=1007 detail="invalid UTF-8 in a text message")"));
}

TEST_CASE("a quiet client is pinged at half --idle-timeout, and a pong keeps it") {
  ServerProcess server({"--heartbeat-interval", "0", "--idle-timeout", "2"});
  RawClient client(server.port());
  auto start = std::chrono::steady_clock::now();
  auto ping = client.next();
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK(ping.opcode == 0x9);
  CHECK(waited >= std::chrono::milliseconds(900));
  CHECK(waited <= std::chrono::milliseconds(1800));
  client.send(client_frame(0x8A, ping.payload));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  client.send(client_frame(0x8A, ""));  // unsolicited pongs count as activity too
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  client.send(text(R"({"type":"ping"})"));
  CHECK(client.next_skipping_pings().opcode == 0x1);  // 3 s after connecting: still open
}
