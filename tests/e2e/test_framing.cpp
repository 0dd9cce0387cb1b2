// End-to-end tests of the server's WebSocket framing, with a client on a
// bare socket that sends exact bytes and sees every frame the server sends
// (control frames included): frames split across TCP writes, fragments,
// pings both ways, the close handshake, violations, and a request sent
// right behind the upgrade request.
#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <boost/asio.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <chrono>
#include <stop_token>
#include <string>
#include <thread>

#include "e2e/harness.h"
#include "protocol/client_frames.h"

using namespace pubsub::e2e;
using Catch::Matchers::ContainsSubstring;
using pubsub::protocol::client_frame;
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
  // the upgrade request, before the 101 can arrive. A `receive_buffer` > 0
  // sets SO_RCVBUF before connecting, so that the server's writes back up
  // once the client stops reading.
  explicit RawClient(std::uint16_t port, const std::string& after_request = "", int receive_buffer = 0)
      : socket_(ioc_) {
    socket_.open(tcp::v4());
    if (receive_buffer > 0) socket_.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
    timeval timeout{5, 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    send(
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" +
        after_request);
    while (buffer_.find("\r\n\r\n") == std::string::npos && fill()) {}
    std::size_t end = buffer_.find("\r\n\r\n");
    REQUIRE(end != std::string::npos);
    REQUIRE(buffer_.starts_with("HTTP/1.1 101"));
    buffer_.erase(0, end + 4);
  }

  void send(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }

  // Sends all of `bytes`, blocking; false if the connection failed. May
  // run on another thread than the reads.
  bool send_all(const std::string& bytes) {
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(bytes), ec);
    return !ec;
  }

  // Ends both directions of the connection: a send blocked in another
  // thread returns. May run on any thread.
  void shutdown() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
  }

  // The next frame the server sent, read by the client's frame reader
  // (server frames are never masked).
  Frame next() {
    for (;;) {
      if (auto frame = pubsub::protocol::read_server_frame(buffer_)) {
        Frame out{frame->opcode, std::string(frame->payload)};
        buffer_.erase(0, frame->size());
        return out;
      }
      if (!fill()) return {};
    }
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

  asio::io_context ioc_;
  tcp::socket socket_;
  std::string buffer_;
};

std::string text(std::string_view payload) { return client_frame(0x81, payload); }

std::string close_code_of(const RawClient::Frame& frame) {
  if (frame.opcode != 0x8 || frame.payload.size() < 2) return "no close frame";
  return std::to_string(static_cast<unsigned char>(frame.payload[0]) << 8 |
                        static_cast<unsigned char>(frame.payload[1]));
}

}  // namespace

TEST_CASE("a request split across TCP writes, and one fragmented around a ping, are answered") {
  ServerProcess server;
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
  ServerProcess server;
  RawClient client(server.port(), text(R"({"type":"ping","request_id":"early"})"));
  auto reply = client.next();
  CHECK(reply.opcode == 0x1);
  CHECK_THAT(reply.payload, ContainsSubstring(R"("request_id":"early")"));
}

TEST_CASE("the client's close is answered with its code, then the server closes the connection") {
  ServerProcess server;
  RawClient client(server.port());
  client.send(client_frame(0x88,
                           "\x0f\xa0"
                           "bye"));  // 4000
  auto answer = client.next();
  CHECK(close_code_of(answer) == "4000");
  CHECK(client.next().opcode == -1);

  RawClient no_code(server.port());
  no_code.send(client_frame(0x88, ""));
  CHECK(close_code_of(no_code.next()) == "1000");
}

