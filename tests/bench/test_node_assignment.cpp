// Tests of which node each connection of a pubsub-bench run goes to
// (bench/node_assignment.h), for the scenarios' shapes and one node.
#include "bench/node_assignment.h"

#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <map>
#include <vector>

using namespace pubsub::bench;

namespace {

// Counts, per topic, the subscribers each node got: [topic][node].
std::vector<std::vector<int>> subscribers_per_topic_and_node(int topics, int per_topic, std::size_t nodes) {
  std::vector<std::vector<int>> out(static_cast<std::size_t>(topics), std::vector<int>(nodes, 0));
  for (int s = 0; s < topics * per_topic; ++s) {
    const std::size_t node = subscriber_node(s, topics, nodes);
    REQUIRE(node < nodes);
    out[static_cast<std::size_t>(s % topics)][node] += 1;
  }
  return out;
}

}  // namespace

TEST_CASE("one node takes every connection") {
  for (int s = 0; s < 50; ++s) CHECK(subscriber_node(s, 7, 1) == 0);
  for (int p = 0; p < 9; ++p) CHECK(publisher_node(p, 1) == 0);
}

TEST_CASE("with one topic, subscriber i and publisher j go to node i % N and j % N") {
  const std::size_t nodes = GENERATE(2u, 3u);
  for (int i = 0; i < 20; ++i) {
    CHECK(subscriber_node(i, 1, nodes) == static_cast<std::size_t>(i) % nodes);
    CHECK(publisher_node(i, nodes) == static_cast<std::size_t>(i) % nodes);
  }
}

TEST_CASE("every topic's subscribers are split evenly over the nodes, whatever the topic count") {
  struct Shape {
    int topics, per_topic;
  };
  // S1, S2, S6 and shapes where the topic count is a multiple of the node
  // count (with subscriber s on node s % N, each topic would sit on one node).
  const Shape shape = GENERATE(Shape{1, 100}, Shape{10, 100}, Shape{1000, 5}, Shape{4, 6}, Shape{6, 3}, Shape{3, 2});
  const std::size_t nodes = GENERATE(2u, 3u);
  CAPTURE(shape.topics, shape.per_topic, nodes);
  const auto counts = subscribers_per_topic_and_node(shape.topics, shape.per_topic, nodes);
  std::vector<int> per_node(nodes, 0);
  for (const auto& topic : counts) {
    const auto [fewest, most] = std::minmax_element(topic.begin(), topic.end());
    CHECK(*most - *fewest <= 1);
    if (shape.per_topic >= static_cast<int>(nodes)) CHECK(*fewest > 0);
    for (std::size_t n = 0; n < nodes; ++n) per_node[n] += topic[n];
  }
  // The nodes' totals differ by at most one per topic, and by far less
  // when topics start on different nodes.
  const auto [fewest, most] = std::minmax_element(per_node.begin(), per_node.end());
  CHECK(*most - *fewest <= static_cast<int>(nodes));
}

TEST_CASE("publishers are on every node") {
  std::map<std::size_t, int> per_node;
  for (int p = 0; p < 8; ++p) per_node[publisher_node(p, 2)] += 1;
  CHECK(per_node == std::map<std::size_t, int>{{0, 4}, {1, 4}});
}
