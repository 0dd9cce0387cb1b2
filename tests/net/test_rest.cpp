// Tests of the REST router (rest.h) against a real core::Broker: every
// route and status of the contract's section 6, the error bodies, the
// Allow header of 405s, API-key checks (section 7) and the URL helpers.
#include "net/rest.h"
#include "net/web_assets.h"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/broker.h"
#include "core/fakes.h"
#include "protocol/json_scan.h"
#include "support/jwt_signer.h"

using Catch::Matchers::ContainsSubstring;
using namespace pubsub;
using net::RestResponse;
using namespace std::string_literals;

namespace {

using core::testing::TestEvents;
using core::testing::TestFrames;
using core::testing::TestSubscriber;

// The members of a JSON object body: key -> raw value text.
struct Members final : protocol::MemberVisitor {
  std::map<std::string, std::string> raw;
  void member(std::string_view key, protocol::JsonValue value) override { raw[std::string(key)] = value.raw; }
};

// Parses `body` as a JSON object; fails the test if it is not one.
std::map<std::string, std::string> members(std::string_view body) {
  Members m;
  INFO(body);
  REQUIRE(protocol::scan_object(body, m) == protocol::ObjectScan::ok);
  return m.raw;
}

// The code of a failure body {"error":{"code":...,"message":...}}.
std::string error_code(std::string_view body) {
  auto outer = members(body);
  REQUIRE(outer.size() == 1);
  REQUIRE(outer.contains("error"));
  auto inner = members(outer["error"]);
  REQUIRE(inner.contains("code"));
  REQUIRE(inner.contains("message"));
  REQUIRE(inner["message"].size() > 2);  // a non-empty explanation
  return inner["code"];
}

struct Rest {
  explicit Rest(std::vector<std::string> keys = {}, std::shared_ptr<const auth::JwtVerifier> jwt = nullptr)
      : authenticator(std::move(keys), std::move(jwt)) {}

  RestResponse call(std::string_view method, std::string_view target, std::string_view body = "",
                    std::optional<std::string_view> key = std::nullopt,
                    std::optional<std::string_view> token = std::nullopt) {
    net::RestContext context{authenticator, started, counters};
    return net::handle_rest(broker, context, net::RestRequest{method, target, body, key, token});
  }
  RestResponse get(std::string_view target) { return call("GET", target); }

  TestFrames frames;
  TestEvents events;
  core::Broker broker{core::BrokerOptions{100, 1, {}}, frames};
  auth::Authenticator authenticator;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  net::ServerCounters counters;
};

}  // namespace

// ------------------------------------------------------------------ topics

TEST_CASE("POST /topics creates a topic", "[rest][topics]") {
  Rest rest;
  auto r = rest.call("POST", "/topics", R"({"name":"orders"})");
  CHECK(r.status == 201);
  CHECK(r.body == R"({"status":"created","topic":"orders"})");
  CHECK(r.allow.empty());
  CHECK(rest.broker.topic_stats("orders").has_value());

  SECTION("an existing topic is 409") {
    auto again = rest.call("POST", "/topics", R"({ "name" : "orders" })");
    CHECK(again.status == 409);
    CHECK(again.body == R"({"error":{"code":"TOPIC_EXISTS","message":"topic 'orders' already exists"}})");
    CHECK(rest.broker.topic_count() == 1);
  }
  SECTION("escapes in the name are decoded and extra members ignored") {
    auto escaped = rest.call("POST", "/topics", R"({"extra":[1],"name":"ord\u0065rs.v2"})");
    CHECK(escaped.status == 201);
    CHECK(escaped.body == R"({"status":"created","topic":"orders.v2"})");
    CHECK(rest.broker.topic_stats("orders.v2").has_value());
  }
  SECTION("a query string does not change the route") {
    CHECK(rest.call("POST", "/topics?x=1", R"({"name":"other"})").status == 201);
  }
}

TEST_CASE("POST /topics with a bad body or name is 400", "[rest][topics]") {
  Rest rest;
  auto body = GENERATE(as<std::string>{}, "", "not json", "[]", R"("orders")", "null", R"({"name":"orders")",
                       R"({"name":"orders"} x)", "{}", R"({"topic":"orders"})", R"({"name":5})", R"({"name":null})",
                       R"({"name":["orders"]})", R"({"name":{"n":"orders"}})", R"({"name":true})", R"({"name":""})",
                       R"({"name":"bad name"})", R"({"name":"a/b"})", R"({"name":"caf\u00e9"})", R"({"name":"\ud800"})",
                       "{\"name\":\"\xC3\xA9\"}", R"({"name":")" + std::string(256, 'x') + R"("})");
  CAPTURE(body);
  auto r = rest.call("POST", "/topics", body);
  CHECK(r.status == 400);
  CHECK(error_code(r.body) == R"("BAD_REQUEST")");
  CHECK(rest.broker.topic_count() == 0);
}

