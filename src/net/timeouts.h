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
// A rejected connection's request, and the answer to it.
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
// Final flushes and close handshakes.
constexpr auto kFinalFlushTimeout = std::chrono::seconds(5);

// The idle-timeout sweep runs every quarter of --idle-timeout (an "epoch").
// A connection whose last read is 3 epochs old has been quiet for at least
// half the timeout and is pinged; at 5 epochs, for at least all of it (and
// at most 1.25 times it), and it is dropped.
constexpr std::uint32_t kIdleEpochsPerTimeout = 4;
constexpr std::uint32_t kIdlePingEpochs = 3;
constexpr std::uint32_t kIdleEndEpochs = 5;

}  // namespace pubsub::net
