// End-to-end: every WebSocket message type and error of the contract
// (sections 1-5) against the real pubsubd over real sockets.
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <string_view>

#include "e2e/harness.h"

using namespace pubsub::e2e;
using Catch::Matchers::ContainsSubstring;
namespace json = boost::json;

namespace {

// RFC 3339 UTC with milliseconds, e.g. 2025-08-25T10:00:00.123Z ('d' is a digit).
bool is_timestamp(const json::value& v) {
  constexpr std::string_view shape = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (!v.is_string() || v.as_string().size() != shape.size()) return false;
  std::string_view ts = v.as_string();
  for (std::size_t i = 0; i < shape.size(); ++i) {
    bool ok = shape[i] == 'd' ? ts[i] >= '0' && ts[i] <= '9' : ts[i] == shape[i];
    if (!ok) return false;
  }
  return true;
}

std::string threads_arg() { return std::to_string(GENERATE(1, 3)); }

// Sends `raw` and returns the error reply, checking its shape.
json::object expect_bad_request(WsClient& ws, const std::string& raw) {
  ws.send(raw);
  auto reply = ws.next();
  INFO("request: " << raw << "\nreply: " << json::serialize(reply));
  REQUIRE(reply.at("type") == "error");
  REQUIRE(reply.at("error").at("code") == "BAD_REQUEST");
  REQUIRE(is_timestamp(reply.at("ts")));
  return reply;
}

// The connection still answers after an error.
void expect_usable(WsClient& ws) {
  ws.send(R"({"type":"ping","request_id":"alive"})");
  auto pong = ws.next();
  REQUIRE(pong.at("type") == "pong");
  REQUIRE(pong.at("request_id") == "alive");
}

}  // namespace

TEST_CASE("ping answers pong, echoing request_id and leaving it out when absent") {
  ServerProcess server({"--threads", threads_arg()});
  WsClient ws(server.port());
  ws.send(R"({"type":"ping","request_id":"r-1"})");
  auto pong = ws.next();
  CHECK(pong.at("type") == "pong");
  CHECK(pong.at("request_id") == "r-1");
  CHECK(is_timestamp(pong.at("ts")));

  ws.send(R"({"type":"ping"})");
  pong = ws.next();
  CHECK(pong.at("type") == "pong");
  CHECK_FALSE(pong.contains("request_id"));

  ws.send(R"({"type":"ping","request_id":""})");
  pong = ws.next();
  CHECK(pong.at("request_id") == "");
}

