// Tests of the Redis store (engine/redis_store.h) when Valkey goes away:
// restarted empty, topics are gone and come back with a new epoch; down or
// not answering, every call answers `unavailable` promptly.
#include "engine/redis_store.h"

#include <catch2/catch_test_macros.hpp>
#include <memory>
#include <string>
#include <vector>

#include "engine/store_fixture.h"

using namespace pubsub::engine;
using namespace pubsub::engine::testing;
using Clock = std::chrono::steady_clock;

namespace {

// Makes every call of the store once, in one pass; returns each one's
// status (in the order of the calls) once all have answered.
std::vector<StoreStatus> call_everything(asio::io_context& io, RedisStore& store, std::chrono::milliseconds timeout) {
  std::vector<StoreStatus> statuses;
  std::vector<std::string> details;
  const auto record = [&](auto result) {
    statuses.push_back(result.status);
    details.push_back(result.detail);
  };
  const OutgoingMessage message{"\"id\"", "1"};
  store.create_topic("orders", record);
  store.delete_topic("orders", record);
  store.publish("orders", message, false, record);
  store.publish("orders", message, true, record);
  store.topic_info("orders", record);
  store.history("orders", 0, 10, record);
  store.last_n("orders", 10, record);
  store.list_topics(record);
  REQUIRE(run_until(io, [&] { return statuses.size() == 8; }, timeout));
  for (const std::string& detail : details) CHECK_FALSE(detail.empty());
  return statuses;
}

}  // namespace

TEST_CASE("store: Valkey restarted empty: the topic is gone, and auto-creation gives it a new epoch") {
  ServerProcess server;
  asio::io_context io;
  RedisStore store(io, url_of(server.url()), {}, quick_options());
  start_and_wait_up(io, store);
  const auto created = create(io, store, "orders");
  REQUIRE(created.ok());
  REQUIRE(publish(io, store, "orders", {"\"a\"", "1"}).ok());

  server.kill();
  REQUIRE(run_until(io, [&] { return !store.up(); }, 1s));
  server.restart();
  REQUIRE(run_until(io, [&] { return store.up(); }, 3s));

  CHECK(info(io, store, "orders").status == StoreStatus::not_found);
  CHECK(publish(io, store, "orders", {"\"b\"", "2"}).status == StoreStatus::not_found);
  const auto recreated = publish(io, store, "orders", {"\"c\"", "3"}, true);
  REQUIRE(recreated.ok());
  CHECK(recreated.value.created);
  CHECK(recreated.value.epoch != created.value.epoch);
  CHECK(recreated.value.first_seq == 1);
}

TEST_CASE("store: Valkey down: every call answers unavailable at once; back up: answers again") {
  ServerProcess server;
  asio::io_context io;
  RedisStore store(io, url_of(server.url()), {}, quick_options());
  start_and_wait_up(io, store);
  REQUIRE(create(io, store, "orders").ok());

  server.kill();
  REQUIRE(run_until(io, [&] { return !store.up(); }, 1s));
  const auto sent_at = Clock::now();
  const auto statuses = call_everything(io, store, 1s);
  CHECK(Clock::now() - sent_at < 100ms);
  CHECK(statuses == std::vector<StoreStatus>(8, StoreStatus::unavailable));

  server.restart();
  REQUIRE(run_until(io, [&] { return store.up(); }, 3s));
  CHECK(create(io, store, "orders").status == StoreStatus::ok);
}

TEST_CASE("store: Valkey not answering: calls in flight answer unavailable after the command timeout") {
  ServerProcess server;
  asio::io_context io;
  RedisStore store(io, url_of(server.url()), {}, quick_options(300ms));
  start_and_wait_up(io, store);
  REQUIRE(create(io, store, "orders").ok());

  server.pause();
  const auto sent_at = Clock::now();
  const auto statuses = call_everything(io, store, 2s);
  const auto waited = Clock::now() - sent_at;
  CHECK(waited >= 290ms);
  CHECK(waited < 1000ms);
  CHECK(statuses == std::vector<StoreStatus>(8, StoreStatus::unavailable));

  server.resume();
  REQUIRE(run_until(io, [&] { return store.up(); }, 3s));
  CHECK(info(io, store, "orders").status == StoreStatus::ok);
}

TEST_CASE("store: destroyed with calls in flight: no handler runs") {
  ServerProcess server;
  asio::io_context io;
  auto store = std::make_unique<RedisStore>(io, url_of(server.url()), RedisStoreOptions{}, quick_options());
  start_and_wait_up(io, *store);
  REQUIRE(create(io, *store, "orders").ok());
  int called = 0;
  store->publish("orders", OutgoingMessage{"\"a\"", "1"}, false, [&called](auto) { ++called; });
  store->list_topics([&called](auto) { ++called; });
  store.reset();
  run_for(io, 100ms);
  CHECK(called == 0);
}
