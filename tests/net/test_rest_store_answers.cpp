// Tests of the REST answers made from the store's (rest_store_answers.h,
// --engine redis) and of the bodies both engines share (rest_bodies.h):
// the exact bytes of each body, the node-local figures merged into the
// cluster's, which fields the scope names, and the refusals (503
// UNAVAILABLE saying Valkey/Redis is unreachable, 404 and 409 as in
// memory mode).
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "core/broker.h"
#include "net/link_states.h"
#include "net/rest_bodies.h"
#include "net/rest_store_answers.h"
#include "protocol/messages.h"

using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::StartsWith;
using namespace pubsub;
using engine::StoreResult;
using engine::StoreStatus;

namespace {

core::TopicStats mirror(std::string name, std::int64_t subscribers, std::uint64_t dropped) {
  core::TopicStats stats;
  stats.name = std::move(name);
  stats.subscribers = subscribers;
  stats.dropped = dropped;
  return stats;
}

template <typename Value>
StoreResult<Value> ok(Value value) {
  return {StoreStatus::ok, std::move(value), {}};
}

StoreResult<std::vector<engine::TopicListing>> listing() {
  return ok(std::vector<engine::TopicListing>{{"a", "EpA", 0}, {"b", "EpB", 7}, {"c", "EpC", 2}});
}

const auth::Authenticator kOpen;

net::RestContext context_with(net::ServerCounters counters) {
  return net::RestContext{kOpen, std::chrono::steady_clock::now(), counters};
}

}  // namespace

