// Connections to nodes; see node_assignment.h.
#include "bench/node_assignment.h"

namespace pubsub::bench {

std::size_t subscriber_node(int s, int topics, std::size_t nodes) {
  const auto index = static_cast<std::size_t>(s);
  const auto per_round = static_cast<std::size_t>(topics);
  return (index / per_round + index % per_round) % nodes;
}

std::size_t publisher_node(int p, std::size_t nodes) { return static_cast<std::size_t>(p) % nodes; }

}  // namespace pubsub::bench