TEST_CASE("POST /topics with a body nested past the limit says so", "[rest][topics]") {
  Rest rest;
  const std::string deep = std::string(protocol::kMaxJsonDepth, '[') + std::string(protocol::kMaxJsonDepth, ']');
  auto r = rest.call("POST", "/topics", R"({"name":"orders","x":)" + deep + "}");
  CHECK(r.status == 400);
  CHECK(error_code(r.body) == R"("BAD_REQUEST")");
  CHECK_THAT(r.body, ContainsSubstring("nesting deeper than 512 levels"));
  const std::string fits = deep.substr(1, deep.size() - 2);
  CHECK(rest.call("POST", "/topics", R"({"name":"orders","x":)" + fits + "}").status == 201);
}

TEST_CASE("POST /topics names the field that is wrong", "[rest][topics]") {
  Rest rest;
  CHECK_THAT(rest.call("POST", "/topics", R"({"name":5})").body, ContainsSubstring("name"));
  CHECK_THAT(rest.call("POST", "/topics", R"({"name":"a b"})").body, ContainsSubstring("name"));
  CHECK(rest.call("POST", "/topics", R"({"name":")" + std::string(255, 'x') + R"("})").status == 201);
}

// JSON object keys may be written with escapes; "n\u0061me" is the key
// "name" (the WebSocket parser decodes keys the same way).
TEST_CASE("POST /topics reads a name key written with escapes", "[rest][topics][bug]") {
  Rest rest;
  auto r = rest.call("POST", "/topics", R"({"n\u0061me":"orders"})");
  CHECK(r.status == 201);
  CHECK(rest.broker.topic_stats("orders").has_value());
}

TEST_CASE("DELETE /topics/{name} deletes a topic", "[rest][topics]") {
  Rest rest;
  rest.broker.create_topic("orders");
  auto r = rest.call("DELETE", "/topics/orders");
  CHECK(r.status == 200);
  CHECK(r.body == R"({"status":"deleted","topic":"orders"})");
  CHECK_FALSE(rest.broker.topic_stats("orders").has_value());

  auto again = rest.call("DELETE", "/topics/orders");
  CHECK(again.status == 404);
  CHECK(error_code(again.body) == R"("TOPIC_NOT_FOUND")");
}

TEST_CASE("GET /topics lists topics sorted by name", "[rest][topics]") {
  Rest rest;
  CHECK(rest.get("/topics").status == 200);
  CHECK(rest.get("/topics").body == R"({"topics":[]})");

  for (const char* name : {"b", "a", "B", "_"}) rest.broker.create_topic(name);
  TestSubscriber s1(rest.broker, 0), s2(rest.broker, 0);
  rest.broker.subscribe(s1, "a", 0, false);
  rest.broker.subscribe(s2, "a", 0, false);
  rest.broker.subscribe(s2, "b", 0, false);
  auto r = rest.get("/topics");
  CHECK(r.status == 200);
  CHECK(r.body == R"({"topics":[{"name":"B","subscribers":0},{"name":"_","subscribers":0},)"
                  R"({"name":"a","subscribers":2},{"name":"b","subscribers":1}]})");
}

TEST_CASE("GET /topics/{name} shows one topic", "[rest][topics]") {
  Rest rest;
  rest.broker.create_topic("orders");
  TestSubscriber sub(rest.broker, 0);
  rest.broker.subscribe(sub, "orders", 0, false);
  for (int i = 0; i < 42; ++i) rest.broker.publish(0, "orders", false, rest.events);

  auto r = rest.get("/topics/orders");
  CHECK(r.status == 200);
  auto m = members(r.body);
  CHECK(m["name"] == R"("orders")");
  CHECK(m["subscribers"] == "1");
  CHECK(m["messages"] == "42");
  CHECK(r.body.starts_with(R"({"name":"orders","subscribers":1,"messages":42)"));

  SECTION("messages counts every message ever published, beyond the history") {
    core::Broker small(core::BrokerOptions{2, 1, {}}, rest.frames);
    small.create_topic("t");
    for (int i = 0; i < 5; ++i) small.publish(0, "t", false, rest.events);
    const auth::Authenticator open;
    auto s = net::handle_rest(small, net::RestContext{open, rest.started, {}}, {"GET", "/topics/t", "", {}, {}});
    CHECK(members(s.body)["messages"] == "5");
  }
  SECTION("unknown topics are 404") {
    auto missing = rest.get("/topics/nope");
    CHECK(missing.status == 404);
    CHECK(error_code(missing.body) == R"("TOPIC_NOT_FOUND")");
    CHECK_THAT(missing.body, ContainsSubstring("nope"));
  }
}

