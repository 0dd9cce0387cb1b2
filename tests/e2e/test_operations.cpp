// End-to-end: heartbeats, idle timeouts, abrupt disconnects, graceful
// shutdown, authentication, close codes, HTTP limits and connection limits,
// the default thread count, the two ways of writing (--io-uring), each
// under the configuration it is about.
#include <sched.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <future>
#include <optional>
#include <sstream>
#include <thread>

#include "e2e/harness.h"

using namespace pubsub::e2e;
using Catch::Matchers::ContainsSubstring;
namespace json = boost::json;

TEST_CASE("heartbeat info every --heartbeat-interval, none when 0") {
  ServerProcess server({"--heartbeat-interval", "0.2"});
  WsClient ws(server.port());
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) {
    auto info = ws.next(2s);
    CHECK(info.at("type") == "info");
    CHECK(info.at("msg") == "ping");
    CHECK(info.contains("ts"));
    CHECK_FALSE(info.contains("topic"));
  }
  CHECK(std::chrono::steady_clock::now() - start < 2s);

  ServerProcess quiet({"--heartbeat-interval", "0"});
  WsClient q(quiet.port());
  CHECK(q.silent_for(1500ms));
}

TEST_CASE("a peer that answers nothing is closed after --idle-timeout; one that pongs stays") {
  ServerProcess server({"--idle-timeout", "1"});
  REQUIRE(create_topic(server.port(), "t") == 201);
  WsClient silent(server.port());  // never reads, so never answers pings
  silent.subscribe("t");
  WsClient alive(server.port());
  // Reading lets the client answer the server's pings (Beast does it).
  CHECK(alive.silent_for(2500ms));
  auto stats = http(server.port(), "GET", "/stats").json();
  CHECK(stats.at("websocket_connections").as_int64() == 1);
  CHECK(health_subscribers(server.port()) == 0);
  alive.send(R"({"type":"ping"})");
  CHECK(alive.next().at("type") == "pong");
  Received r = silent.receive(2s);
  CHECK((r.kind == Received::Kind::closed || r.kind == Received::Kind::error));
}

TEST_CASE("an abrupt disconnect frees every subscription within a second") {
  ServerProcess server({"--threads", "2"});
  for (std::string t : {"a", "b", "c"}) REQUIRE(create_topic(server.port(), t) == 201);
  WsClient ws(server.port());
  for (std::string t : {"a", "b", "c"}) ws.subscribe(t);
  REQUIRE(health_subscribers(server.port()) == 3);
  ws.abort();
  CHECK(eventually([&] { return health_subscribers(server.port()) == 0; }, 1s));
}

TEST_CASE("SIGTERM: queued events reach a reading subscriber before close 1001; new operations get INTERNAL; exit 0") {
  ServerProcess server({"--shutdown-timeout", "20", "--threads", "2"});
  REQUIRE(create_topic(server.port(), "last") == 201);
  WsClient sub(server.port(), "/ws", {}, 4096);
  sub.subscribe("last");
  WsClient idle(server.port());
  WsClient pub(server.port());
  const int messages = 300;
  const std::string filler(16 * 1024, 'z');
  for (int i = 0; i < messages; ++i) pub.send_json(publish_request("last", json::object{{"n", i}, {"f", filler}}));
  for (int i = 0; i < messages; ++i) REQUIRE(pub.next().at("type") == "ack");

  // The subscriber has not read yet: its events are still queued.
  auto exit_code = std::async(std::launch::async, [&] { return server.stop(SIGTERM, 30s); });
  REQUIRE(eventually([&] { return WsClient::try_connect(server.port(), "/ws") != 101; }, 5s));
  CHECK(idle.wait_closed(5s) == 1001);

  sub.send_json(publish_request("last", "too late", "late"));
  int received = 0;
  bool saw_internal = false;
  for (;;) {
    Received r = sub.receive(10s);
    if (r.kind != Received::Kind::text) {
      INFO("read ended with: " << r.data << "\nserver log:\n" << server.log());
      CHECK(r.kind == Received::Kind::closed);
      CHECK(r.close_code == 1001);
      break;
    }
    auto m = json::parse(r.data).as_object();
    if (m.at("type") == "event") {
      CHECK(m.at("message").at("payload").at("n").as_int64() == received);
      ++received;
    } else if (m.at("type") == "error") {
      CHECK(m.at("request_id") == "late");
      CHECK(m.at("error").at("code") == "INTERNAL");
      CHECK_THAT(std::string(m.at("error").at("message").as_string()), ContainsSubstring("shutting down"));
      saw_internal = true;
    }
  }
  CHECK(received == messages);
  CHECK(saw_internal);
  CHECK(exit_code.get() == 0);
}

