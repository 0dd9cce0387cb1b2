// End-to-end: the limits of contract section 12 against the real server:
// --max-subscriptions, --max-topics (REST, auto-create over WebSocket and
// HTTP), --max-publish-rate (WebSocket and HTTP, the connection staying
// open), --allowed-origins and CORS.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "e2e/harness.h"

using namespace pubsub::e2e;
namespace json = boost::json;
using Catch::Matchers::ContainsSubstring;

namespace {

json::object subscribe_reply(WsClient& ws, const std::string& topic) {
  ws.send(R"({"type":"subscribe","topic":")" + topic + R"(","client_id":"c","request_id":"r"})");
  return ws.next();
}

std::string message_body(int n) { return json::serialize(json::object{{"id", uuid()}, {"payload", n}}); }

}  // namespace

TEST_CASE("--max-subscriptions: one more subscribe is LIMIT_EXCEEDED, the connection stays") {
  ServerProcess server({"--max-subscriptions", "2"});
  for (const char* t : {"a", "b", "c"}) REQUIRE(create_topic(server.port(), t) == 201);
  WsClient ws(server.port());
  CHECK(subscribe_reply(ws, "a").at("type") == "ack");
  CHECK(subscribe_reply(ws, "b").at("type") == "ack");
  json::object refused = subscribe_reply(ws, "c");
  CHECK(refused.at("type") == "error");
  CHECK(refused.at("request_id") == "r");
  CHECK(refused.at("error").at("code") == "LIMIT_EXCEEDED");
  CHECK(subscribe_reply(ws, "a").at("type") == "ack");  // one held already: no more
  CHECK(http(server.port(), "GET", "/topics/c").json().at("subscribers") == 0);
  ws.send(R"({"type":"unsubscribe","topic":"a","client_id":"c"})");
  REQUIRE(ws.next().at("type") == "ack");
  CHECK(subscribe_reply(ws, "c").at("type") == "ack");
  WsClient other(server.port());  // the bound is per connection
  CHECK(subscribe_reply(other, "a").at("type") == "ack");
}

TEST_CASE("--max-subscriptions with --auto-create-topics: a refused subscribe creates no topic") {
  ServerProcess server({"--max-subscriptions", "1", "--auto-create-topics", "true"});
  WsClient ws(server.port());
  CHECK(subscribe_reply(ws, "held").at("type") == "ack");
  for (const std::string topic : {"x0", "x1", "x2"}) {
    json::object refused = subscribe_reply(ws, topic);
    CHECK(refused.at("type") == "error");
    CHECK(refused.at("error").at("code") == "LIMIT_EXCEEDED");
    CHECK(http(server.port(), "GET", "/topics/" + topic).status == 404);
  }
  CHECK(http(server.port(), "GET", "/health").json().at("topics") == 1);
}

TEST_CASE("--max-topics: creating one more is 403 over REST and LIMIT_EXCEEDED on auto-create") {
  ServerProcess server({"--max-topics", "2", "--auto-create-topics", "true"});
  REQUIRE(create_topic(server.port(), "a") == 201);
  REQUIRE(create_topic(server.port(), "b") == 201);
  HttpResponse refused = http(server.port(), "POST", "/topics", R"({"name":"c"})");
  CHECK(refused.status == 403);
  CHECK(refused.json().at("error").at("code") == "LIMIT_EXCEEDED");
  CHECK(http(server.port(), "POST", "/topics", R"({"name":"a"})").status == 409);  // existing: as before
  HttpResponse http_publish = http(server.port(), "POST", "/topics/c/messages", message_body(1));
  CHECK(http_publish.status == 403);
  CHECK(http_publish.json().at("error").at("code") == "LIMIT_EXCEEDED");
  WsClient ws(server.port());
  json::object subscribe = subscribe_reply(ws, "c");
  CHECK(subscribe.at("error").at("code") == "LIMIT_EXCEEDED");
  ws.send_json(publish_request("c", 1, "p"));
  json::object publish = ws.next();
  CHECK(publish.at("error").at("code") == "LIMIT_EXCEEDED");
  CHECK(ws.publish("a", 1).at("type") == "ack");  // existing topics work
  CHECK(http(server.port(), "GET", "/health").json().at("topics") == 2);
  REQUIRE(http(server.port(), "DELETE", "/topics/b").status == 200);
  CHECK(create_topic(server.port(), "c") == 201);
}