TEST_CASE("a store that cannot answer is 503 UNAVAILABLE; not_found and exists as in memory mode", "[rest][redis]") {
  const net::RestResponse down =
      net::store_refusal("t", StoreStatus::unavailable, "not connected to 10.0.0.5:6379 (Connection refused)");
  CHECK(down.status == 503);
  CHECK_THAT(down.body, StartsWith(R"({"error":{"code":"UNAVAILABLE","message":"Valkey/Redis is unreachable)"));
  CHECK_THAT(down.body, ContainsSubstring("10.0.0.5:6379 (Connection refused)"));
  CHECK(net::store_refusal("t", StoreStatus::unavailable, "").body ==
        R"({"error":{"code":"UNAVAILABLE","message":"Valkey/Redis is unreachable; try again later"}})");

  const net::RestResponse missing = net::store_refusal("orders", StoreStatus::not_found, "");
  CHECK(missing.status == 404);
  CHECK(missing.body == net::topic_not_found("orders").body);
  CHECK(missing.body == R"({"error":{"code":"TOPIC_NOT_FOUND","message":"topic 'orders' does not exist"}})");
  const net::RestResponse there = net::store_refusal("orders", StoreStatus::exists, "");
  CHECK(there.status == 409);
  CHECK(there.body == R"({"error":{"code":"TOPIC_EXISTS","message":"topic 'orders' already exists"}})");

  // Every answer refuses so when its call failed.
  const StoreResult<engine::TopicPosition> unavailable{StoreStatus::unavailable, {}, "lost"};
  CHECK(net::created_answer("t", unavailable).status == 503);
  CHECK(net::deleted_answer("t", unavailable).status == 503);
  CHECK(net::created_answer("t", {StoreStatus::exists, {"E", 3}, {}}).status == 409);
  CHECK(net::deleted_answer("t", {StoreStatus::not_found, {}, {}}).status == 404);
  CHECK(net::topic_answer("t", {StoreStatus::unavailable, {}, "x"}, std::nullopt).status == 503);
  CHECK(net::topic_list_answer({StoreStatus::unavailable, {}, "x"}, {}).status == 503);
  CHECK(net::stats_answer({StoreStatus::unavailable, {}, "x"}, {}, {}).status == 503);
  CHECK(net::history_answer("t", {StoreStatus::not_found, {}, {}}).status == 404);
  CHECK(net::published_answer("t", {StoreStatus::unavailable, {}, "x"}, false).status == 503);
  CHECK(net::published_answer("t", {StoreStatus::not_found, {}, {}}, true).status == 404);
}

TEST_CASE("created, deleted and published answer as memory mode does", "[rest][redis]") {
  const auto created = net::created_answer("orders", ok(engine::TopicPosition{"Ep", 0}));
  CHECK(created.status == 201);
  CHECK(created.body == R"({"status":"created","topic":"orders"})");
  const auto deleted = net::deleted_answer("orders", ok(engine::TopicPosition{"Ep", 9}));
  CHECK(deleted.status == 200);
  CHECK(deleted.body == R"({"status":"deleted","topic":"orders"})");

  engine::PublishReceipt receipt;
  receipt.epoch = "Ep";
  receipt.first_seq = 4;
  receipt.last_seq = 6;
  const auto one = net::published_answer("orders", ok(receipt), false);
  CHECK(one.status == 201);
  CHECK(one.body == R"({"status":"published","topic":"orders","seq":6})");
  const auto batch = net::published_answer("orders", ok(receipt), true);
  CHECK(batch.body == R"({"status":"published","topic":"orders","first_seq":4,"last_seq":6})");
}

TEST_CASE("GET /topics/{name}: the store's position, the node's subscribers and drops", "[rest][redis]") {
  const engine::TopicInfo info{"Ep1", 42, 33, 10};
  const auto here = net::topic_answer("orders", ok(info), mirror("orders", 3, 1));
  CHECK(here.status == 200);
  CHECK(here.body ==
        R"({"name":"orders","subscribers":3,"messages":42,"dropped":1,"epoch":"Ep1","seq":42,"engine":"redis",)"
        R"("scope":{"cluster":["messages","epoch","seq"],"node":["subscribers","dropped"]}})");
  // Not mirrored here: no subscriber on this node.
  const auto elsewhere = net::topic_answer("orders", ok(info), std::nullopt);
  CHECK_THAT(elsewhere.body, StartsWith(R"({"name":"orders","subscribers":0,"messages":42,"dropped":0,)"));
}

TEST_CASE("GET /topics and /stats list the store's topics with the node's figures merged by name", "[rest][redis]") {
  // The mirrors hold "b" and a topic the store no longer lists ("bb").
  const std::vector<core::TopicStats> here = {mirror("b", 2, 5), mirror("bb", 9, 9)};
  const auto list = net::topic_list_answer(listing(), here);
  CHECK(list.status == 200);
  CHECK(list.body == R"({"topics":[{"name":"a","subscribers":0},{"name":"b","subscribers":2},)"
                     R"({"name":"c","subscribers":0}],"engine":"redis",)"
                     R"("scope":{"cluster":["topics"],"node":["subscribers"]}})");
  CHECK(net::topic_list_answer(ok(std::vector<engine::TopicListing>{}), here).body ==
        R"({"topics":[],"engine":"redis","scope":{"cluster":["topics"],"node":["subscribers"]}})");

  net::ServerCounters counters;
  counters.connections = 4;
  counters.websocket_connections = 3;
  counters.rejected_connections = 2;
  counters.slow_consumer_disconnects = 1;
  const auto stats = net::stats_answer(listing(), here, counters);
  CHECK(stats.status == 200);
  CHECK(stats.body ==
        R"({"topics":{"a":{"messages":0,"subscribers":0,"dropped":0,"epoch":"EpA","seq":0},)"
        R"("b":{"messages":7,"subscribers":2,"dropped":5,"epoch":"EpB","seq":7},)"
        R"("c":{"messages":2,"subscribers":0,"dropped":0,"epoch":"EpC","seq":2}},)"
        R"("connections":4,"websocket_connections":3,"rejected_connections":2,"slow_consumer_disconnects":1,)"
        R"("engine":"redis","scope":{"cluster":["topics","messages","epoch","seq"],)"
        R"("node":["subscribers","dropped","connections","websocket_connections","rejected_connections",)"
        R"("slow_consumer_disconnects"]}})");
}

TEST_CASE("GET /topics/{name}/messages: the stored messages as memory mode writes its events", "[rest][redis]") {
  engine::HistoryPage page;
  page.topic = {"Ep", 12, 11, 2};
  page.messages = {{11, R"("id-11")", R"({"a":[1,2]})", "2025-08-25T10:00:00.123Z"},
                   {12, R"("id\"12")", "null", "2025-08-25T10:00:01.000Z"}};
  const auto answer = net::history_answer("t", ok(page));
  CHECK(answer.status == 200);
  CHECK(answer.body == R"({"topic":"t","epoch":"Ep","seq":12,"messages":[)"
                       R"({"id":"id-11","payload":{"a":[1,2]},"seq":11,"ts":"2025-08-25T10:00:00.123Z"},)"
                       R"({"id":"id\"12","payload":null,"seq":12,"ts":"2025-08-25T10:00:01.000Z"}]})");

  // The same bytes as an item made from an event frame (memory mode).
  net::HistoryBody from_events("t", "Ep", 12, 0);
  for (const engine::StoredMessage& m : page.messages) {
    from_events.add_event(protocol::make_event("t", m.id, m.payload, m.seq, m.ts));
  }
  CHECK(from_events.finish() == answer.body);
  const auto empty = net::history_answer("t", ok(engine::HistoryPage{{"Ep", 0, 0, 0}, {}}));
  CHECK(empty.body == R"({"topic":"t","epoch":"Ep","seq":0,"messages":[]})");
}