TEST_CASE("SIGINT also shuts down cleanly") {
  ServerProcess server;
  WsClient ws(server.port());
  auto code = std::async(std::launch::async, [&] { return server.stop(SIGINT); });
  CHECK(ws.wait_closed() == 1001);
  CHECK(code.get() == 0);
}

TEST_CASE("--api-key with several keys accepts each of them, for rotation") {
  ServerProcess server({"--api-key", "new-key,old-key"});
  for (const std::string key : {"new-key", "old-key"}) {
    CAPTURE(key);
    CHECK(http(server.port(), "GET", "/topics", "", {{"X-API-Key", key}}).status == 200);
    CHECK(WsClient::try_connect(server.port(), "/ws", {{"X-API-Key", key}}) == 101);
    CHECK(WsClient::try_connect(server.port(), "/ws?api_key=" + key) == 101);
  }
  for (const std::string key : {"new-key,old-key", "new", "key", ""}) {
    CAPTURE(key);
    CHECK(http(server.port(), "GET", "/topics", "", {{"X-API-Key", key}}).status == 401);
    CHECK(WsClient::try_connect(server.port(), "/ws", {{"X-API-Key", key}}) == 401);
  }
}

TEST_CASE("--api-key protects REST (but GET /health) and the upgrade; the key is never logged") {
  const std::string key = "s3cr3t/key&x";
  ServerProcess server({"--api-key", key, "--log-level", "debug"});
  const Headers with_key = {{"X-API-Key", key}};
  const Headers wrong_key = {{"X-API-Key", "nope"}};

  CHECK(http(server.port(), "GET", "/health").status == 200);
  for (auto [method, path] : std::vector<std::pair<std::string, std::string>>{{"GET", "/topics"},
                                                                              {"POST", "/topics"},
                                                                              {"GET", "/stats"},
                                                                              {"GET", "/topics/x"},
                                                                              {"DELETE", "/topics/x"},
                                                                              {"GET", "/no/such/path"},
                                                                              {"POST", "/health"}}) {
    INFO(method << " " << path);
    for (const Headers& h : {Headers{}, wrong_key}) {
      auto res = http(server.port(), method, path, method == "POST" ? R"({"name":"x"})" : "", h);
      CHECK(res.status == 401);
      CHECK(res.json().at("error").at("code") == "UNAUTHORIZED");
    }
  }
  CHECK(http(server.port(), "GET", "/topics?api_key=s3cr3t%2Fkey%26x").status == 401);  // REST: header only
  CHECK(create_topic(server.port(), "x", with_key) == 201);
  CHECK(http(server.port(), "GET", "/stats", "", with_key).status == 200);

  CHECK(WsClient::try_connect(server.port(), "/ws") == 401);
  CHECK(WsClient::try_connect(server.port(), "/ws", wrong_key) == 401);
  CHECK(WsClient::try_connect(server.port(), "/ws?api_key=wrong") == 401);
  CHECK(WsClient::try_connect(server.port(), "/ws", with_key) == 101);
  CHECK(WsClient::try_connect(server.port(), "/ws?api_key=s3cr3t%2Fkey%26x") == 101);
  WsClient ws(server.port(), "/ws?api_key=s3cr3t%2Fkey%26x");
  ws.subscribe("x");

  std::string log = server.log();
  CHECK_THAT(log, ContainsSubstring("websocket open"));
  CHECK(log.find("s3cr3t") == std::string::npos);
}

