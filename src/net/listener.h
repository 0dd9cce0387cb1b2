// The listener: accepts connections on the one port and hands each to the
// next shard, round robin, as a session coroutine; connections past
// --max-connections get a 503 instead. A failed accept (the process is out
// of descriptors) is retried after a pause and logged at most once a
// second, with a count.
//
// Runs on shard 0's thread.
#pragma once

#include "net/asio_support.h"

namespace pubsub::net {

struct ServerState;

// Accepts until the acceptor is closed.
task<void> accept_loop(ServerState& server, tcp::acceptor& acceptor);

}  // namespace pubsub::net