TEST_CASE("every BAD_REQUEST case names the field and keeps the connection open") {
  ServerProcess server;
  REQUIRE(create_topic(server.port(), "orders") == 201);
  WsClient ws(server.port());
  const std::string id = "550e8400-e29b-41d4-a716-446655440000";

  struct Case {
    std::string raw;
    std::string field;
  };
  std::vector<Case> cases = {
      {R"(not json)", "JSON"},
      {R"([1,2,3])", "object"},
      {R"("text")", "object"},
      {R"({"type":"subscribe","topic":"orders","client_id":"c"} trailing)", "JSON"},
      {R"({"topic":"orders"})", "type"},
      {R"({"type":"dance","topic":"orders"})", "type"},
      {R"({"type":42})", "type"},
      {R"({"type":"subscribe","client_id":"c"})", "topic"},
      {R"({"type":"subscribe","topic":5,"client_id":"c"})", "topic"},
      {R"({"type":"subscribe","topic":"bad topic","client_id":"c"})", "topic"},
      {R"({"type":"subscribe","topic":"caf\u00e9","client_id":"c"})", "topic"},
      {R"({"type":"subscribe","topic":"","client_id":"c"})", "topic"},
      {R"({"type":"subscribe","topic":")" + std::string(256, 'a') + R"(","client_id":"c"})", "topic"},
      {R"({"type":"subscribe","topic":"orders"})", "client_id"},
      {R"({"type":"subscribe","topic":"orders","client_id":""})", "client_id"},
      {R"({"type":"subscribe","topic":"orders","client_id":7})", "client_id"},
      {R"({"type":"unsubscribe","topic":"orders"})", "client_id"},
      {R"({"type":"subscribe","topic":"orders","client_id":"c","last_n":-1})", "last_n"},
      {R"({"type":"subscribe","topic":"orders","client_id":"c","last_n":1.5})", "last_n"},
      {R"({"type":"subscribe","topic":"orders","client_id":"c","last_n":"3"})", "last_n"},
      {R"({"type":"publish","topic":"orders"})", "message"},
      {R"({"type":"publish","topic":"orders","message":"hi"})", "message"},
      {R"({"type":"publish","topic":"orders","message":{"payload":1}})", "message.id"},
      {R"({"type":"publish","topic":"orders","message":{"id":"","payload":1}})", "message.id"},
      {R"({"type":"publish","topic":"orders","message":{"id":12,"payload":1}})", "message.id"},
      {R"({"type":"publish","topic":"orders","message":{"id":"not-a-uuid","payload":1}})", "message.id"},
      {R"({"type":"publish","topic":"orders","message":{"id":")" + id + R"("}})", "message.payload"},
      {R"({"type":"ping","request_id":17})", "request_id"},
  };
  for (const auto& c : cases) {
    auto reply = expect_bad_request(ws, c.raw);
    CHECK_THAT(std::string(reply.at("error").at("message").as_string()), ContainsSubstring(c.field));
  }
  // request_id is echoed on a failure when it is a string, left out when not.
  auto reply = expect_bad_request(ws, R"({"type":"subscribe","topic":"orders","request_id":"q9"})");
  CHECK(reply.at("request_id") == "q9");
  reply = expect_bad_request(ws, R"({"type":"ping","request_id":17})");
  CHECK_FALSE(reply.contains("request_id"));
  reply = expect_bad_request(ws, R"({"type":"dance"})");
  CHECK_FALSE(reply.contains("request_id"));

  ws.send_binary(R"({"type":"ping"})");
  reply = ws.next();
  CHECK(reply.at("error").at("code") == "BAD_REQUEST");
  CHECK_THAT(std::string(reply.at("error").at("message").as_string()), ContainsSubstring("binary"));
  expect_usable(ws);
}

TEST_CASE("JSON nested deeper than 512 levels is refused naming the limit, over WebSocket and REST") {
  ServerProcess server;
  REQUIRE(create_topic(server.port(), "deep") == 201);
  const std::string deep = std::string(512, '[') + std::string(512, ']');
  WsClient ws(server.port());
  auto reply = expect_bad_request(ws, R"({"type":"publish","topic":"deep","request_id":"d","message":{"id":")" +
                                          uuid() + R"(","payload":)" + deep + "}}");
  CHECK_THAT(std::string(reply.at("error").at("message").as_string()), ContainsSubstring("deeper than 512 levels"));
  expect_usable(ws);

  auto res = http(server.port(), "POST", "/topics", R"({"name":"deeper","x":)" + deep + "}");
  INFO(res.body);
  CHECK(res.status == 400);
  CHECK(res.json().at("error").at("code") == "BAD_REQUEST");
  CHECK_THAT(std::string(res.json().at("error").at("message").as_string()),
             ContainsSubstring("deeper than 512 levels"));
}

TEST_CASE("unknown fields are ignored and null payloads are accepted") {
  ServerProcess server;
  REQUIRE(create_topic(server.port(), "t") == 201);
  WsClient ws(server.port());
  ws.send(R"({"type":"subscribe","topic":"t","client_id":"c","colour":"blue","request_id":"s"})");
  CHECK(ws.next().at("type") == "ack");
  ws.send(
      R"({"type":"publish","topic":"t","extra":[1],"message":{"id":"550E8400-E29B-41D4-A716-446655440000","payload":null,"x":1}})");
  auto event = ws.next();
  CHECK(event.at("type") == "event");
  CHECK(event.at("message").at("payload").is_null());
  CHECK(ws.next().at("type") == "ack");
}

TEST_CASE("--require-uuid false accepts any non-empty id") {
  ServerProcess server({"--require-uuid", "false"});
  REQUIRE(create_topic(server.port(), "t") == 201);
  WsClient ws(server.port());
  ws.send(R"({"type":"publish","topic":"t","message":{"id":"order-17","payload":1},"request_id":"p"})");
  auto ack = ws.next();
  CHECK(ack.at("type") == "ack");
  expect_bad_request(ws, R"({"type":"publish","topic":"t","message":{"id":"","payload":1}})");
}