TEST_CASE("topic names in paths are percent-decoded", "[rest][topics]") {
  Rest rest;
  rest.broker.create_topic("orders");
  rest.broker.create_topic("a:b");
  CHECK(members(rest.get("/topics/ord%65rs").body)["name"] == R"("orders")");
  CHECK(members(rest.get("/topics/%6F%72%64%65%72%73").body)["name"] == R"("orders")");
  CHECK(members(rest.get("/topics/a%3Ab").body)["name"] == R"("a:b")");
  CHECK(members(rest.get("/topics/a%3ab").body)["name"] == R"("a:b")");
  CHECK(members(rest.get("/topics/orders?verbose=1").body)["name"] == R"("orders")");
  auto r = rest.call("DELETE", "/topics/ord%65rs");
  CHECK(r.status == 200);
  CHECK(r.body == R"({"status":"deleted","topic":"orders"})");
}

TEST_CASE("malformed escapes and invalid names in paths are 400", "[rest][topics]") {
  Rest rest;
  rest.broker.create_topic("orders");
  auto method = GENERATE(as<std::string>{}, "GET", "DELETE");
  auto target = GENERATE(as<std::string>{}, "/topics/%", "/topics/ord%6", "/topics/%zz", "/topics/%g1",
                         "/topics/orders%", "/topics/%%41", "/topics/", "/topics/a%20b", "/topics/a%2Fb", "/topics/a/b",
                         "/topics/orders/", "/topics/caf%C3%A9", "/topics/%00", "/topics/" + std::string(256, 'x'));
  CAPTURE(method, target);
  auto r = rest.call(method, target);
  CHECK(r.status == 400);
  CHECK(error_code(r.body) == R"("BAD_REQUEST")");
  CHECK(rest.broker.topic_stats("orders").has_value());  // nothing deleted by mistake
}

// ------------------------------------------------------------------ health and stats

TEST_CASE("GET /health reports uptime, topics and subscribers", "[rest][health]") {
  Rest rest;
  rest.started = std::chrono::steady_clock::now() - std::chrono::seconds(123);
  rest.broker.create_topic("a");
  rest.broker.create_topic("b");
  TestSubscriber s1(rest.broker, 0), s2(rest.broker, 0);
  rest.broker.subscribe(s1, "a", 0, false);
  rest.broker.subscribe(s1, "b", 0, false);
  rest.broker.subscribe(s2, "a", 0, false);
  rest.broker.subscribe(s2, "b", 0, false);

  auto r = rest.get("/health");
  CHECK(r.status == 200);
  auto m = members(r.body);
  CHECK(m["uptime_sec"] == "123");
  CHECK(m["topics"] == "2");
  CHECK(m["subscribers"] == "4");
  CHECK(m["status"] == R"("ok")");

  SECTION("a fresh server") {
    Rest fresh;
    auto f = members(fresh.get("/health").body);
    CHECK(f["uptime_sec"] == "0");
    CHECK(f["topics"] == "0");
    CHECK(f["subscribers"] == "0");
  }
  SECTION("while shutting down") {
    rest.counters.shutting_down = true;
    auto s = rest.get("/health");
    CHECK(s.status == 503);
    CHECK(members(s.body)["status"] == R"("shutting_down")");
  }
}

TEST_CASE("GET /stats reports every topic", "[rest][stats]") {
  Rest rest;
  CHECK(members(rest.get("/stats").body)["topics"] == "{}");

  rest.broker.create_topic("orders");
  rest.broker.create_topic("empty");
  TestSubscriber s1(rest.broker, 0), s2(rest.broker, 0), s3(rest.broker, 0);
  for (auto* s : {&s1, &s2, &s3}) rest.broker.subscribe(*s, "orders", 0, false);
  for (int i = 0; i < 42; ++i) rest.broker.publish(0, "orders", false, rest.events);
  rest.counters.connections = 5;

  auto r = rest.get("/stats");
  CHECK(r.status == 200);
  auto topics = members(members(r.body)["topics"]);
  REQUIRE(topics.size() == 2);
  auto orders = members(topics["orders"]);
  CHECK(orders["messages"] == "42");
  CHECK(orders["subscribers"] == "3");
  auto empty = members(topics["empty"]);
  CHECK(empty["messages"] == "0");
  CHECK(empty["subscribers"] == "0");
  CHECK(members(r.body)["connections"] == "5");
  CHECK(r.body.starts_with(R"({"topics":{"empty":{"messages":0,"subscribers":0)"));
}

// ------------------------------------------------------------------ routing errors

TEST_CASE("unknown paths are 404 NOT_FOUND", "[rest][routing]") {
  Rest rest;
  auto target = GENERATE(as<std::string>{}, "/nope", "/index.html", "/console", "/client.js/", "/topicsx", "/topic",
                         "/health/x", "/stats/", "/Topics", "/TOPICS/x", "//topics", "/health%20", "");
  auto method = GENERATE(as<std::string>{}, "GET", "POST", "DELETE");
  CAPTURE(target, method);
  auto r = rest.call(method, target);
  CHECK(r.status == 404);
  CHECK(error_code(r.body) == R"("NOT_FOUND")");
  CHECK(r.allow.empty());
}

