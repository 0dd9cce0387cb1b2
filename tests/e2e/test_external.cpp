// End-to-end against an already running server (the container test): the
// port comes from PUBSUB_EXTERNAL_PORT. Checks /health and one publish /
// subscribe round trip over WebSocket.
#include <catch2/catch_test_macros.hpp>
#include <cstdlib>

#include "e2e/harness.h"

using namespace pubsub::e2e;

TEST_CASE("a running server answers /health and delivers a publish") {
  const char* env = std::getenv("PUBSUB_EXTERNAL_PORT");
  REQUIRE(env != nullptr);
  auto port = static_cast<std::uint16_t>(std::atoi(env));
  auto health = http(port, "GET", "/health");
  REQUIRE(health.status == 200);
  CHECK(health.json().at("status") == "ok");

  REQUIRE(create_topic(port, "container-check") == 201);
  WsClient sub(port), pub(port);
  sub.subscribe("container-check");
  CHECK(pub.publish("container-check", boost::json::object{{"hello", "container"}}).at("type") == "ack");
  auto event = sub.next();
  CHECK(event.at("type") == "event");
  CHECK(event.at("message").at("payload").at("hello") == "container");
  CHECK(event.at("seq").as_int64() == 1);
}