TEST_CASE("TOPIC_NOT_FOUND for subscribe, unsubscribe and publish, with the request_id") {
  ServerProcess server({"--threads", threads_arg()});
  WsClient ws(server.port());
  std::vector<std::string> requests = {
      R"({"type":"subscribe","topic":"ghost","client_id":"c","request_id":"a"})",
      R"({"type":"unsubscribe","topic":"ghost","client_id":"c","request_id":"a"})",
      json::serialize(publish_request("ghost", 1, "a")),
  };
  for (const auto& raw : requests) {
    ws.send(raw);
    auto reply = ws.next();
    INFO(raw);
    CHECK(reply.at("type") == "error");
    CHECK(reply.at("request_id") == "a");
    CHECK(reply.at("error").at("code") == "TOPIC_NOT_FOUND");
    CHECK_THAT(std::string(reply.at("error").at("message").as_string()), ContainsSubstring("ghost"));
  }
  ws.send(R"({"type":"subscribe","topic":"ghost","client_id":"c"})");
  CHECK_FALSE(ws.next().contains("request_id"));
  expect_usable(ws);
}

TEST_CASE("ack shape for subscribe, publish and unsubscribe") {
  ServerProcess server;
  REQUIRE(create_topic(server.port(), "orders") == 201);
  WsClient ws(server.port());
  for (std::string type : {"subscribe", "unsubscribe"}) {
    ws.send(R"({"type":")" + type + R"(","topic":"orders","client_id":"c","request_id":"r-)" + type + R"("})");
    auto ack = ws.next();
    CHECK(ack.at("type") == "ack");
    CHECK(ack.at("request_id").as_string() == "r-" + type);
    CHECK(ack.at("topic") == "orders");
    CHECK(ack.at("status") == "ok");
    CHECK(is_timestamp(ack.at("ts")));
  }
  ws.send_json(publish_request("orders", 1, "pub"));
  auto ack = ws.next();
  CHECK(ack.at("type") == "ack");
  CHECK(ack.at("request_id") == "pub");
  ws.send_json(publish_request("orders", 1));
  CHECK_FALSE(ws.next().contains("request_id"));
}

TEST_CASE("fan-out: every subscriber gets each message exactly once, in seq order") {
  ServerProcess server({"--threads", threads_arg()});
  REQUIRE(create_topic(server.port(), "fan") == 201);
  std::vector<WsClient> subscribers;
  for (int i = 0; i < 20; ++i) {
    subscribers.emplace_back(server.port());
    subscribers.back().subscribe("fan");
  }
  WsClient publisher(server.port());
  const int messages = 50;
  for (int i = 0; i < messages; ++i) CHECK(publisher.publish("fan", json::object{{"n", i}}).at("type") == "ack");
  for (auto& sub : subscribers) {
    for (int i = 0; i < messages; ++i) {
      auto event = sub.next();
      REQUIRE(event.at("type") == "event");
      CHECK(event.at("topic") == "fan");
      CHECK(event.at("seq").as_int64() == i + 1);
      CHECK(event.at("message").at("payload").at("n").as_int64() == i);
      CHECK(is_timestamp(event.at("ts")));
    }
    CHECK(sub.silent_for(100ms));
  }
  auto topic = http(server.port(), "GET", "/topics/fan").json();
  CHECK(topic.at("messages").as_int64() == messages);
  CHECK(topic.at("subscribers").as_int64() == 20);
}

