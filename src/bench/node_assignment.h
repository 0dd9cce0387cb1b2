// Which node each connection of a pubsub-bench run goes to, when --port
// names several nodes of one cluster: subscribers of every topic are split
// over the nodes, and publishers are on all of them, so that most events
// cross from one node to another. With one node every connection goes to
// it.
//
// Pure functions: any thread.
#pragma once

#include <cstddef>

namespace pubsub::bench {

// Returns the node (an index into --port) that subscriber `s` connects to.
// Subscriber s is the (s / topics)-th subscriber of topic s % topics; each
// topic's subscribers take the nodes in turn, topic t starting at node
// t % nodes, so every topic with at least `nodes` subscribers has some on
// each node and the nodes hold equal shares (within one per topic).
// Connections mode places connection `s` the same way.
std::size_t subscriber_node(int s, int topics, std::size_t nodes);

// Returns the node publisher `p` connects to: p % nodes. Also the node of
// HTTP connection `p` in the topics and http-publish modes.
std::size_t publisher_node(int p, std::size_t nodes);

}  // namespace pubsub::bench
