// End-to-end: every REST endpoint, status and body of section 6 over HTTP.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <sstream>

#include "e2e/harness.h"

using namespace pubsub::e2e;
using Catch::Matchers::ContainsSubstring;
namespace json = boost::json;

namespace {

void check_error(const HttpResponse& res, int status, const std::string& code) {
  INFO(res.body);
  CHECK(res.status == status);
  CHECK(res.headers.at("content-type") == "application/json");
  auto body = res.json().as_object();
  CHECK(body.size() == 1);
  CHECK(body.at("error").at("code").as_string() == code);
  CHECK(body.at("error").at("message").is_string());
}

}  // namespace

TEST_CASE("POST /topics creates, refuses duplicates and bad bodies") {
  ServerProcess server;
  auto res = http(server.port(), "POST", "/topics", R"({"name":"orders"})");
  CHECK(res.status == 201);
  CHECK(res.headers.at("content-type") == "application/json");
  CHECK(res.json() == json::parse(R"({"status":"created","topic":"orders"})"));

  res = http(server.port(), "POST", "/topics", R"({"name":"orders"})");
  check_error(res, 409, "TOPIC_EXISTS");
  CHECK(res.json().at("error").at("message") == "topic 'orders' already exists");

  for (std::string body : std::vector<std::string>{"", "not json", "[]", R"({"nom":"x"})", R"({"name":5})",
                                                   R"({"name":"has space"})", R"({"name":""})", R"({"name":"a/b"})",
                                                   R"({"name":")" + std::string(256, 'n') + R"("})"}) {
    INFO(body);
    check_error(http(server.port(), "POST", "/topics", body), 400, "BAD_REQUEST");
  }
  CHECK(http(server.port(), "POST", "/topics", R"({"name":")" + std::string(255, 'n') + R"("})").status == 201);
  CHECK(http(server.port(), "POST", "/topics", R"({"name":"A-z_0.9:x"})").status == 201);
}

TEST_CASE("GET /topics lists topics sorted by name with subscriber counts") {
  ServerProcess server;
  for (std::string name : {"b", "a", "C", "a.b"}) REQUIRE(create_topic(server.port(), name) == 201);
  WsClient ws(server.port());
  ws.subscribe("b");
  auto res = http(server.port(), "GET", "/topics");
  CHECK(res.status == 200);
  CHECK(res.json() == json::parse(R"({"topics":[{"name":"C","subscribers":0},{"name":"a","subscribers":0},)"
                                  R"({"name":"a.b","subscribers":0},{"name":"b","subscribers":1}]})"));
}

TEST_CASE("GET and DELETE /topics/{name}, percent-decoded") {
  ServerProcess server;
  REQUIRE(create_topic(server.port(), "orders:eu") == 201);
  WsClient ws(server.port());
  ws.subscribe("orders:eu");
  ws.publish("orders:eu", 1);
  ws.publish("orders:eu", 2);

  auto res = http(server.port(), "GET", "/topics/orders%3Aeu");
  CHECK(res.status == 200);
  auto body = res.json().as_object();
  CHECK(body.at("name") == "orders:eu");
  CHECK(body.at("subscribers").as_int64() == 1);
  CHECK(body.at("messages").as_int64() == 2);

  check_error(http(server.port(), "GET", "/topics/nope"), 404, "TOPIC_NOT_FOUND");
  check_error(http(server.port(), "GET", "/topics/bad%20name"), 400, "BAD_REQUEST");
  check_error(http(server.port(), "GET", "/topics/bad%zz"), 400, "BAD_REQUEST");
  check_error(http(server.port(), "DELETE", "/topics/nope"), 404, "TOPIC_NOT_FOUND");

  res = http(server.port(), "DELETE", "/topics/orders%3aeu");
  CHECK(res.status == 200);
  CHECK(res.json() == json::parse(R"({"status":"deleted","topic":"orders:eu"})"));
  check_error(http(server.port(), "GET", "/topics/orders:eu"), 404, "TOPIC_NOT_FOUND");
}