TEST_CASE("close codes: 1009 too big, 1007 invalid UTF-8, 1002 protocol violation") {
  ServerProcess server({"--max-message-bytes", "1024"});
  {
    WsClient ws(server.port());
    ws.send(R"({"type":"ping","pad":")" + std::string(900, 'a') + R"("})");  // fits
    CHECK(ws.next().at("type") == "pong");
    ws.send(R"({"type":"ping","pad":")" + std::string(2000, 'a') + R"("})");
    CHECK(ws.wait_closed() == 1009);
  }
  {
    WsClient ws(server.port());  // far larger than the limit
    ws.send(R"({"type":"ping","pad":")" + std::string(3 << 20, 'a') + R"("})");
    CHECK(ws.wait_closed() == 1009);
  }
  {
    WsClient ws(server.port());
    ws.send("{\"type\":\"ping\",\"bad\":\"\xff\xfe\"}");
    CHECK(ws.wait_closed() == 1007);
  }
  {
    WsClient ws(server.port());
    ws.send_raw(std::string("\x81\x05hello", 7));  // unmasked client frame
    CHECK(ws.wait_closed() == 1002);
  }
  // Other clients are unaffected.
  WsClient ok(server.port());
  ok.send(R"({"type":"ping"})");
  CHECK(ok.next().at("type") == "pong");
}

TEST_CASE("oversized HTTP headers get 431, an oversized target 414; a stalled HTTP client is cut off") {
  ServerProcess server({"--idle-timeout", "1"});
  auto res = http(server.port(), "GET", "/health", "", {{"X-Filler", std::string(20000, 'h')}});
  CHECK(res.status == 431);
  CHECK(res.json().at("error").at("code") == "BAD_REQUEST");

  // The request line alone is past the limit: the target is what is too long.
  res = http(server.port(), "GET", "/topics/" + std::string(20000, 't'));
  CHECK(res.status == 414);
  CHECK(res.json().at("error").at("code") == "BAD_REQUEST");
  CHECK(res.json().at("error").at("message") == "the request target is longer than 16 KiB");
  // Just under the limit it is read, and refused for what it names.
  CHECK(http(server.port(), "GET", "/topics/" + std::string(15000, 't')).status == 400);

  // A client that sends half a request and stops is closed by the deadline.
  auto closed_after = time_until_closed(server.port(), "GET /health HTTP/1.1\r\nHost: x\r\n", 5s);
  REQUIRE(closed_after.has_value());
  CHECK(*closed_after >= 500ms);
  CHECK(eventually([&] { return http(server.port(), "GET", "/stats").json().at("connections").as_int64() == 1; }));
}

TEST_CASE("--max-connections: past it new connections get 503 UNAVAILABLE and are counted") {
  ServerProcess server({"--max-connections", "2"});
  WsClient a(server.port()), b(server.port());
  auto res = http(server.port(), "GET", "/health");
  CHECK(res.status == 503);
  CHECK(res.json().at("error").at("code") == "UNAVAILABLE");
  CHECK(WsClient::try_connect(server.port(), "/ws") == 503);
  auto upgrade = raw_http(server.port(),
                          "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
  CHECK(upgrade.status == 503);
  CHECK(upgrade.json().at("error").at("code") == "UNAVAILABLE");
  CHECK_THAT(std::string(upgrade.json().at("error").at("message").as_string()),
             ContainsSubstring("too many connections"));
  b.close();
  REQUIRE(eventually([&] { return http(server.port(), "GET", "/health").status == 200; }));
  // The earlier requests' connections close asynchronously: retry while 503.
  HttpResponse stats;
  REQUIRE(eventually([&] { return (stats = http(server.port(), "GET", "/stats")).status == 200; }));
  CHECK(stats.json().at("rejected_connections").as_int64() >= 2);
}

TEST_CASE("--threads defaults to the cores the process may use: one under a one-CPU affinity mask") {
  // The server inherits the mask of the thread that starts it.
  cpu_set_t allowed;
  REQUIRE(sched_getaffinity(0, sizeof allowed, &allowed) == 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &allowed)) {
      CPU_SET(cpu, &one);
      break;
    }
  }
  REQUIRE(sched_setaffinity(0, sizeof one, &one) == 0);
  std::optional<ServerProcess> server;
  std::exception_ptr failed;
  try {
    server.emplace();
  } catch (...) {
    failed = std::current_exception();
  }
  REQUIRE(sched_setaffinity(0, sizeof allowed, &allowed) == 0);
  if (failed) std::rethrow_exception(failed);
  // The log line follows the "listening on" line that the start waits for.
  REQUIRE(eventually([&] { return server->log().find(" threads=") != std::string::npos; }));
  CHECK_THAT(server->log(), ContainsSubstring(" threads=1\n"));
  CHECK(http(server->port(), "GET", "/health").status == 200);
}

