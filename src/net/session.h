// The coroutines that serve one TCP connection, one at a time: its HTTP
// requests; after an upgrade, its WebSocket session (ws_endpoint.h), which
// waits in a coroutine of its own so that its frame holds nothing of the
// HTTP phase; and, after a close handshake, its lingering close. The
// listener spawns the first for each accepted connection.
//
// Runs on the connection's shard thread.
#pragma once

#include <cstddef>
#include <exception>

#include "net/asio_support.h"

namespace pubsub::net {

struct ServerState;

// Serves the connection on `socket`: its HTTP requests, then hands an
// upgraded connection to its WebSocket session.
task<void> connection_session(ServerState& server, std::size_t shard, shard_socket socket);

// The completion of a session coroutine: logs what it threw, once.
void log_session_exception(std::exception_ptr error);

}  // namespace pubsub::net