TEST_CASE("GET /health and GET /stats") {
  ServerProcess server;
  REQUIRE(create_topic(server.port(), "a") == 201);
  REQUIRE(create_topic(server.port(), "b") == 201);
  WsClient one(server.port()), two(server.port());
  one.subscribe("a");
  one.subscribe("b");
  two.subscribe("a");
  two.publish("a", 1);
  one.next();

  auto health = http(server.port(), "GET", "/health");
  CHECK(health.status == 200);
  auto h = health.json().as_object();
  CHECK(h.at("uptime_sec").is_int64());
  CHECK(h.at("topics").as_int64() == 2);
  CHECK(h.at("subscribers").as_int64() == 3);

  auto stats = http(server.port(), "GET", "/stats");
  CHECK(stats.status == 200);
  auto topics = stats.json().at("topics").as_object();
  CHECK(topics.at("a").at("messages").as_int64() == 1);
  CHECK(topics.at("a").at("subscribers").as_int64() == 2);
  CHECK(topics.at("b").at("messages").as_int64() == 0);
  CHECK(topics.at("b").at("subscribers").as_int64() == 1);
  CHECK(topics.at("a").at("dropped").as_int64() == 0);
}

TEST_CASE("unknown paths get 404 and wrong methods 405 with Allow") {
  ServerProcess server;
  check_error(http(server.port(), "GET", "/nothing/here"), 404, "NOT_FOUND");
  check_error(http(server.port(), "GET", "/index.html"), 404, "NOT_FOUND");  // the console is at / only

  struct Case {
    std::string method, path, allow;
  };
  for (const auto& c : std::vector<Case>{{"POST", "/health", "GET, HEAD"},
                                         {"DELETE", "/stats", "GET, HEAD"},
                                         {"PUT", "/topics", "GET, HEAD, POST"},
                                         {"DELETE", "/topics", "GET, HEAD, POST"},
                                         {"POST", "/topics/x", "GET, HEAD, DELETE"},
                                         {"PATCH", "/topics/x", "GET, HEAD, DELETE"}}) {
    INFO(c.method << " " << c.path);
    auto res = http(server.port(), c.method, c.path, c.method == "POST" ? "{}" : "");
    check_error(res, 405, "METHOD_NOT_ALLOWED");
    CHECK(res.headers.at("allow") == c.allow);
  }
}

TEST_CASE("request bodies over 64 KiB get 413") {
  ServerProcess server;
  std::string big = R"({"name":"x","pad":")" + std::string(70 * 1024, 'p') + R"("})";
  check_error(http(server.port(), "POST", "/topics", big), 413, "PAYLOAD_TOO_LARGE");
  std::string fits = R"({"name":"x","pad":")" + std::string(60 * 1024, 'p') + R"("})";
  CHECK(http(server.port(), "POST", "/topics", fits).status == 201);
}

TEST_CASE("a request without one valid Host gets 400 and its connection closes (RFC 9112 3.2)") {
  ServerProcess server;
  const std::string body = R"({"name":"orders"})";
  const std::string create = "POST /topics HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  struct Case {
    std::string request;
    std::string named;
  };
  const std::vector<Case> cases = {
      {create + "\r\n" + body, "Host is required"},
      {create + "Host: a\r\nHost: b\r\n\r\n" + body, "Host must be sent once"},
      {create + "Host: a b\r\n\r\n" + body, "Host must be a host name"},
      {create + "Host: user@127.0.0.1\r\n\r\n" + body, "Host must be a host name"},
      {create + "Host: 127.0.0.1:80/x\r\n\r\n" + body, "Host must be a host name"},
  };
  for (const auto& c : cases) {
    INFO(c.request);
    HttpResponse res = raw_http(server.port(), c.request);
    check_error(res, 400, "BAD_REQUEST");
    CHECK(res.headers["connection"] == "close");
    if (res.status == 400)
      CHECK_THAT(std::string(res.json().at("error").at("message").as_string()), ContainsSubstring(c.named));
  }
  // None of them was acted on.
  CHECK(http(server.port(), "GET", "/topics/orders").status == 404);
  // The header decides: the body is not waited for.
  CHECK(raw_http(server.port(), "POST /topics HTTP/1.1\r\nContent-Length: 1000\r\n\r\n").status == 400);

  // Pipelined: the request before is answered, the one after is not read.
  const std::string health_11 = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  const std::vector<HttpResponse> responses =
      raw_http_responses(server.port(), health_11 + "GET /health HTTP/1.1\r\n\r\n" + health_11, 3);
  REQUIRE(responses.size() == 2);
  CHECK(responses[0].status == 200);
  CHECK(responses[1].status == 400);

  // HTTP/1.0 may leave Host out; addresses, ports and an IPv6 literal are hosts.
  CHECK(raw_http(server.port(), "GET /health HTTP/1.0\r\n\r\n").status == 200);
  for (const std::string host : {"127.0.0.1:8080", "[::1]:8080", "pubsub.example.com", "localhost:"}) {
    INFO(host);
    CHECK(raw_http(server.port(), "GET /health HTTP/1.1\r\nHost: " + host + "\r\n\r\n").status == 200);
  }
}