TEST_CASE("out of descriptors: accept failures are logged once, then once a second with a count; accepting resumes") {
  ServerProcess server({"--threads", "1"});
  server.limit_descriptors(4);
  std::vector<TcpConnection> held;
  for (int i = 0; i < 16; ++i) held.emplace_back(server.port());  // the kernel queues what the server cannot take
  REQUIRE(eventually([&] { return server.log().find("accept failed") != std::string::npos; }, 5s));
  std::this_thread::sleep_for(2500ms);  // the loop retries every 50 ms meanwhile

  std::vector<std::string> lines;
  std::istringstream log(server.log());
  for (std::string line; std::getline(log, line);) {
    if (line.find("accept failed") != std::string::npos) lines.push_back(line);
  }
  INFO(server.log());
  CHECK(lines.size() >= 2);
  CHECK(lines.size() <= 4);
  // Every line says how many failures it stands for; the later ones many.
  CHECK(std::all_of(lines.begin(), lines.end(),
                    [](const std::string& line) { return line.find("failures=") != std::string::npos; }));
  if (lines.size() >= 2 && lines.back().find("failures=") != std::string::npos) {
    const std::string& last = lines.back();
    CHECK(std::stoi(last.substr(last.find("failures=") + 9)) > 5);
  }

  held.clear();
  CHECK(eventually([&] { return server.log().find("accepting again") != std::string::npos; }, 5s));
  CHECK(http(server.port(), "GET", "/health").status == 200);
}

namespace {

// Gives `server` `count` topics of 250-byte names, so that GET /topics
// answers `count` x 270 bytes. Requests go 100 at a time on one connection.
void create_many_topics(const ServerProcess& server, int count) {
  HttpConnection setup(server.port());
  int created = 0;
  for (int batch = 0; batch < count; batch += 100) {
    bool sent = true;
    for (int t = batch; t < std::min(batch + 100, count); ++t) {
      sent = sent && setup.send("POST", "/topics",
                                R"({"name":")" + std::string(250 - std::to_string(t).size(), 'x') + std::to_string(t) +
                                    R"("})");
    }
    REQUIRE(sent);
    for (int t = batch; t < std::min(batch + 100, count); ++t) {
      auto res = setup.receive();
      created += res && res->status == 201;
    }
  }
  REQUIRE(created == count);
}

}  // namespace

TEST_CASE("SIGTERM while a keep-alive response is being written: the connection closes after it, the server exits") {
  ServerProcess server({"--shutdown-timeout", "10"});
  create_many_topics(server, 20000);  // 5.4 MB: more than the kernel's buffers take
  HttpConnection client(server.port(), 4096);
  REQUIRE(client.send("GET", "/topics"));
  // The response has begun; its write now waits for the client to read.
  REQUIRE(client.wait_readable(10s));
  std::this_thread::sleep_for(100ms);
  const auto signalled = std::chrono::steady_clock::now();
  server.signal(SIGTERM);
  std::this_thread::sleep_for(100ms);
  auto res = client.receive();  // decided before the shutdown: keep-alive
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->headers["connection"] != "close");
  // Left open by the client, the connection must not hold the shutdown.
  const int status = server.wait(15s);
  const auto exit_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - signalled).count();
  CHECK(status == 0);
  CHECK(exit_ms < 2500);
}

