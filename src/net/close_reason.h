// Why a WebSocket connection ended: one reason per connection, logged when
// it closes (and the label a disconnect is counted under).
//
// Pure; any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace pubsub::net {

enum class CloseReason : std::uint8_t {
  client,           // the client closed: a close frame, or the end of its stream
  idle_timeout,     // nothing arrived for --idle-timeout
  slow_consumer,    // the disconnect policy dropped it (1008)
  protocol_error,   // a frame broke RFC 6455 (1002)
  message_too_big,  // a message over --max-message-bytes (1009)
  invalid_utf8,     // a text message or close reason that is not UTF-8 (1007)
  token_expired,    // its credential expired (1008)
  shutdown,         // the server is shutting down (1001)
  error,            // the socket failed
};

// The reason's label: "client", "idle_timeout", ...
std::string_view to_string(CloseReason reason);

}  // namespace pubsub::net