TEST_CASE("--max-publish-rate: a burst of one second passes, the next publish is RATE_LIMITED and not published") {
  ServerProcess server({"--max-publish-rate", "5"});
  REQUIRE(create_topic(server.port(), "r") == 201);
  WsClient sub(server.port()), pub(server.port());
  sub.subscribe("r");
  // Sent at once: the first five pass, the rest are refused, each answered.
  for (int i = 1; i <= 8; ++i) pub.send_json(publish_request("r", i, "p" + std::to_string(i)));
  int acked = 0, limited = 0;
  for (int i = 1; i <= 8; ++i) {
    json::object reply = pub.next();
    CHECK(reply.at("request_id").as_string() == "p" + std::to_string(i));
    if (reply.at("type") == "ack") {
      ++acked;
    } else {
      CHECK(reply.at("error").at("code") == "RATE_LIMITED");
      ++limited;
    }
  }
  CHECK(acked == 5);
  CHECK(limited == 3);
  for (int i = 1; i <= 5; ++i) CHECK(sub.next().at("seq") == i);
  CHECK(sub.silent_for(100ms));  // the refused ones were not published
  // The connection stays open, and the budget comes back with time.
  std::this_thread::sleep_for(400ms);
  CHECK(pub.publish("r", 6).at("type") == "ack");
  // HTTP publishes have a budget per connection too.
  HttpConnection rest(server.port());
  int http_published = 0, http_limited = 0;
  for (int i = 0; i < 8; ++i) {
    auto r = rest.request("POST", "/topics/r/messages", message_body(i));
    REQUIRE(r);
    if (r->status == 201) ++http_published;
    if (r->status == 429) {
      ++http_limited;
      CHECK(r->json().at("error").at("code") == "RATE_LIMITED");
    }
  }
  CHECK(http_published == 5);
  CHECK(http_limited == 3);
}

TEST_CASE("--allowed-origins: an upgrade from another origin is 403; without an Origin header it passes") {
  ServerProcess server({"--allowed-origins", "https://app.example.com,http://localhost:3000"});
  CHECK(WsClient::try_connect(server.port(), "/ws", {{"Origin", "https://app.example.com"}}) == 101);
  CHECK(WsClient::try_connect(server.port(), "/ws", {{"Origin", "http://localhost:3000"}}) == 101);
  CHECK(WsClient::try_connect(server.port(), "/ws", {{"Origin", "https://evil.example.com"}}) == 403);
  CHECK(WsClient::try_connect(server.port(), "/ws", {{"Origin", "https://app.example.com.evil"}}) == 403);
  CHECK(WsClient::try_connect(server.port(), "/ws") == 101);
  ServerProcess open;  // the default: any origin
  CHECK(WsClient::try_connect(open.port(), "/ws", {{"Origin", "https://evil.example.com"}}) == 101);
}

TEST_CASE("CORS: REST answers to a listed Origin carry Access-Control-Allow-Origin; preflights are 204") {
  ServerProcess server({"--allowed-origins", "https://app.example.com,http://localhost:3000", "--api-key", "k3y"});
  const Headers key{{"X-API-Key", "k3y"}};
  const auto with = [&](Headers headers, const std::string& origin) {
    headers.emplace_back("Origin", origin);
    return headers;
  };
  const HttpResponse listed = http(server.port(), "GET", "/topics", "", with(key, "https://app.example.com"));
  CHECK(listed.status == 200);
  CHECK(listed.headers.at("access-control-allow-origin") == "https://app.example.com");
  CHECK(listed.headers.at("vary") == "Origin");
  // Errors too, so that the page can read why.
  const HttpResponse unauthorized = http(server.port(), "GET", "/topics", "", with({}, "http://localhost:3000"));
  CHECK(unauthorized.status == 401);
  CHECK(unauthorized.headers.at("access-control-allow-origin") == "http://localhost:3000");
  for (const char* other : {"https://evil.example.com", "https://app.example.com.evil", "https://app.example.co",
                            "http://app.example.com", "null"}) {
    CAPTURE(other);
    const HttpResponse unlisted = http(server.port(), "GET", "/topics", "", with(key, other));
    CHECK(unlisted.status == 200);
    CHECK_FALSE(unlisted.headers.contains("access-control-allow-origin"));
  }
  CHECK_FALSE(http(server.port(), "GET", "/topics", "", key).headers.contains("access-control-allow-origin"));

  // Preflights need no credentials.
  Headers preflight{{"Origin", "https://app.example.com"},
                    {"Access-Control-Request-Method", "POST"},
                    {"Access-Control-Request-Headers", "x-api-key, content-type"}};
  const HttpResponse ok = http(server.port(), "OPTIONS", "/topics/orders/messages", "", preflight);
  CHECK(ok.status == 204);
  CHECK(ok.body.empty());
  CHECK(ok.headers.at("access-control-allow-origin") == "https://app.example.com");
  CHECK_THAT(ok.headers.at("access-control-allow-methods"), ContainsSubstring("POST"));
  CHECK_THAT(ok.headers.at("access-control-allow-methods"), ContainsSubstring("DELETE"));
  for (const char* header : {"Authorization", "X-API-Key", "Content-Type"}) {
    CHECK_THAT(ok.headers.at("access-control-allow-headers"), ContainsSubstring(header));
  }
  preflight[0].second = "https://app.example.com.evil";
  const HttpResponse refused = http(server.port(), "OPTIONS", "/topics", "", preflight);
  CHECK(refused.status == 204);
  CHECK_FALSE(refused.headers.contains("access-control-allow-origin"));
  CHECK_FALSE(refused.headers.contains("access-control-allow-methods"));

  // Without --allowed-origins: no CORS at all.
  ServerProcess plain;
  preflight[0].second = "https://app.example.com";
  CHECK(http(plain.port(), "OPTIONS", "/topics", "", preflight).status == 405);
  CHECK_FALSE(http(plain.port(), "GET", "/topics", "", {{"Origin", "https://app.example.com"}})
                  .headers.contains("access-control-allow-origin"));
}