TEST_CASE("the 404 body stays valid JSON whatever the path holds", "[rest][routing]") {
  Rest rest;
  auto r = rest.get("/\xFF\x01\"\\x");
  CHECK(r.status == 404);
  CHECK(error_code(r.body) == R"("NOT_FOUND")");
}

TEST_CASE("wrong methods are 405 with an Allow header", "[rest][routing]") {
  Rest rest;
  rest.broker.create_topic("orders");
  struct Case {
    std::string method;
    std::string target;
    std::string allow;
  };
  auto c = GENERATE(values<Case>({
      {"POST", "/health", "GET, HEAD"},
      {"DELETE", "/health", "GET, HEAD"},
      {"PUT", "/stats", "GET, HEAD"},
      {"POST", "/stats", "GET, HEAD"},
      {"PUT", "/topics", "GET, HEAD, POST"},
      {"DELETE", "/topics", "GET, HEAD, POST"},
      {"PATCH", "/topics", "GET, HEAD, POST"},
      {"POST", "/topics/orders", "GET, HEAD, DELETE"},
      {"PUT", "/topics/orders", "GET, HEAD, DELETE"},
      {"PATCH", "/topics/%zz", "GET, HEAD, DELETE"},
      {"GET", "/topics/orders/messages:batch", "POST"},
      {"HEAD", "/topics/orders/messages:batch", "POST"},
      {"get", "/topics", "GET, HEAD, POST"},  // methods are case-sensitive
      {"head", "/health", "GET, HEAD"},
  }));
  CAPTURE(c.method, c.target);
  auto r = rest.call(c.method, c.target, R"({"name":"x"})");
  CHECK(r.status == 405);
  CHECK(r.allow == c.allow);
  CHECK(error_code(r.body) == R"("METHOD_NOT_ALLOWED")");
  CHECK(rest.broker.topic_count() == 1);  // nothing created or deleted
}

TEST_CASE("every route of rest_routes() is served: its methods routed, others 405 with its Allow", "[rest][routing]") {
  Rest rest;
  rest.broker.create_topic("orders");
  for (const net::RestRoute& route : net::rest_routes()) {
    std::string target(route.path);
    if (const std::size_t at = target.find("{name}"); at != std::string::npos) target.replace(at, 6, "orders");
    CAPTURE(target);
    const RestResponse other = rest.call("PATCH", target);
    if (target == "/ws") {  // not an upgrade: 426 whatever the method
      CHECK(other.status == 426);
      continue;
    }
    CHECK(other.status == 405);
    // HEAD follows GET in Allow; the route's other methods as it lists them.
    std::string allow(route.methods);
    if (allow.starts_with("GET")) allow.insert(3, ", HEAD");
    CHECK(other.allow == allow);
    std::string_view methods = route.methods;
    while (!methods.empty()) {
      const std::string_view method = methods.substr(0, methods.find(", "));
      methods.remove_prefix(std::min(methods.size(), method.size() + 2));
      CAPTURE(method);
      const RestResponse r = rest.call(method, target);
      CHECK(r.status != 405);
      if (r.status == 404) CHECK(error_code(r.body) == R"("TOPIC_NOT_FOUND")");  // after DELETE
      if (r.status == 404) rest.broker.create_topic("orders");
    }
  }
}

TEST_CASE("GET /openapi.yaml and /asyncapi.yaml serve the descriptions as YAML, without credentials",
          "[rest][routing][auth]") {
  Rest rest({"s3cret"});
  for (const auto& [target, text] :
       {std::pair{"/openapi.yaml", net::openapi_yaml()}, std::pair{"/asyncapi.yaml", net::asyncapi_yaml()}}) {
    CAPTURE(target);
    const RestResponse r = rest.get(target);
    CHECK(r.status == 200);
    CHECK(r.content_type == "application/yaml");
    CHECK(r.body == text);
    CHECK(rest.call("POST", target).status == 401);  // open for GET only
    CHECK(rest.call("POST", target, "", "s3cret").status == 405);
  }
  CHECK(net::openapi_yaml().starts_with("openapi: 3.1"));
  CHECK(net::asyncapi_yaml().starts_with("asyncapi: 3.0"));
  CHECK(rest.call("GET", "/health").content_type == "application/json");
  CHECK(rest.call("GET", "/topics").content_type == "application/json");  // the 401
}