TEST_CASE("GET /health: ok while every server is up, degraded naming the servers down", "[rest][redis]") {
  net::ServerCounters counters;
  counters.connections = 2;
  const auto context = context_with(counters);
  const std::vector<net::StoreServerState> up = {{"10.0.0.1:6379", true, ""}, {"10.0.0.2:6380", true, ""}};
  const auto ok_answer = net::health_answer(context, 3, 5, up);
  CHECK(ok_answer.status == 200);
  CHECK(ok_answer.body == R"({"status":"ok","uptime_sec":0,"topics":3,"subscribers":5,"connections":2,)"
                          R"("engine":"redis","redis":{"servers":2,"servers_up":2,"down":[]},)"
                          R"("scope":{"cluster":[],"node":["topics","subscribers","connections"]}})");

  const std::vector<net::StoreServerState> one_down = {{"10.0.0.1:6379", true, ""},
                                                       {"10.0.0.2:6380", false, "Connection refused"}};
  const auto degraded = net::health_answer(context, 3, 5, one_down);
  CHECK(degraded.status == 503);
  CHECK_THAT(degraded.body, StartsWith(R"({"status":"degraded",)"));
  CHECK_THAT(degraded.body, ContainsSubstring(R"("redis":{"servers":2,"servers_up":1,"down":[)"
                                              R"({"endpoint":"10.0.0.2:6380","error":"Connection refused"}]})"));

  counters.shutting_down = true;
  const auto ending = net::health_answer(context_with(counters), 0, 0, one_down);
  CHECK(ending.status == 503);
  CHECK_THAT(ending.body, StartsWith(R"({"status":"shutting_down",)"));
}

TEST_CASE("GET /health counts the live feed: a server whose feed connection is down is down", "[rest][redis]") {
  net::ServerCounters counters;
  const auto context = context_with(counters);
  net::LinkStates feed(2, "not connected yet");
  std::vector<net::StoreServerState> servers = {{"10.0.0.1:6379", true, ""}, {"10.0.0.2:6380", true, ""}};

  // Neither feed connection is up yet: both servers are down, saying so.
  net::count_live_feed(servers, feed);
  CHECK_FALSE(servers[0].up);
  CHECK(servers[0].error == "live feed: not connected yet");
  CHECK(net::health_answer(context, 0, 0, servers).status == 503);

  // The first feed connection is up, the second was lost: the shard's
  // own connections being up does not make the second server up.
  feed.set(0, true, "");
  feed.set(1, false, "Connection reset by peer");
  servers = {{"10.0.0.1:6379", true, ""}, {"10.0.0.2:6380", true, ""}};
  net::count_live_feed(servers, feed);
  CHECK(servers[0].up);
  CHECK_FALSE(servers[1].up);
  const auto degraded = net::health_answer(context, 0, 0, servers);
  CHECK(degraded.status == 503);
  CHECK_THAT(degraded.body, ContainsSubstring(R"("servers":2,"servers_up":1,"down":[)"
                                              R"({"endpoint":"10.0.0.2:6380",)"
                                              R"("error":"live feed: Connection reset by peer"}]})"));

  // A server whose shard connection is down keeps that connection's error.
  servers = {{"10.0.0.1:6379", false, "Connection refused"}, {"10.0.0.2:6380", true, ""}};
  feed.set(1, true, "");
  net::count_live_feed(servers, feed);
  CHECK(servers[0].error == "Connection refused");
  CHECK(servers[1].up);

  // Both up: ok.
  servers = {{"10.0.0.1:6379", true, ""}, {"10.0.0.2:6380", true, ""}};
  net::count_live_feed(servers, feed);
  CHECK(net::health_answer(context, 0, 0, servers).status == 200);
  CHECK(feed.error(1).empty());
}
