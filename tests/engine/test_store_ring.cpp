// Tests of topics spread over several servers (engine/store_ring.h)
// against two private Valkey servers: each topic lands on the server the
// hash chooses and on no other, listing merges the servers' topics,
// publishing and the history work per topic, a server down fails only its
// own topics, and a list of servers naming one twice is refused.
#include "engine/store_ring.h"

#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "engine/jump_hash.h"
#include "engine/store_fixture.h"

using namespace pubsub::engine;
using namespace pubsub::engine::testing;
namespace redis = pubsub::redis;

namespace {

// Where the Python and Node.js reimplementations of test_jump_hash.cpp put
// these topics among 2 servers.
const std::vector<std::pair<std::string, std::size_t>> kPlacedOnTwo = {
    {"orders", 0}, {"chat.room-1", 0}, {"user:42", 1}, {"a", 1}, {"metrics_eu-west.cpu:7", 1},
};

// Two private servers and a ring over them, started and up.
struct TwoServers {
  ServerProcess first;
  ServerProcess second;
  asio::io_context io;
  StoreRing ring{io, {url_of(first.url()), url_of(second.url())}, {.history_size = 3}, quick_options()};

  TwoServers() {
    ring.start();
    REQUIRE(run_until(io, [&] { return ring.up(); }));
  }
};

// Whether server `server` of the ring has `topic`'s meta hash.
bool has_topic(asio::io_context& io, StoreRing& ring, std::size_t server, std::string_view topic) {
  return command(io, ring.store(server), {"EXISTS", meta_key(topic)}).integer == 1;
}

StoreResult<std::vector<TopicListing>> list(asio::io_context& io, StoreRing& ring) {
  return await_result<std::vector<TopicListing>>(io, [&](auto handler) { ring.list_topics(handler); });
}

StoreResult<PublishReceipt> publish(asio::io_context& io, StoreRing& ring, std::string_view topic,
                                    std::string_view payload, bool create_missing = false) {
  return await_result<PublishReceipt>(
      io, [&](auto handler) { ring.publish(topic, OutgoingMessage{"\"id\"", payload}, create_missing, handler); });
}

}  // namespace

TEST_CASE("ring: each topic lands on the server the hash chooses, and on no other") {
  TwoServers servers;
  for (const auto& [topic, expected] : kPlacedOnTwo) {
    INFO(topic);
    CHECK(servers.ring.server_of(topic) == expected);
    const auto created =
        await_result<TopicPosition>(servers.io, [&](auto handler) { servers.ring.create_topic(topic, handler); });
    REQUIRE(created.ok());
    CHECK(has_topic(servers.io, servers.ring, expected, topic));
    CHECK_FALSE(has_topic(servers.io, servers.ring, 1 - expected, topic));
    // The registry of the other server does not name it either.
    CHECK(command(servers.io, servers.ring.store(1 - expected), {"SISMEMBER", kTopicsKey, topic}).integer == 0);
  }
  // Publishing with creation goes to the same server.
  REQUIRE(publish(servers.io, servers.ring, "user:7", "1", true).ok());
  const std::size_t home = server_of_topic("user:7", 2);
  CHECK(has_topic(servers.io, servers.ring, home, "user:7"));
  CHECK_FALSE(has_topic(servers.io, servers.ring, 1 - home, "user:7"));
}

TEST_CASE("ring: listing merges every server's topics, sorted by name, with their epochs and seqs") {
  TwoServers servers;
  std::vector<std::string> names;
  std::vector<std::string> epochs;
  for (const auto& [topic, expected] : kPlacedOnTwo) {
    const auto created =
        await_result<TopicPosition>(servers.io, [&](auto handler) { servers.ring.create_topic(topic, handler); });
    REQUIRE(created.ok());
    names.push_back(topic);
  }
  for (int i = 0; i < 3; ++i) REQUIRE(publish(servers.io, servers.ring, "user:42", "1").ok());
  REQUIRE(publish(servers.io, servers.ring, "orders", "1").ok());

  const auto listed = list(servers.io, servers.ring);
  REQUIRE(listed.ok());
  std::vector<std::string> listed_names;
  for (const TopicListing& topic : listed.value) listed_names.push_back(topic.name);
  std::sort(names.begin(), names.end());
  CHECK(listed_names == names);  // a, chat.room-1, metrics_eu-west.cpu:7, orders, user:42
  for (const TopicListing& topic : listed.value) {
    INFO(topic.name);
    CHECK(is_valid_epoch(topic.epoch));
    CHECK(topic.seq == (topic.name == "user:42" ? 3u : topic.name == "orders" ? 1u : 0u));
  }

  // A topic left on a server that is not its own (as by an earlier, shorter
  // list of servers) is neither listed nor reached.
  const std::size_t wrong = 1 - servers.ring.server_of("orders.stale");
  RedisStore direct(servers.io, url_of(wrong == 0 ? servers.first.url() : servers.second.url()), {}, quick_options());
  start_and_wait_up(servers.io, direct);
  REQUIRE(create(servers.io, direct, "orders.stale").ok());
  const auto again = list(servers.io, servers.ring);
  REQUIRE(again.ok());
  CHECK(again.value.size() == names.size());
  const auto info =
      await_result<TopicInfo>(servers.io, [&](auto handler) { servers.ring.topic_info("orders.stale", handler); });
  CHECK(info.status == StoreStatus::not_found);
}

