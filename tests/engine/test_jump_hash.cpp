// Unit tests of the placement of topics on servers (engine/jump_hash.h):
// FNV-1a 64 and jump consistent hash against values computed elsewhere,
// the balance over 10 000 topics, and what moves when a server is added.
//
// The expected values were computed once, outside this project, by two
// small reimplementations written from the definitions (FNV-1a: offset
// basis and prime; jump hash: the C++ code of Lamping and Veach's paper),
// one in Python 3 (integers masked to 64 bits, float division) and one in
// Node.js (BigInt, Number division); both printed the same numbers:
//
//   def fnv1a64(b):
//       h = 0xcbf29ce484222325
//       for c in b: h = ((h ^ c) * 0x100000001b3) & (2**64 - 1)
//       return h
//   def jump(key, n):
//       b, j = -1, 0
//       while j < n:
//           b = j
//           key = (key * 2862933555777941757 + 1) & (2**64 - 1)
//           j = int((b + 1) * (float(1 << 31) / float((key >> 33) + 1)))
//       return b
#include "engine/jump_hash.h"

#include <catch2/catch_test_macros.hpp>
#include <cstdint>
#include <string>
#include <vector>

using namespace pubsub::engine;
using namespace std::string_literals;

namespace {

constexpr int kKeys = 10'000;

std::string topic_number(int i) { return "topic-" + std::to_string(i); }

}  // namespace

TEST_CASE("jump hash: FNV-1a 64 gives the published test vectors and the reimplementations' values") {
  // From the FNV test suite (Fowler, Noll, Vo).
  CHECK(fnv1a_64("") == 0xcbf29ce484222325ULL);
  CHECK(fnv1a_64("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(fnv1a_64("foobar") == 0x85944171f73967e8ULL);
  // From the Python and Node.js reimplementations.
  CHECK(fnv1a_64("orders") == 0x00125d9250be8b4cULL);
  CHECK(fnv1a_64("chat.room-1") == 0xb13ef8617be8ddbaULL);
  CHECK(fnv1a_64("user:42") == 0x6c151ea4dcd221c2ULL);
  CHECK(fnv1a_64("\xff\0x"s) == 0xf920b11be415a916ULL);  // bytes are unsigned, a NUL is a byte
  CHECK(fnv1a_64(std::string(255, 'a')) == 0x7b04934eeef462a6ULL);
}

TEST_CASE("jump hash: the buckets of the paper's code") {
  // The first six also appear, with these buckets, in ClickHouse's tests of
  // its jumpConsistentHash; all ten came out of both reimplementations.
  CHECK(jump_hash(1, 1) == 0);
  CHECK(jump_hash(42, 57) == 43);
  CHECK(jump_hash(256, 1024) == 520);
  CHECK(jump_hash(3735883980ULL, 1) == 0);
  CHECK(jump_hash(3735883980ULL, 666) == 361);
  CHECK(jump_hash(16045690984833335023ULL, 255) == 237);
  CHECK(jump_hash(0, 1000) == 0);
  CHECK(jump_hash(18446744073709551615ULL, 100) == 92);
  CHECK(jump_hash(12345678901234567890ULL, 1000000) == 46485);
  CHECK(jump_hash(14695981039346656037ULL, 2147483647) == 1857788335);
}

TEST_CASE("jump hash: the server of a topic for 1 to 100 servers") {
  struct Expected {
    const char* topic;
    std::vector<std::size_t> servers;  // for 2, 3, 4, 5, 8, 16 and 100 servers
  };
  const Expected expected[] = {
      {"orders", {0, 0, 3, 3, 7, 10, 37}},
      {"chat.room-1", {0, 0, 0, 0, 0, 10, 53}},
      {"user:42", {1, 1, 1, 1, 1, 15, 80}},
      {"a", {1, 2, 2, 2, 2, 12, 31}},
      {"metrics_eu-west.cpu:7", {1, 1, 3, 3, 6, 6, 66}},
  };
  const std::size_t counts[] = {2, 3, 4, 5, 8, 16, 100};
  for (const Expected& topic : expected) {
    INFO(topic.topic);
    CHECK(server_of_topic(topic.topic, 1) == 0);
    for (std::size_t i = 0; i < std::size(counts); ++i) {
      INFO(counts[i] << " servers");
      CHECK(server_of_topic(topic.topic, counts[i]) == topic.servers[i]);
    }
  }
}

TEST_CASE("jump hash: 10 000 topics spread evenly, within 10 % of the mean per server") {
  for (const std::size_t servers : {2u, 3u, 5u, 10u, 16u}) {
    INFO(servers << " servers");
    std::vector<int> topics(servers, 0);
    for (int i = 0; i < kKeys; ++i) {
      const std::size_t server = server_of_topic(topic_number(i), servers);
      REQUIRE(server < servers);
      ++topics[server];
    }
    const double mean = static_cast<double>(kKeys) / static_cast<double>(servers);
    for (std::size_t server = 0; server < servers; ++server) {
      INFO("server " << server << ": " << topics[server] << " topics, mean " << mean);
      CHECK(topics[server] > mean * 0.9);
      CHECK(topics[server] < mean * 1.1);
    }
  }
}

TEST_CASE("jump hash: from N to N + 1 servers, about 1/(N + 1) of the topics move, all to the new one") {
  for (std::size_t servers = 1; servers <= 20; ++servers) {
    INFO(servers << " -> " << servers + 1 << " servers");
    int moved = 0;
    int elsewhere = 0;
    for (int i = 0; i < kKeys; ++i) {
      const std::string topic = topic_number(i);
      const std::size_t before = server_of_topic(topic, servers);
      const std::size_t after = server_of_topic(topic, servers + 1);
      if (before == after) continue;
      ++moved;
      if (after != servers) ++elsewhere;
    }
    const double expected = static_cast<double>(kKeys) / static_cast<double>(servers + 1);
    INFO(moved << " moved, " << expected << " expected");
    CHECK(elsewhere == 0);
    CHECK(moved > expected * 0.85);
    CHECK(moved < expected * 1.15);
  }
}
