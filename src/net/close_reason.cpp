// Close reason labels; see close_reason.h.
#include "net/close_reason.h"

namespace pubsub::net {

std::string_view to_string(CloseReason reason) {
  switch (reason) {
    case CloseReason::client: return "client";
    case CloseReason::idle_timeout: return "idle_timeout";
    case CloseReason::slow_consumer: return "slow_consumer";
    case CloseReason::protocol_error: return "protocol_error";
    case CloseReason::message_too_big: return "message_too_big";
    case CloseReason::invalid_utf8: return "invalid_utf8";
    case CloseReason::token_expired: return "token_expired";
    case CloseReason::shutdown: return "shutdown";
    case CloseReason::error: return "error";
  }
  return "error";
}

}  // namespace pubsub::net
