// Tests of the Redis store (engine/redis_store.h) under concurrent and
// pipelined publishes, against a private Valkey started for each test: two
// nodes publishing at once get distinct consecutive seqs that the channel
// carries in order, and publishes made in one loop pass leave together.
#include "engine/redis_store.h"

#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <map>
#include <string>
#include <vector>

#include "engine/store_fixture.h"

using namespace pubsub::engine;
using namespace pubsub::engine::testing;

namespace {

// A distinct message id per (node, index), as a JSON string token.
std::string message_id(int node, int index) { return "\"" + std::to_string(node) + "-" + std::to_string(index) + "\""; }

}  // namespace

TEST_CASE("store: two nodes publishing at once get distinct consecutive seqs, carried in seq order") {
  ServerProcess server;
  asio::io_context io;
  RedisStore first(io, url_of(server.url()), {}, quick_options());
  RedisStore second(io, url_of(server.url()), {}, quick_options());
  ChannelListener listener(io, server.url());
  listener.listen(io, {events_channel("orders")});
  start_and_wait_up(io, first);
  start_and_wait_up(io, second);
  REQUIRE(create(io, first, "orders").ok());

  constexpr int kPerNode = 1000;
  std::vector<std::string> ids[2];
  std::vector<std::uint64_t> seqs[2];
  RedisStore* nodes[2] = {&first, &second};
  // Both nodes issue all their publishes in this one pass, interleaved;
  // Valkey reads each connection 16 KB at a time, so each node's seqs come
  // in about ten runs that alternate with the other's.
  for (int i = 0; i < kPerNode; ++i) {
    for (int node = 0; node < 2; ++node) {
      ids[node].push_back(message_id(node, i));
      nodes[node]->publish("orders", OutgoingMessage{ids[node].back(), "{}"}, false,
                           [&seqs, node](StoreResult<PublishReceipt> result) {
                             seqs[node].push_back(result.ok() ? result.value.first_seq : 0);
                           });
    }
  }
  REQUIRE(run_until(io, [&] { return seqs[0].size() == kPerNode && seqs[1].size() == kPerNode; }));

  // Each node's publishes keep its order; together they are 1 to 2000.
  std::vector<std::uint64_t> all;
  for (int node = 0; node < 2; ++node) {
    CHECK(std::is_sorted(seqs[node].begin(), seqs[node].end()));
    CHECK(std::adjacent_find(seqs[node].begin(), seqs[node].end()) == seqs[node].end());
    all.insert(all.end(), seqs[node].begin(), seqs[node].end());
  }
  std::sort(all.begin(), all.end());
  CHECK(all == seq_range(1, 2 * kPerNode));
  // The channel carries them in seq order, each with the message it was
  // given to.
  std::map<std::string, std::uint64_t> seq_of_id;
  for (int node = 0; node < 2; ++node) {
    for (int i = 0; i < kPerNode; ++i) seq_of_id[ids[node][i]] = seqs[node][i];
  }
  listener.wait_for(io, 2 * kPerNode);
  const auto events = listener.topic_messages("orders");
  REQUIRE(events.size() == 2 * kPerNode);
  for (std::size_t i = 0; i < events.size(); ++i) {
    INFO("event " << i);
    REQUIRE(events[i].seq == i + 1);
    REQUIRE(seq_of_id[events[i].id] == events[i].seq);
  }
}

TEST_CASE("store: 1000 publishes made in one pass leave pipelined and are answered in order") {
  ServerProcess server;
  asio::io_context io;
  RedisStore store(io, url_of(server.url()), {.history_size = 10}, quick_options());
  start_and_wait_up(io, store);
  REQUIRE(create(io, store, "orders").ok());
  // The script is loaded on this connection before the count starts.
  REQUIRE(publish(io, store, "orders", {"\"warm\"", "0"}).ok());

  const long long reads_before = info_field(command(io, store, {"INFO", "stats"}).text, "total_reads_processed");
  std::vector<std::uint64_t> seqs;
  for (int i = 0; i < 1000; ++i) {
    store.publish("orders", OutgoingMessage{"\"id\"", "{}"}, false, [&seqs](StoreResult<PublishReceipt> result) {
      seqs.push_back(result.ok() ? result.value.first_seq : 0);
    });
  }
  REQUIRE(run_until(io, [&] { return seqs.size() == 1000; }));
  CHECK(seqs == seq_range(2, 1001));
  const long long reads_after = info_field(command(io, store, {"INFO", "stats"}).text, "total_reads_processed");
  // One read per round trip would be over 1000; the publishes (about
  // 300 KB) left in a few writes, which the server took in 16 KB reads.
  INFO("reads: " << reads_after - reads_before);
  CHECK(reads_after - reads_before <= 60);
}