TEST_CASE("GET / and its files serve the web console and the client, without credentials", "[rest][routing][auth]") {
  Rest rest({"s3cret"});
  struct Served {
    std::string_view target, text, content_type;
  };
  for (const Served& served : {Served{"/", net::console_html(), "text/html; charset=utf-8"},
                               Served{"/console.js", net::console_js(), "text/javascript; charset=utf-8"},
                               Served{"/console.css", net::console_css(), "text/css; charset=utf-8"},
                               Served{"/client.js", net::client_js(), "text/javascript; charset=utf-8"}}) {
    CAPTURE(served.target);
    const RestResponse r = rest.get(served.target);
    CHECK(r.status == 200);
    CHECK(r.content_type == served.content_type);
    CHECK(r.body == served.text);
    CHECK_FALSE(r.body.empty());
    CHECK(rest.call("POST", served.target).status == 401);  // open for GET only
    CHECK(rest.call("DELETE", served.target, "", "s3cret").status == 405);
  }
  CHECK(rest.get("/?x=1").body == net::console_html());  // the query is not part of the path
}

// ------------------------------------------------------------------ authentication

TEST_CASE("with an API key every route but GET /health needs it", "[rest][auth]") {
  Rest rest({"s3cret"});
  rest.broker.create_topic("orders");
  struct Route {
    std::string method;
    std::string target;
    std::string body;
    unsigned ok_status;  // with the right key
  };
  auto route = GENERATE(values<Route>({
      {"POST", "/topics", R"({"name":"new"})", 201},
      {"GET", "/topics", "", 200},
      {"GET", "/topics/orders", "", 200},
      {"DELETE", "/topics/orders", "", 200},
      {"GET", "/stats", "", 200},
      {"POST", "/health", "", 405},
      {"PUT", "/topics", "", 405},
      {"GET", "/nope", "", 404},
      {"GET", "/topics/%zz", "", 400},
  }));
  auto key =
      GENERATE(as<std::optional<std::string>>{}, std::nullopt, "", "wrong", "s3cre", "s3cret ", "S3CRET", "s3cret\0"s);
  CAPTURE(route.method, route.target, key);
  std::optional<std::string_view> sent;
  if (key) sent = *key;
  auto r = rest.call(route.method, route.target, route.body, sent);
  CHECK(r.status == 401);
  CHECK(error_code(r.body) == R"("UNAUTHORIZED")");
  CHECK(r.allow.empty());
  CHECK(rest.broker.topic_count() == 1);  // nothing happened
  CHECK(rest.broker.topic_stats("orders").has_value());

  // The query parameter is for the WebSocket upgrade only.
  std::string with_query = route.target + (route.target.find('?') == std::string::npos ? "?" : "&") + "api_key=s3cret";
  CHECK(rest.call(route.method, with_query, route.body, sent).status == 401);

  auto authorized = rest.call(route.method, route.target, route.body, "s3cret");
  CHECK(authorized.status == route.ok_status);
}

TEST_CASE("GET /health needs no API key", "[rest][auth]") {
  Rest rest({"s3cret"});
  CHECK(rest.call("GET", "/health").status == 200);
  CHECK(rest.call("GET", "/health", "", "wrong").status == 200);
  CHECK(rest.call("GET", "/health?x=1").status == 200);
}

TEST_CASE("without an API key configured any header is accepted", "[rest][auth]") {
  Rest rest;
  CHECK(rest.call("POST", "/topics", R"({"name":"a"})", "whatever").status == 201);
  CHECK(rest.call("GET", "/topics").status == 200);
}

TEST_CASE("any of several API keys is accepted, whole", "[rest][auth]") {
  Rest rest({"new", "old"});
  CHECK(rest.call("GET", "/topics", "", "old").status == 200);
  CHECK(rest.call("GET", "/topics", "", "new").status == 200);
  CHECK(rest.call("GET", "/topics", "", "new,old").status == 401);
}

// ------------------------------------------------------------------ helpers

TEST_CASE("target_path", "[rest][url]") {
  CHECK(net::target_path("/topics") == "/topics");
  CHECK(net::target_path("/topics?x=1") == "/topics");
  CHECK(net::target_path("/topics/a?x=1?y=2") == "/topics/a");
  CHECK(net::target_path("/?") == "/");
  CHECK(net::target_path("?x") == "");
  CHECK(net::target_path("") == "");
}

TEST_CASE("origin_form takes the scheme and authority off an absolute-form target", "[rest][url]") {
  CHECK(net::origin_form("http://127.0.0.1:8080/health") == "/health");
  CHECK(net::origin_form("HTTPS://pubsub.example.com/topics/a?since_seq=3") == "/topics/a?since_seq=3");
  CHECK(net::origin_form("http://[::1]:8080/ws?token=t") == "/ws?token=t");
  CHECK(net::origin_form("http://h") == "/");
  CHECK(net::origin_form("http://h?x=1") == "/?x=1");
  // Anything else is left as it is: origin form, and targets no route serves.
  CHECK(net::origin_form("/topics?next=http://x/y") == "/topics?next=http://x/y");
  CHECK(net::origin_form("*") == "*");
  CHECK(net::origin_form("127.0.0.1:8080") == "127.0.0.1:8080");
  CHECK(net::origin_form("://h/x") == "://h/x");
  CHECK(net::origin_form("a b://h/x") == "a b://h/x");
  CHECK(net::origin_form("") == "");
}