TEST_CASE("Expect: 100-continue gets 100 before the body is sent, after the answers before it") {
  ServerProcess server({"--max-message-bytes", "4194304"});
  REQUIRE(create_topic(server.port(), "p") == 201);
  const std::string body =
      R"({"id":"123e4567-e89b-42d3-a456-426614174000","payload":")" + std::string(2 * 1024 * 1024, 'x') + R"("})";
  const std::string head = " /topics/p/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n";
  const std::string publish = "POST" + head + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  const std::string health = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

  // The 100 comes while the body is held back, after the pipelined request's answer.
  std::vector<HttpResponse> responses = raw_http_exchange(server.port(), {{health + publish, 2}, {body, 1}});
  REQUIRE(responses.size() == 3);
  CHECK(responses[0].status == 200);
  CHECK(responses[1].status == 100);
  CHECK(responses[2].status == 201);

  // A body over the limit gets its final answer at once, and no 100.
  const std::string too_large = "POST" + head + "Content-Length: 5000000\r\n\r\n";
  responses = raw_http_exchange(server.port(), {{too_large, 1}});
  REQUIRE(responses.size() == 1);
  CHECK(responses[0].status == 413);

  // HTTP/1.0 ignores the expectation (RFC 9110 10.1.1): the first answer is the final one.
  const std::string publish_10 =
      "POST /topics/p/messages HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n";
  responses = raw_http_exchange(server.port(), {{publish_10, 0}, {body, 1}});
  REQUIRE(responses.size() == 1);
  CHECK(responses[0].status == 201);
  CHECK(http(server.port(), "GET", "/topics/p").json().at("messages").as_int64() == 2);
}