TEST_CASE("SIGTERM while keep-alive clients send requests in a tight loop: the server exits at once") {
  // A response being written when the shutdown began left its connection
  // waiting for the next request: the shutdown then took all of
  // --shutdown-timeout. Large responses (270 KB) keep the shards busy
  // between deciding to keep a connection open and finishing the write;
  // rounds catch a shutdown that begins in between.
  for (int round = 0; round < 20; ++round) {
    ServerProcess server({"--shutdown-timeout", "10", "--threads", "2"});
    create_many_topics(server, 1000);
    // The connections outlive the server: one left open must not hold it.
    std::vector<HttpConnection> connections;
    for (int i = 0; i < 4; ++i) connections.emplace_back(server.port());
    std::atomic<int> answered{0};
    std::vector<TestThread> clients;
    for (HttpConnection& connection : connections) {
      clients.emplace_back([&connection, &answered](std::stop_token stop) {
        while (!stop.stop_requested()) {
          std::optional<HttpResponse> res = connection.request("GET", "/topics");
          if (!res || res->headers["connection"] == "close") return;
          ++answered;
        }
      });
    }
    REQUIRE(eventually([&] { return answered.load() >= 4 * (round % 4 + 1); }));
    const auto signalled = std::chrono::steady_clock::now();
    server.signal(SIGTERM);
    for (TestThread& client : clients) client.request_stop();  // each stops after its request in flight
    for (TestThread& client : clients) client.join();
    const int status = server.wait(15s);
    const auto exit_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - signalled).count();
    CAPTURE(round, exit_ms, answered.load());
    REQUIRE(status == 0);
    REQUIRE(exit_ms < 2500);
  }
}

TEST_CASE("a subscriber that drops its TCP connection around SIGTERM does not hold the shutdown") {
  // Its close handshake waited the whole 5 s for a peer that had gone:
  // the end of its stream did not end the connection.
  for (int round = 0; round < 10; ++round) {
    const bool signal_first = round % 2 == 1;
    ServerProcess server({"--shutdown-timeout", "10"});
    REQUIRE(create_topic(server.port(), "t") == 201);
    WsClient ws(server.port());
    ws.subscribe("t");
    const auto start = std::chrono::steady_clock::now();
    if (signal_first) {
      server.signal(SIGTERM);
      std::this_thread::sleep_for(2ms);
      ws.abort();
    } else {
      ws.abort();
      server.signal(SIGTERM);
    }
    const int status = server.wait(15s);
    const auto exit_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    CAPTURE(round, signal_first, exit_ms);
    CHECK(status == 0);
    CHECK(exit_ms < 3000);
  }
}

TEST_CASE("--io-uring: every subscriber gets every event whole and in order, the writes submitted together or not") {
  const std::string io_uring = GENERATE("true", "false");
  ServerProcess server({"--io-uring", io_uring, "--threads", "2"});
  REQUIRE(eventually([&] { return server.log().find(" threads=") != std::string::npos; }));
  CHECK_THAT(server.log(), ContainsSubstring(io_uring == "true" ? " writes=io_uring " : " writes=sendmsg "));
  REQUIRE(create_topic(server.port(), "fan") == 201);

  // Forty subscribers over both threads; every fourth has a small receive
  // buffer, so that its writes are taken in part or not at all (the rest
  // waits for room), while the others' are taken whole.
  constexpr int kSubscribers = 40;
  constexpr int kMessages = 300;
  std::vector<WsClient> subscribers;
  for (int i = 0; i < kSubscribers; ++i) {
    subscribers.emplace_back(server.port(), "/ws", Headers{}, i % 4 == 0 ? 4096 : 0);
    subscribers.back().subscribe("fan");
  }
  // Small events are copied into a connection's buffer, those over 1 KiB
  // are written from their own bytes: a write gathers both kinds.
  const auto payload = [](int i) { return std::string(i % 3 == 0 ? 3000 : 20, static_cast<char>('a' + i % 26)); };
  WsClient publisher(server.port());
  for (int i = 0; i < kMessages; ++i) {
    publisher.send_json(publish_request("fan", json::object{{"n", i}, {"text", payload(i)}}));
  }
  for (int i = 0; i < kMessages; ++i) REQUIRE(publisher.next().at("type") == "ack");

  for (int s = 0; s < kSubscribers; ++s) {
    INFO("subscriber " << s);
    for (int i = 0; i < kMessages; ++i) {
      const json::object event = subscribers[s].next();
      REQUIRE(event.at("type") == "event");
      REQUIRE(event.at("seq").as_int64() == i + 1);
      const json::value& sent = event.at("message").at("payload");
      REQUIRE(sent.at("n").as_int64() == i);
      REQUIRE(sent.at("text").as_string() == payload(i));
    }
    CHECK(subscribers[s].silent_for(50ms));
  }
}