TEST_CASE("query_parameter", "[rest][url]") {
  using net::query_parameter;
  CHECK(query_parameter("/ws?api_key=abc", "api_key") == "abc");
  CHECK(query_parameter("/ws?x=1&api_key=a%20b&y=2", "api_key") == "a b");
  CHECK(query_parameter("/ws?api_key=a&api_key=b", "api_key") == "a");  // the first one
  CHECK(query_parameter("/ws?api_key=", "api_key") == "");
  CHECK(query_parameter("/ws?api_key", "api_key") == "");
  CHECK(query_parameter("/ws?api_key=a=b", "api_key") == "a=b");
  CHECK(query_parameter("/ws?api_key=%2B%26", "api_key") == "+&");
  CHECK_FALSE(query_parameter("/ws", "api_key").has_value());
  CHECK_FALSE(query_parameter("/ws?", "api_key").has_value());
  CHECK_FALSE(query_parameter("/ws?x=1", "api_key").has_value());
  CHECK_FALSE(query_parameter("/ws?api_key2=x", "api_key").has_value());
  CHECK_FALSE(query_parameter("/ws?xapi_key=x", "api_key").has_value());
  CHECK_FALSE(query_parameter("/ws?api_key=%zz", "api_key").has_value());
  CHECK_FALSE(query_parameter("/api_key=x", "api_key").has_value());  // the path is not the query
}

TEST_CASE("rest_error builds the failure body of section 6", "[rest]") {
  auto r = net::rest_error(protocol::ErrorCode::topic_exists, "topic 'orders' already exists");
  CHECK(r.status == 409);
  CHECK(r.body == R"({"error":{"code":"TOPIC_EXISTS","message":"topic 'orders' already exists"}})");
  CHECK(r.allow.empty());
  CHECK(net::rest_error(protocol::ErrorCode::bad_request, "a \"quoted\"\nline").body ==
        R"({"error":{"code":"BAD_REQUEST","message":"a \"quoted\"\nline"}})");
}

// ------------------------------------------------------------------ messages (sections 9 and 10)

namespace {

std::string message_body(int n) {
  return R"({"id":"550e8400-e29b-41d4-a716-4466554400)" + std::to_string(10 + n) + R"(","payload":)" +
         std::to_string(n) + "}";
}

}  // namespace

TEST_CASE("POST /topics/{name}/messages publishes and answers the seq", "[rest][messages]") {
  Rest rest;
  REQUIRE(rest.call("POST", "/topics", R"({"name":"t"})").status == 201);
  for (int n = 1; n <= 3; ++n) {
    auto r = rest.call("POST", "/topics/t/messages", message_body(n));
    CHECK(r.status == 201);
    CHECK(r.body == R"({"status":"published","topic":"t","seq":)" + std::to_string(n) + "}");
  }
  auto topic = members(rest.get("/topics/t").body);
  CHECK(topic["seq"] == "3");
  CHECK(topic["messages"] == "3");
  CHECK(topic["epoch"].size() == 13);  // 11 characters and their quotes
  CHECK(members(members(members(rest.get("/stats").body)["topics"])["t"])["epoch"] == topic["epoch"]);
}

TEST_CASE("HEAD is routed as GET: it reads, never publishes or deletes", "[rest][routing]") {
  Rest rest;
  REQUIRE(rest.call("POST", "/topics", R"({"name":"t"})").status == 201);
  REQUIRE(rest.call("POST", "/topics/t/messages", message_body(1)).status == 201);
  for (const std::string_view target : {"/topics/t", "/topics/t/messages", "/topics", "/stats", "/openapi.yaml"}) {
    CAPTURE(target);
    const RestResponse head = rest.call("HEAD", target, message_body(2));
    const RestResponse get = rest.get(target);
    CHECK(head.status == 200);
    CHECK(head.content_type == get.content_type);
    if (target != "/stats") CHECK(head.body == get.body);  // the session leaves the body out
  }
  CHECK(members(rest.get("/topics/t").body)["messages"] == "1");
  CHECK(rest.broker.topic_count() == 1);
}