TEST_CASE("topics are isolated, across connections and on one connection") {
  ServerProcess server({"--threads", threads_arg()});
  REQUIRE(create_topic(server.port(), "a") == 201);
  REQUIRE(create_topic(server.port(), "b") == 201);
  WsClient only_a(server.port()), only_b(server.port()), both(server.port()), publisher(server.port());
  only_a.subscribe("a");
  only_b.subscribe("b");
  both.subscribe("a");
  both.subscribe("b");
  publisher.publish("a", "for-a");
  publisher.publish("b", "for-b");
  publisher.publish("a", "for-a-2");

  auto e = only_a.next();
  CHECK(e.at("topic") == "a");
  CHECK(e.at("message").at("payload") == "for-a");
  CHECK(only_a.next().at("message").at("payload") == "for-a-2");
  CHECK(only_a.silent_for(150ms));

  e = only_b.next();
  CHECK(e.at("topic") == "b");
  CHECK(e.at("message").at("payload") == "for-b");
  CHECK(only_b.silent_for(150ms));

  std::vector<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    auto ev = both.next();
    seen.push_back(std::string(ev.at("topic").as_string()) + ":" +
                   std::string(ev.at("message").at("payload").as_string()));
  }
  CHECK(seen == std::vector<std::string>{"a:for-a", "b:for-b", "a:for-a-2"});
  CHECK(both.silent_for(150ms));
}

TEST_CASE("a publisher subscribed to its own topic gets its event before its ack") {
  ServerProcess server({"--threads", threads_arg()});
  REQUIRE(create_topic(server.port(), "self") == 201);
  WsClient ws(server.port());
  ws.subscribe("self");
  for (int i = 0; i < 10; ++i) {
    ws.send_json(publish_request("self", i, "p" + std::to_string(i)));
    auto first = ws.next();
    CHECK(first.at("type") == "event");
    CHECK(first.at("seq").as_int64() == i + 1);
    auto second = ws.next();
    CHECK(second.at("type") == "ack");
    CHECK(second.at("request_id").as_string() == "p" + std::to_string(i));
  }
}

TEST_CASE("two connections with one client_id are two subscribers") {
  ServerProcess server;
  REQUIRE(create_topic(server.port(), "t") == 201);
  WsClient first(server.port()), second(server.port()), publisher(server.port());
  for (WsClient* ws : {&first, &second}) {
    ws->send(R"({"type":"subscribe","topic":"t","client_id":"same"})");
    REQUIRE(ws->next().at("type") == "ack");
  }
  CHECK(http(server.port(), "GET", "/topics/t").json().at("subscribers").as_int64() == 2);
  publisher.publish("t", 1);
  CHECK(first.next().at("type") == "event");
  CHECK(second.next().at("type") == "event");
  first.send(R"({"type":"unsubscribe","topic":"t","client_id":"same"})");
  REQUIRE(first.next().at("type") == "ack");
  publisher.publish("t", 2);
  CHECK(first.silent_for(150ms));
  CHECK(second.next().at("message").at("payload") == 2);
}

TEST_CASE("subscribing twice is acknowledged and changes nothing") {
  ServerProcess server;
  REQUIRE(create_topic(server.port(), "t") == 201);
  WsClient publisher(server.port());
  publisher.publish("t", "old");
  WsClient ws(server.port());
  ws.subscribe("t", 1);
  CHECK(ws.next().at("message").at("payload") == "old");  // replay
  ws.send(R"({"type":"subscribe","topic":"t","client_id":"c","last_n":5,"request_id":"again"})");
  auto ack = ws.next();
  CHECK(ack.at("type") == "ack");
  CHECK(ack.at("request_id") == "again");
  CHECK(ws.silent_for(150ms));  // no second replay
  CHECK(http(server.port(), "GET", "/topics/t").json().at("subscribers").as_int64() == 1);
  publisher.publish("t", "new");
  CHECK(ws.next().at("message").at("payload") == "new");
  CHECK(ws.silent_for(150ms));  // exactly once
}

TEST_CASE("after the unsubscribe ack no event of the topic arrives; unsubscribing a topic not held is acked") {
  ServerProcess server({"--threads", threads_arg()});
  REQUIRE(create_topic(server.port(), "t") == 201);
  WsClient ws(server.port()), publisher(server.port());
  ws.send(R"({"type":"unsubscribe","topic":"t","client_id":"c","request_id":"u0"})");
  CHECK(ws.next().at("type") == "ack");
  ws.subscribe("t");
  for (int i = 0; i < 20; ++i) publisher.send_json(publish_request("t", i));
  ws.send(R"({"type":"unsubscribe","topic":"t","client_id":"c","request_id":"u1"})");
  // Events published before the unsubscribe may come first; nothing after the ack.
  for (;;) {
    auto m = ws.next();
    if (m.at("type") == "ack") {
      CHECK(m.at("request_id") == "u1");
      break;
    }
    CHECK(m.at("type") == "event");
  }
  for (int i = 0; i < 20; ++i) publisher.send_json(publish_request("t", i));
  CHECK(ws.silent_for(300ms));
  CHECK(http(server.port(), "GET", "/topics/t").json().at("subscribers").as_int64() == 0);
}

