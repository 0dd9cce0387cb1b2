// The time limits of the net layer: how long a client may take at each
// step, and how the idle-timeout sweep divides --idle-timeout.
//
// Constants only; any thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace pubsub::net {

// A request (and the pause between keep-alive requests) must arrive within
// this, or within --idle-timeout if that is shorter.
constexpr auto kMaxRequestTimeout = std::chrono::seconds(30);
// The answer to an upgrade (the 101 write); and the request of a connection
// past --max-connections.
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
// Final flushes and close handshakes.
constexpr auto kFinalFlushTimeout = std::chrono::seconds(5);

// The idle-timeout sweep runs every eighth of --idle-timeout (an "epoch").
// A connection whose last read is 4 epochs old has been quiet for more
// than 3/8 and at most 1/2 of the timeout, and is pinged; so again at 8;
// at 9 epochs it has been silent for all of the timeout (and at most 9/8
// of it), and it is dropped. So a peer that answers pings is pinged at
// least every half timeout and never dropped.
constexpr std::uint32_t kIdleEpochsPerTimeout = 8;
constexpr std::uint32_t kIdlePingEpochs = 4;
constexpr std::uint32_t kIdleEndEpochs = 9;

// How often a shard checks the deadlines of close handshakes and of acks
// that wait for their events, while there are any.
constexpr auto kDeadlineTick = std::chrono::milliseconds(250);

// --engine redis: how long the ack of a publish to a topic its publisher
// holds waits for the publisher's own event of it, which comes through
// the node's live feed (a feed that lags or is down); then it goes out
// anyway.
constexpr auto kAckAwaitsEventTimeout = std::chrono::seconds(1);

// How often a shard looks for connections whose token has expired, while
// any connection holds a token.
constexpr auto kTokenTick = std::chrono::milliseconds(500);

// How often a shard frees the spare queues and write buffers its
// connections did not need since the previous time (core/spare_pool.h).
constexpr auto kSpareTrimPeriod = std::chrono::seconds(1);

}  // namespace pubsub::net
