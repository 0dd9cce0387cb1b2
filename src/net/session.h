// The coroutine that serves one TCP connection: its HTTP requests and,
// after an upgrade, its WebSocket session (ws_connection.h), which waits in
// this coroutine's frame. The listener spawns one per accepted connection.
//
// Runs on the connection's shard thread.
#pragma once

#include <cstddef>
#include <exception>

#include "net/asio_support.h"

namespace pubsub::net {

struct ServerState;

// Serves the connection on `socket` until it closes.
task<void> connection_session(ServerState& server, std::size_t shard, shard_socket socket);

// The completion of a session coroutine: logs what it threw, once.
void log_session_exception(std::exception_ptr error);

}  // namespace pubsub::net