TEST_CASE("payload bytes pass through unchanged") {
  ServerProcess server;
  REQUIRE(create_topic(server.port(), "raw") == 201);
  WsClient sub(server.port()), pub(server.port());
  sub.subscribe("raw");
  const std::string id = "550e8400-e29b-41d4-a716-446655440000";
  std::vector<std::string> payloads = {
      R"({"price":99.50,"qty":1.0e3,"z":1,"a":2})",
      R"({ "spaced" :  [ 1 , 2 ] ,"nested":{"k":"v"}})",
      R"("caf\u00e9 \ud83d\ude00 \"quoted\" \/ \n")",
      "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"",
      R"(123456789012345678901234567890)",
      R"(-0.000000000000000000001)",
      R"([true,false,null])",
      R"(null)",
  };
  for (const auto& payload : payloads) {
    pub.send(R"({"type":"publish","topic":"raw","message":{"id":")" + id + R"(","payload":)" + payload + "}}");
    REQUIRE(pub.next().at("type") == "ack");
    Received r = sub.receive();
    REQUIRE(r.kind == Received::Kind::text);
    INFO(r.data);
    CHECK_THAT(r.data, ContainsSubstring(R"("message":{"id":")" + id + R"(","payload":)" + payload + "},"));
    CHECK_NOTHROW(json::parse(r.data));
  }
}

TEST_CASE("seq counts per topic from 1 and ts is the publish time in RFC 3339 UTC") {
  ServerProcess server;
  REQUIRE(create_topic(server.port(), "x") == 201);
  REQUIRE(create_topic(server.port(), "y") == 201);
  WsClient sub(server.port()), pub(server.port());
  sub.subscribe("x");
  sub.subscribe("y");
  pub.publish("x", 1);
  pub.publish("y", 1);
  pub.publish("x", 2);
  auto e1 = sub.next(), e2 = sub.next(), e3 = sub.next();
  CHECK(e1.at("seq").as_int64() == 1);
  CHECK(e2.at("seq").as_int64() == 1);
  CHECK(e3.at("seq").as_int64() == 2);
  CHECK(is_timestamp(e3.at("ts")));
  CHECK(std::string(e1.at("ts").as_string()) <= std::string(e3.at("ts").as_string()));
}

TEST_CASE("upgrades on other paths get 404; /ws without an upgrade is refused") {
  ServerProcess server;
  CHECK(WsClient::try_connect(server.port(), "/other") == 404);
  CHECK(WsClient::try_connect(server.port(), "/ws") == 101);
  CHECK(WsClient::try_connect(server.port(), "/ws?x=1") == 101);
  CHECK(http(server.port(), "GET", "/ws").status == 426);
}

namespace {

// An upgrade request to /ws with `headers` between its request line and
// its blank line.
std::string upgrade_request(const std::string& headers) {
  return "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" + headers +
         "\r\n";
}

}  // namespace