TEST_CASE("POST /topics/{name}/messages:batch publishes all or nothing", "[rest][messages]") {
  Rest rest;
  REQUIRE(rest.call("POST", "/topics", R"({"name":"t"})").status == 201);
  rest.call("POST", "/topics/t/messages", message_body(0));
  auto r =
      rest.call("POST", "/topics/t/messages:batch", "{\"messages\":[" + message_body(1) + "," + message_body(2) + "]}");
  CHECK(r.status == 201);
  CHECK(r.body == R"({"status":"published","topic":"t","first_seq":2,"last_seq":3})");

  auto bad = rest.call("POST", "/topics/t/messages:batch",
                       "{\"messages\":[" + message_body(3) + R"(,{"id":"no","payload":1}]})");
  CHECK(bad.status == 400);
  CHECK_THAT(bad.body, ContainsSubstring("messages[1].id"));
  CHECK(members(rest.get("/topics/t").body)["seq"] == "3");  // nothing of the bad batch

  std::string thousand_and_one = R"({"messages":[)";
  for (int i = 0; i < 1001; ++i) thousand_and_one += (i ? "," : "") + message_body(1);
  thousand_and_one += "]}";
  for (const std::string& body : {std::string(R"({"messages":[]})"), thousand_and_one, std::string("{}"),
                                  std::string(R"({"messages":{}})"), std::string("[")}) {
    CAPTURE(body.substr(0, 40));
    CHECK(rest.call("POST", "/topics/t/messages:batch", body).status == 400);
  }
}

TEST_CASE("publishing over HTTP refuses what a WebSocket publish refuses", "[rest][messages]") {
  Rest rest;
  REQUIRE(rest.call("POST", "/topics", R"({"name":"t"})").status == 201);
  CHECK(error_code(rest.call("POST", "/topics/none/messages", message_body(1)).body) == R"("TOPIC_NOT_FOUND")");
  CHECK(rest.call("POST", "/topics/none/messages", message_body(1)).status == 404);
  auto no_payload = rest.call("POST", "/topics/t/messages", R"({"id":"550e8400-e29b-41d4-a716-446655440000"})");
  CHECK(no_payload.status == 400);
  CHECK_THAT(no_payload.body, ContainsSubstring("payload"));
  CHECK(rest.call("POST", "/topics/bad%20name/messages", message_body(1)).status == 400);
  CHECK(rest.call("DELETE", "/topics/t/messages").allow == "GET, HEAD, POST");
  CHECK(rest.call("GET", "/topics/t/messages:batch").allow == "POST");
  CHECK(rest.call("GET", "/topics/t/other").status == 400);  // "t/other" is no topic name
  rest.counters.shutting_down = true;
  CHECK(rest.call("POST", "/topics/t/messages", message_body(1)).status == 503);
}