TEST_CASE("ring: publishing and the history work per topic, each with its own seqs") {
  TwoServers servers;
  StoreRing& ring = servers.ring;
  asio::io_context& io = servers.io;
  for (const auto& [topic, expected] : kPlacedOnTwo) {
    REQUIRE(await_result<TopicPosition>(io, [&](auto handler) { ring.create_topic(topic, handler); }).ok());
  }
  // Interleaved: each topic counts its own seqs.
  for (int round = 1; round <= 4; ++round) {
    for (const auto& [topic, expected] : kPlacedOnTwo) {
      const auto published = publish(io, ring, topic, topic + "#" + std::to_string(round));
      REQUIRE(published.ok());
      CHECK(published.value.first_seq == static_cast<std::uint64_t>(round));
    }
  }
  const OutgoingMessage batch[] = {{"\"x\"", "5"}, {"\"y\"", "6"}};
  const auto batched =
      await_result<PublishReceipt>(io, [&](auto handler) { ring.publish("a", batch, false, handler); });
  REQUIRE(batched.ok());
  CHECK(batched.value.first_seq == 5);
  CHECK(batched.value.last_seq == 6);

  for (const auto& [topic, expected] : kPlacedOnTwo) {
    INFO(topic);
    const auto page = await_result<HistoryPage>(io, [&](auto handler) { ring.history(topic, 0, SIZE_MAX, handler); });
    REQUIRE(page.ok());
    const std::uint64_t last = topic == "a" ? 6 : 4;
    CHECK(page.value.topic.seq == last);
    CHECK(seqs_of(page.value.messages) == seq_range(last - 2, last));  // history size 3
    if (topic != "a") CHECK(page.value.messages.back().payload == topic + "#4");
    const auto newest = await_result<HistoryPage>(io, [&](auto handler) { ring.last_n(topic, 1, handler); });
    REQUIRE(newest.ok());
    CHECK(seqs_of(newest.value.messages) == std::vector<std::uint64_t>{last});
    const auto info = await_result<TopicInfo>(io, [&](auto handler) { ring.topic_info(topic, handler); });
    CHECK(info.value.first_retained == last - 2);
  }
  const auto deleted = await_result<TopicPosition>(io, [&](auto handler) { ring.delete_topic("user:42", handler); });
  REQUIRE(deleted.ok());
  CHECK(deleted.value.seq == 4);
  CHECK_FALSE(has_topic(io, ring, 1, "user:42"));
  CHECK(list(io, ring).value.size() == kPlacedOnTwo.size() - 1);
}

TEST_CASE("ring: a server down fails its own topics and the listing, not the other's; back up, all answer") {
  TwoServers servers;
  StoreRing& ring = servers.ring;
  asio::io_context& io = servers.io;
  std::vector<std::pair<std::size_t, redis::LinkState>> changes;
  // on_state before start() is the rule; a ring made here for the purpose.
  StoreRing watched(io, {url_of(servers.first.url()), url_of(servers.second.url())}, {}, quick_options());
  watched.on_state(
      [&](std::size_t server, redis::LinkState state, std::string_view) { changes.emplace_back(server, state); });
  watched.start();
  REQUIRE(run_until(io, [&] { return watched.up(); }));
  CHECK(watched.servers_up() == 2);
  REQUIRE(publish(io, ring, "orders", "1", true).ok());   // server 0
  REQUIRE(publish(io, ring, "user:42", "1", true).ok());  // server 1

  servers.second.kill();
  REQUIRE(run_until(io, [&] { return !ring.up(1) && !watched.up(1); }, 2s));
  CHECK_FALSE(ring.up());
  CHECK(ring.up(0));
  CHECK(ring.servers_up() == 1);
  CHECK_FALSE(ring.last_error(1).empty());
  CHECK(publish(io, ring, "orders", "2").ok());
  const auto failed = publish(io, ring, "user:42", "2");
  CHECK(failed.status == StoreStatus::unavailable);
  CHECK_FALSE(failed.detail.empty());
  const auto listing = list(io, ring);
  CHECK(listing.status == StoreStatus::unavailable);
  CHECK_FALSE(listing.detail.empty());

  servers.second.restart();
  REQUIRE(run_until(io, [&] { return ring.up() && watched.up(); }, 3s));
  CHECK(ring.last_error(1).empty());
  // Restarted empty: its topic is gone, the other's is there.
  const auto listed = list(io, ring);
  REQUIRE(listed.ok());
  REQUIRE(listed.value.size() == 1);
  CHECK(listed.value[0].name == "orders");
  CHECK(listed.value[0].seq == 2);

  using enum redis::LinkState;
  const std::vector<std::pair<std::size_t, redis::LinkState>> expected_tail = {{1, down}, {1, up}};
  REQUIRE(changes.size() == 4);  // both up, in either order, then server 1 down and up
  CHECK(std::vector(changes.begin() + 2, changes.end()) == expected_tail);
}

TEST_CASE("ring: no server, or one server and database given twice, is refused") {
  asio::io_context io;
  const auto make = [&](std::vector<std::string> urls) {
    std::vector<redis::RedisUrl> parsed;
    for (const std::string& url : urls) parsed.push_back(url_of(url));
    StoreRing ring(io, std::move(parsed), {});
  };
  CHECK_THROWS_AS(make({}), std::invalid_argument);
  CHECK_THROWS_AS(make({"redis://127.0.0.1:7000", "redis://127.0.0.1:7000"}), std::invalid_argument);
  CHECK_THROWS_AS(make({"redis://db.example:7000", "redis://user:pw@DB.example:7000/0"}), std::invalid_argument);
  CHECK_NOTHROW(make({"redis://127.0.0.1:7000", "redis://127.0.0.1:7001"}));
  CHECK_NOTHROW(make({"redis://127.0.0.1:7000/1", "redis://127.0.0.1:7000/2"}));
  CHECK_NOTHROW(make({"redis://127.0.0.1:7000"}));
}