TEST_CASE("an upgrade with a malformed key, two keys or two Upgrade values gets 400 naming the header") {
  ServerProcess server;
  const std::string upgrade = "Upgrade: websocket\r\n";
  const std::string key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  CHECK(raw_http(server.port(), upgrade_request(upgrade + key)).status == 101);

  struct Case {
    std::string headers;
    std::string named;
  };
  const std::vector<Case> cases = {
      {upgrade + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ\r\n", "Sec-WebSocket-Key"},    // no padding
      {upgrade + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j=Q==\r\n", "Sec-WebSocket-Key"},  // padding inside
      {upgrade + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZ!==\r\n", "Sec-WebSocket-Key"},  // outside the alphabet
      {upgrade + "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA\r\n", "Sec-WebSocket-Key"},      // 15 bytes
      {upgrade + "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAAA=\r\n", "Sec-WebSocket-Key"},  // 17 bytes
      {upgrade + key + key, "Sec-WebSocket-Key"},
      {upgrade + key + "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n", "Sec-WebSocket-Key"},
      {"Upgrade: websocket, h2c\r\n" + key, "Upgrade"},
      {"Upgrade: h2c, websocket\r\n" + key, "Upgrade"},
      {upgrade + "Upgrade: h2c\r\n" + key, "Upgrade"},
      {"Upgrade: h2c\r\n" + upgrade + key, "Upgrade"},
      {upgrade, "Sec-WebSocket-Key"},
  };
  for (const auto& c : cases) {
    INFO(c.headers);
    HttpResponse res = raw_http(server.port(), upgrade_request(c.headers));
    INFO(res.body);
    CHECK(res.status == 400);
    CHECK(res.headers["content-type"] == "application/json");
    if (res.status != 400) continue;
    auto error = res.json().at("error");
    CHECK(error.at("code") == "BAD_REQUEST");
    CHECK_THAT(std::string(error.at("message").as_string()), ContainsSubstring(c.named));
  }
  // The server still upgrades well-formed requests.
  WsClient ws(server.port());
  ws.send(R"({"type":"ping"})");
  CHECK(ws.next().at("type") == "pong");
}

TEST_CASE("an upgrade without one Host or one Sec-WebSocket-Version gets 400, another version 426, in JSON") {
  ServerProcess server;
  const std::string start = "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
  const std::string key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  const std::string host = "Host: 127.0.0.1\r\n";
  const std::string version = "Sec-WebSocket-Version: 13\r\n";
  CHECK(raw_http(server.port(), start + host + key + version + "\r\n").status == 101);

  struct Case {
    std::string headers;
    int status;
    std::string named;
  };
  const std::vector<Case> cases = {
      {key + version, 400, "Host"},
      {host + host + key + version, 400, "Host"},
      {host + key, 400, "Sec-WebSocket-Version"},
      {host + key + version + version, 400, "Sec-WebSocket-Version"},
      {host + key + "Sec-WebSocket-Version: 8\r\n", 426, "Sec-WebSocket-Version"},
      {host + key + "Sec-WebSocket-Version: 13, 8\r\n", 426, "Sec-WebSocket-Version"},
  };
  for (const auto& c : cases) {
    INFO(c.headers);
    HttpResponse res = raw_http(server.port(), start + c.headers + "\r\n");
    INFO(res.body);
    CHECK(res.status == c.status);
    CHECK(res.headers["content-type"] == "application/json");
    if (res.status != c.status || res.headers["content-type"] != "application/json") continue;
    auto error = res.json().at("error");
    CHECK(error.at("code") == "BAD_REQUEST");
    CHECK_THAT(std::string(error.at("message").as_string()), ContainsSubstring(c.named));
    if (c.status == 426) {
      CHECK(res.headers["sec-websocket-version"] == "13");
      CHECK(res.headers["upgrade"] == "websocket");
      CHECK_THAT(res.headers["connection"], ContainsSubstring("Upgrade"));
    }
  }
  // /ws without an upgrade names the protocol it needs too (RFC 9110 15.5.22).
  HttpResponse plain = http(server.port(), "GET", "/ws");
  CHECK(plain.status == 426);
  CHECK(plain.headers["upgrade"] == "websocket");
  CHECK_THAT(plain.headers["connection"], ContainsSubstring("Upgrade"));
}

TEST_CASE("--auto-create-topics creates topics on subscribe and publish") {
  ServerProcess server({"--auto-create-topics", "true"});
  WsClient ws(server.port());
  ws.subscribe("fresh");
  CHECK(http(server.port(), "GET", "/topics/fresh").status == 200);
  CHECK(ws.publish("also-fresh", 1).at("type") == "ack");
  CHECK(http(server.port(), "GET", "/topics/also-fresh").json().at("messages").as_int64() == 1);
  ws.send(R"({"type":"unsubscribe","topic":"never","client_id":"c"})");
  CHECK(ws.next().at("error").at("code") == "TOPIC_NOT_FOUND");
}
