// Tests of REST requests answered from the shared topics
// (rest_shared_topics.h, --engine redis) without a Valkey/Redis server:
// what needs no store call is answered at once, routed and checked as in
// memory mode; what needs one, with the server unreachable, answers 503
// UNAVAILABLE within the test's bound, never showing the password; and
// /health is degraded, naming the server.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

#include "core/broker.h"
#include "core/fakes.h"
#include "engine/store_ring.h"
#include "net/rest_shared_topics.h"
#include "redis/redis_url.h"

using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::StartsWith;
using namespace pubsub;
using namespace std::chrono_literals;

namespace {

// A port of 127.0.0.1 on which nothing listens.
std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

// A node's REST side whose one Valkey/Redis server, with a password in
// its URL, cannot be reached.
struct Node {
  explicit Node(std::vector<std::string> keys = {}) : authenticator(std::move(keys), nullptr) { store.start(); }

  net::SharedTopicsRequest request(std::string_view method, std::string_view target, std::string_view body = "",
                                   std::optional<std::string_view> key = std::nullopt) {
    net::RestContext context{authenticator, started, counters};
    context.auto_create_topics = true;
    return net::SharedTopicsRequest(store, broker, context, net::RestRequest{method, target, body, key, {}});
  }

  // Starts `call` and runs the loop until it answers (at most 5 s).
  net::RestResponse answer_of(net::SharedTopicsRequest& call) {
    std::optional<net::RestResponse> answer;
    call.start([&answer](net::RestResponse r) { answer = std::move(r); });
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!answer && std::chrono::steady_clock::now() < deadline) {
      io.restart();
      io.run_for(10ms);
    }
    REQUIRE(answer.has_value());
    return *answer;
  }

  static redis::RedisUrl unreachable(std::uint16_t port) {
    return *redis::parse_redis_url("redis://:hunter2@127.0.0.1:" + std::to_string(port)).url;
  }

  core::testing::TestFrames frames;
  core::Broker broker{core::BrokerOptions{}, frames};
  auth::Authenticator authenticator;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  net::ServerCounters counters;
  std::uint16_t port = closed_port();
  boost::asio::io_context io;
  engine::StoreRing store{io, {unreachable(port)}, {100}};
};

std::string message_body() { return R"({"id":"550e8400-e29b-41d4-a716-446655440000","payload":1})"; }

}  // namespace

TEST_CASE("with Valkey/Redis unreachable, every call for topics answers 503 UNAVAILABLE", "[rest][redis]") {
  Node node;
  const auto [method, target, body] = GENERATE(table<std::string, std::string, std::string>({
      {"POST", "/topics", R"({"name":"t"})"},
      {"GET", "/topics", ""},
      {"GET", "/topics/t", ""},
      {"DELETE", "/topics/t", ""},
      {"GET", "/topics/t/messages?limit=5", ""},
      {"POST", "/topics/t/messages", message_body()},
      {"POST", "/topics/t/messages:batch", R"({"messages":[)" + message_body() + "]}"},
      {"GET", "/stats", ""},
  }));
  CAPTURE(method, target);
  net::SharedTopicsRequest call = node.request(method, target, body);
  REQUIRE_FALSE(call.answer().has_value());
  const net::RestResponse answer = node.answer_of(call);
  CHECK(answer.status == 503);
  CHECK_THAT(answer.body, StartsWith(R"({"error":{"code":"UNAVAILABLE","message":"Valkey/Redis is unreachable)"));
  CHECK_THAT(answer.body, ContainsSubstring("127.0.0.1:" + std::to_string(node.port)));
  CHECK_THAT(answer.body, !ContainsSubstring("hunter2"));
}

TEST_CASE("what needs no store call is answered at once, as memory mode routes and checks it", "[rest][redis]") {
  Node node({"k3y"});
  net::SharedTopicsRequest unauthorized = node.request("GET", "/topics");
  REQUIRE(unauthorized.answer().has_value());
  CHECK(unauthorized.answer()->status == 401);

  const auto key = std::optional<std::string_view>("k3y");
  const auto immediate = [&](std::string_view m, std::string_view t, std::string_view b) {
    net::SharedTopicsRequest call = node.request(m, t, b, key);
    REQUIRE(call.answer().has_value());
    return *call.answer();
  };
  CHECK(immediate("GET", "/nowhere", "").status == 404);
  CHECK(immediate("PUT", "/topics", "").status == 405);
  CHECK(immediate("GET", "/topics/bad%20name", "").status == 400);
  CHECK(immediate("POST", "/topics", R"({"name":"has space"})").status == 400);
  CHECK(immediate("POST", "/topics/t/messages", R"({"id":"not-a-uuid","payload":1})").status == 400);
  CHECK(immediate("POST", "/topics/t/messages:batch", R"({"messages":[]})").status == 400);
  CHECK(immediate("GET", "/topics/t/messages?limit=0", "").status == 400);
  CHECK(immediate("GET", "/openapi.yaml", "").status == 200);
  CHECK(immediate("GET", "/ws", "").status == 426);

  net::SharedTopicsRequest answered = node.request("GET", "/nowhere", "", key);
  CHECK_THROWS_AS(answered.start([](net::RestResponse) {}), std::logic_error);
}

TEST_CASE("GET /health is 503 degraded while a server is down, naming it without the password", "[rest][redis]") {
  Node node;
  net::SharedTopicsRequest call = node.request("GET", "/health");
  REQUIRE(call.answer().has_value());
  const net::RestResponse& health = *call.answer();
  CHECK(health.status == 503);
  CHECK_THAT(health.body, StartsWith(R"({"status":"degraded",)"));
  CHECK_THAT(health.body, ContainsSubstring(R"("servers":1,"servers_up":0,"down":[{"endpoint":"127.0.0.1:)" +
                                            std::to_string(node.port) + "\""));
  CHECK_THAT(health.body, ContainsSubstring(R"("engine":"redis")"));
  CHECK_THAT(health.body, !ContainsSubstring("hunter2"));
}
