// The HTTP side of a connection: REST requests answered through the pure
// router (rest.h), the WebSocket upgrade checked and answered with Beast's
// handshake, and the 503 for connections past --max-connections. The only
// translation unit that includes Beast's HTTP and WebSocket headers.
//
// Coroutines on the connection's shard thread.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "auth/jwt.h"
#include "net/asio_support.h"

namespace pubsub::net {

struct ServerState;
struct TlsChannel;

// A connection that speaks WebSocket now: its descriptor (no longer
// registered with any io_context) or its TLS channel, the bytes the
// client sent after its upgrade request, and whose token it presented.
struct WebSocketStart {
  int descriptor;  // -1 over TLS
  tcp protocol;
  std::string early_input;
  std::unique_ptr<auth::Identity> identity;  // null: an API key, or no authentication
  std::shared_ptr<TlsChannel> tls;           // null over plain TCP
};

// Serves HTTP requests until the connection closes (nullopt) or upgrades;
// then answers the upgrade. Its frames (parser, request, handshake) are
// gone once it returns.
task<std::optional<WebSocketStart>> serve_http(ServerState& server, std::size_t shard, shard_socket socket);

// Answers a connection past --max-connections with 503 and closes it.
task<void> reject_session(const ServerState& server, tcp::socket socket);

}  // namespace pubsub::net