TEST_CASE("GET /topics/{name}/messages pages the history", "[rest][history]") {
  Rest rest;
  REQUIRE(rest.call("POST", "/topics", R"({"name":"t"})").status == 201);
  for (int n = 1; n <= 5; ++n) rest.call("POST", "/topics/t/messages", message_body(n));
  auto all = members(rest.get("/topics/t/messages").body);
  CHECK(all["topic"] == R"("t")");
  CHECK(all["seq"] == "5");
  CHECK(all["epoch"] == members(rest.get("/topics/t").body)["epoch"]);
  CHECK(all["messages"].starts_with(R"([{"id":"550e8400-e29b-41d4-a716-446655440011","payload":1,"seq":1,"ts":")"));
  auto page = members(rest.get("/topics/t/messages?since_seq=2&limit=2").body);
  CHECK_THAT(page["messages"], ContainsSubstring(R"("payload":3,"seq":3)"));
  CHECK_THAT(page["messages"], ContainsSubstring(R"("payload":4,"seq":4)"));
  CHECK_THAT(page["messages"], !ContainsSubstring(R"("seq":5)"));
  CHECK(members(rest.get("/topics/t/messages?since_seq=5").body)["messages"] == "[]");
  // Past 64 bits is past every seq, as for a subscribe's since_seq.
  for (std::string_view far : {"18446744073709551615", "18446744073709551616", "99999999999999999999999"}) {
    CAPTURE(far);
    auto r = rest.get("/topics/t/messages?since_seq=" + std::string(far));
    CHECK(r.status == 200);
    CHECK(members(r.body)["messages"] == "[]");
  }
  CHECK(members(rest.get("/topics/t/messages?limit=100").body)["messages"].size() > 0);
  for (std::string_view bad : {"?limit=0", "?limit=101", "?limit=x", "?since_seq=-1", "?since_seq=", "?since_seq=1.5",
                               "?since_seq=1e30", "?since_seq=99999999999999999999x", "?since_seq=1&since_seq=2",
                               "?limit=%zz", "?limit=99999999999999999999999"}) {
    CAPTURE(bad);
    auto r = rest.get("/topics/t/messages" + std::string(bad));
    CHECK(r.status == 400);
    CHECK(error_code(r.body) == R"("BAD_REQUEST")");
  }
  CHECK(rest.get("/topics/none/messages").status == 404);
}

TEST_CASE("limits: POST /topics past --max-topics is 403, HTTP publishes past the rate 429", "[rest][limits]") {
  TestFrames frames;
  core::BrokerOptions options{100, 1, {}};
  options.max_topics = 1;
  core::Broker broker(options, frames);
  const auth::Authenticator no_key;
  const auto started = std::chrono::steady_clock::now();
  // Every publish request counts, also one refused for another reason.
  common::TokenBucket budget(3, common::TokenBucket::Clock::now());
  net::RestContext context{no_key, started, {}, 0, true, true, &budget};
  auto call = [&](std::string_view method, std::string_view target, std::string_view body) {
    return net::handle_rest(broker, context, net::RestRequest{method, target, body, std::nullopt, std::nullopt});
  };
  CHECK(call("POST", "/topics", R"({"name":"a"})").status == 201);
  auto refused = call("POST", "/topics", R"({"name":"b"})");
  CHECK(refused.status == 403);
  CHECK(error_code(refused.body) == R"("LIMIT_EXCEEDED")");
  CHECK(call("POST", "/topics/b/messages", message_body(1)).status == 403);  // an auto-create past the limit: 1 token
  CHECK(call("POST", "/topics/a/messages", message_body(1)).status == 201);
  auto batch =
      call("POST", "/topics/a/messages:batch", "{\"messages\":[" + message_body(2) + "," + message_body(3) + "]}");
  CHECK(batch.status == 429);  // one token left: the batch of two takes none
  CHECK(error_code(batch.body) == R"("RATE_LIMITED")");
  CHECK(call("POST", "/topics/a/messages", message_body(4)).status == 201);
  CHECK(call("POST", "/topics/a/messages", message_body(5)).status == 429);
  CHECK(members(call("GET", "/topics/a", "").body)["seq"] == "2");
}

TEST_CASE("tokens over REST: any valid token reads; admin creates and deletes; publish grants publishing",
          "[rest][auth]") {
  const std::string secret = "a-test-secret-of-at-least-32-bytes!!";
  Rest rest({"k3y"}, std::make_shared<const auth::JwtVerifier>(auth::JwtVerifier::with_secret(secret, {})));
  const auto token = [&](const std::string& grants) {
    return pubsub::testing::hs256_token(
        secret,
        R"({"sub":"u","exp":)" + std::to_string(pubsub::testing::now_seconds() + 60) + R"(,"pubsub":)" + grants + "}");
  };
  const std::string reader = token("{}");
  const std::string admin = token(R"({"admin":true})");
  const std::string chat = token(R"({"publish":["chat.*"]})");
  const auto code_of = [](const RestResponse& r) { return error_code(r.body); };

  CHECK(rest.call("GET", "/topics", "", std::nullopt, reader).status == 200);
  CHECK(rest.call("GET", "/stats", "", std::nullopt, reader).status == 200);
  const RestResponse no_admin = rest.call("POST", "/topics", R"({"name":"chat.a"})", std::nullopt, reader);
  CHECK(no_admin.status == 403);
  CHECK(code_of(no_admin) == R"("FORBIDDEN")");
  CHECK(rest.broker.topic_count() == 0);
  CHECK(rest.call("POST", "/topics", R"({"name":"chat.a"})", std::nullopt, admin).status == 201);
  CHECK(rest.call("POST", "/topics", R"({"name":"chatroom"})", "k3y").status == 201);  // a key grants everything
  CHECK(rest.call("GET", "/topics/chatroom/messages", "", std::nullopt, reader).status == 200);

  const RestResponse not_granted = rest.call("POST", "/topics/chatroom/messages", message_body(1), std::nullopt, chat);
  CHECK(not_granted.status == 403);
  CHECK(code_of(not_granted) == R"("FORBIDDEN")");
  CHECK(rest.call("POST", "/topics/chatroom/messages:batch", R"({"messages":[]})", std::nullopt, chat).status == 403);
  CHECK(rest.broker.topic_stats("chatroom")->messages == 0);
  CHECK(rest.call("POST", "/topics/chat.a/messages", message_body(1), std::nullopt, chat).status == 201);

  CHECK(rest.call("DELETE", "/topics/chat.a", "", std::nullopt, chat).status == 403);
  CHECK(rest.call("DELETE", "/topics/chat.a", "", std::nullopt, admin).status == 200);

  // Invalid tokens are 401 before routing; the message says why, not what the token held.
  const RestResponse tampered = rest.call("GET", "/nowhere", "", std::nullopt, admin + "x");
  CHECK(tampered.status == 401);
  CHECK(code_of(tampered) == R"("UNAUTHORIZED")");
  CHECK_THAT(tampered.body, ContainsSubstring("signature"));
  CHECK_THAT(tampered.body, !ContainsSubstring(admin.substr(0, 20)));
  CHECK(rest.call("GET", "/topics").status == 401);
  CHECK(rest.call("GET", "/health").status == 200);
}
