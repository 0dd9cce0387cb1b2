// The error codes of the contract, shared by the WebSocket `error` frame
// and the REST error body, with the HTTP status each one answers with.
//
// Pure; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace pubsub::protocol {

enum class ErrorCode : std::uint8_t {
  bad_request,         // 400: a malformed request, naming the field
  unauthorized,        // 401: a missing or wrong credential
  not_found,           // 404: no such path (REST)
  topic_not_found,     // 404: no such topic
  method_not_allowed,  // 405: with an Allow header (REST)
  topic_exists,        // 409: POST /topics of an existing topic
  payload_too_large,   // 413: a body over its limit (REST)
  slow_consumer,       // a subscriber dropped for its full queue (WebSocket only)
  internal,            // 500: the server failed, or is shutting down (WebSocket)
  unavailable,         // 503: the server cannot take it now (past --max-connections, shutting down)
  forbidden,           // 403: refused to this client (an origin not allowed, a topic its token does not grant)
  limit_exceeded,      // 403: past --max-topics or --max-subscriptions
  rate_limited,        // 429: past --max-publish-rate; not published
  token_expired,       // a connection's token expired; it closes with 1008 (WebSocket only)
};

// How many codes there are: ErrorCode's values are 0 to kErrorCodeCount - 1
// (keep token_expired, or its successor, last).
inline constexpr std::size_t kErrorCodeCount = static_cast<std::size_t>(ErrorCode::token_expired) + 1;

// The contract's spelling of `code` ("BAD_REQUEST", ...).
std::string_view to_string(ErrorCode code);

// The HTTP status a REST response with `code` carries (500 for codes that
// only WebSocket clients receive).
unsigned http_status(ErrorCode code);

}  // namespace pubsub::protocol