TEST_CASE("broken frames close with 1002 or 1007; other connections carry on") {
  ServerProcess server({"--log-level", "debug"});
  RawClient bystander(server.port());
  const std::pair<std::string, std::string> cases[] = {
      {client_frame(0x09, "p"), "1002"},                                          // a fragmented ping
      {client_frame(0xC1, "{}"), "1002"},                                         // RSV1 without an extension
      {client_frame(0x80, "{}"), "1002"},                                         // a continuation without a message
      {client_frame(0x83, "{}"), "1002"},                                         // a reserved opcode
      {client_frame(0x88, "\x03\xed"), "1002"},                                   // close code 1005 on the wire
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

TEST_CASE("a quiet client is pinged at most half --idle-timeout after its last frame; pongs keep it; silence ends it") {
  // With --idle-timeout 2 a ping is due at most 1 s after the last frame
  // read (the contract: at least every half timeout); 1.25 s leaves room
  // for scheduling. Pinging much earlier would be noise.
  using namespace std::chrono_literals;
  ServerProcess server({"--idle-timeout", "2"});
  RawClient silent(server.port());
  const auto silent_since = std::chrono::steady_clock::now();
  std::atomic<long long> silent_closed_ms{-1};
  TestThread watch([&] {
    while (silent.next().opcode == 0x9) {  // pings, never answered
    }
    silent_closed_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - silent_since).count();
  });

  RawClient client(server.port());
  std::this_thread::sleep_for(500ms);
  client.send(client_frame(0x8A, ""));  // an unsolicited pong counts as input too
  auto last_input = std::chrono::steady_clock::now();
  // Answering every ping keeps the connection for several timeouts.
  for (int i = 0; i < 5; ++i) {
    auto ping = client.next();
    const auto quiet =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - last_input);
    CAPTURE(i, quiet.count());
    REQUIRE(ping.opcode == 0x9);
    CHECK(quiet >= 600ms);
    CHECK(quiet <= 1250ms);
    client.send(client_frame(0x8A, ping.payload));
    last_input = std::chrono::steady_clock::now();
  }
  client.send(text(R"({"type":"ping"})"));
  CHECK(client.next_skipping_pings().opcode == 0x1);  // 5.5 s after connecting: still open

  // The one that never answered was dropped between 1 and 1.5 timeouts.
  watch.join();
  const long long closed_ms = silent_closed_ms.load();
  CHECK(closed_ms >= 2000);
  CHECK(closed_ms <= 3000);
}

TEST_CASE("a ping flood from a client that does not read is bounded by its queue, and every ping is answered") {
  ServerProcess server({"--max-queue", "100"});
  RawClient flooder(server.port(), "", 4096);
  RawClient bystander(server.port());
  const long rss_before = server.rss_kib();
  // 48 MiB of pings with 125 bytes of data each, sent by a thread while
  // this one reads nothing; the server answers each with a pong of the
  // same data.
  const std::string data(125, 'p');
  std::string burst;
  for (int i = 0; i < 128; ++i) burst += client_frame(0x89, data);
  const std::size_t pings = (48u << 20) / burst.size() * 128;
  std::atomic<bool> all_sent{false};
  TestThread sender([&](std::stop_token stop) {
    // A test that fails before reading would leave the send blocked.
    std::stop_callback unblock(stop, [&] { flooder.shutdown(); });
    for (std::size_t i = 0; i < pings / 128; ++i) {
      if (!flooder.send_all(burst)) return;
    }
    all_sent = true;
  });
  // Unbounded, the server would hold one pong per ping it read: the
  // whole 48 MiB, read in well under the 4 s given here.
  eventually([&] { return all_sent.load(); }, std::chrono::seconds(4));
  const long grown_kib = server.rss_kib() - rss_before;
  CAPTURE(pings, grown_kib);
  CHECK(grown_kib < 8 * 1024);
  bystander.send(text(R"({"type":"ping"})"));
  CHECK(bystander.next().opcode == 0x1);
  // Once the client reads, the server reads on: every ping gets its pong.
  std::size_t pongs = 0;
  for (RawClient::Frame frame = flooder.next(); frame.opcode == 0xA && frame.payload == data; frame = flooder.next()) {
    if (++pongs == pings) break;
  }
  CHECK(pongs == pings);
}