TEST_CASE("HEAD is answered as GET without the body; Allow lists it") {
  ServerProcess server;
  REQUIRE(create_topic(server.port(), "p") == 201);
  const std::string description = http(server.port(), "GET", "/openapi.yaml").body;
  REQUIRE(!description.empty());
  const std::string head = "HEAD /openapi.yaml HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  const std::string last = "GET /topics/p HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  const std::string bytes = raw_http_bytes(server.port(), head + last);
  INFO(bytes.substr(0, 2000));
  // The HEAD answer's header, GET's Content-Length, then at once the next answer.
  const std::size_t end_of_head = bytes.find("\r\n\r\n");
  REQUIRE(end_of_head != std::string::npos);
  const std::string head_answer = bytes.substr(0, end_of_head + 4);
  CHECK(head_answer.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK_THAT(head_answer, ContainsSubstring("\r\nContent-Length: " + std::to_string(description.size()) + "\r\n"));
  CHECK_THAT(head_answer, ContainsSubstring("\r\nContent-Type: application/yaml"));
  CHECK(bytes.substr(end_of_head + 4).starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK_THAT(bytes, ContainsSubstring(R"("name":"p")"));

  // HEAD on the messages of a topic reads, never publishes; a route without GET refuses it.
  CHECK(raw_http_bytes(server.port(), "HEAD /topics/p/messages HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(http(server.port(), "GET", "/topics/p").json().at("messages").as_int64() == 0);
  const HttpResponse refused = http(server.port(), "PUT", "/topics/p/messages");
  check_error(refused, 405, "METHOD_NOT_ALLOWED");
  CHECK(refused.headers.at("allow") == "GET, HEAD, POST");
  const std::string batch =
      raw_http_bytes(server.port(), "HEAD /topics/p/messages:batch HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(batch.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
  CHECK_THAT(batch, ContainsSubstring("\r\nAllow: POST\r\n"));
  CHECK(batch.ends_with("\r\n\r\n"));
}

TEST_CASE("a body framed in a way the server cannot read is refused and its connection closed (RFC 9112 6)") {
  ServerProcess server;
  const std::string smuggled_body = R"({"name":"smuggled"})";
  const std::string smuggled =
      "POST /topics HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(smuggled_body.size()) + "\r\n\r\n" +
      smuggled_body;
  const std::string start = "POST /topics HTTP/1.1\r\nHost: x\r\n";
  struct Case {
    std::string request;
    int status;
    std::string named;
  };
  const std::vector<Case> cases = {
      {start + "Transfer-Encoding: gzip\r\n\r\n", 400, "must end with chunked"},
      {start + "Transfer-Encoding: chunked, gzip\r\n\r\n", 400, "must end with chunked"},
      {start + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501, "only chunked"},
      {start + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501, "only chunked"},
      {start + "Transfer-Encoding: identity\r\nContent-Length: 3\r\n\r\n{}\n", 400, "Content-Length"},
  };
  for (const auto& c : cases) {
    INFO(c.request);
    const std::vector<HttpResponse> responses = raw_http_responses(server.port(), c.request + smuggled, 2);
    REQUIRE(responses.size() == 1);  // what follows is not read as a request
    check_error(responses[0], c.status, "BAD_REQUEST");
    CHECK(responses[0].headers.at("connection") == "close");
    CHECK_THAT(std::string(responses[0].json().at("error").at("message").as_string()), ContainsSubstring(c.named));
  }
  CHECK(http(server.port(), "GET", "/topics/smuggled").status == 404);

  // chunked alone, in any case, is read.
  const std::string body = R"({"name":"chunked"})";
  const std::string chunked = start + "Transfer-Encoding: Chunked\r\n\r\n" +
                              (std::ostringstream() << std::hex << body.size()).str() + "\r\n" + body + "\r\n0\r\n\r\n";
  CHECK(raw_http(server.port(), chunked).status == 201);
}

TEST_CASE("an absolute-form target is served as its path (RFC 9112 3.2.2)") {
  ServerProcess server({"--max-message-bytes", "200000"});
  REQUIRE(create_topic(server.port(), "p") == 201);
  const std::string authority = "127.0.0.1:" + std::to_string(server.port());
  const HttpResponse topic =
      raw_http(server.port(), "GET http://" + authority + "/topics/p?x=1 HTTP/1.1\r\nHost: " + authority + "\r\n\r\n");
  CHECK(topic.status == 200);
  CHECK(topic.json().at("name") == "p");
  // The body limit follows the path: a publish may be larger than 64 KiB.
  const std::string body =
      R"({"id":"123e4567-e89b-42d3-a456-426614174000","payload":")" + std::string(100'000, 'x') + R"("})";
  CHECK(raw_http(server.port(), "POST HTTP://" + authority + "/topics/p/messages HTTP/1.1\r\nHost: " + authority +
                                    "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body)
            .status == 201);
  CHECK(raw_http(server.port(), "GET http://" + authority +
                                    "/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
            .status == 101);
}

TEST_CASE("a request line of another HTTP version gets 505, HTTP/2's preface included") {
  ServerProcess server;
  for (const std::string request : {"GET /health HTTP/2.0\r\nHost: x\r\n\r\n",
                                    "GET /health HTTP/1.2\r\nHost: x\r\n\r\n", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"}) {
    INFO(request);
    const HttpResponse res = raw_http(server.port(), request);
    check_error(res, 505, "BAD_REQUEST");
    CHECK(res.headers.at("connection") == "close");
  }
  CHECK(raw_http(server.port(), "GET /health HTTP/1.0\r\n\r\n").status == 200);
}
