// The client's side of the WebSocket opening handshake (RFC 6455 section
// 4.1): the upgrade request, and the checks of the server's answer: status
// 101 and a Sec-WebSocket-Accept that matches the request's key. A refusal
// (401, 403, 404, 503, ...) comes with a body whose length the head gives.
//
// Pure functions; callable from any thread.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "cli/connection_settings.h"

namespace pubsub::cli {

// A fresh Sec-WebSocket-Key: the base64 of 16 random bytes.
std::string new_websocket_key();

// The Sec-WebSocket-Accept a server must answer `key` with: the base64 of
// the SHA-1 of the key and RFC 6455's GUID.
std::string websocket_accept(std::string_view key);

// The upgrade request for `target` on `host` (the Host header's value),
// with `key` and `headers` (credentials), ending with the blank line.
std::string upgrade_request(std::string_view host, std::string_view target, std::string_view key,
                            const HeaderList& headers);

// The head of the server's answer, up to and with its blank line.
struct ResponseHead {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // lower-case names, values trimmed
  std::size_t content_length = 0;
};

// Reads a response head. nullopt if it is not HTTP/1.x.
std::optional<ResponseHead> parse_response_head(std::string_view head);

// True if `head` accepts the upgrade of a request made with `key`.
bool upgrade_accepted(const ResponseHead& head, std::string_view key);

}  // namespace pubsub::cli
