// The pure part of RFC 6455 section 4.2.1's checks of a client's opening
// handshake that Beast's accept leaves out: the form of its
// Sec-WebSocket-Key. The HTTP side of the checks (one Upgrade header, one
// key) is in net/http_session.cpp.
//
// Pure functions; callable from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace pubsub::protocol {

// Returns how many bytes `text` decodes to if it is base64 (RFC 4648
// section 4: groups of 4 characters of the standard alphabet, '=' padding
// only at the end of the last group), or nullopt if it is not.
std::optional<std::size_t> base64_decoded_size(std::string_view text);

// Returns true if `key` is a valid Sec-WebSocket-Key: the base64 of
// exactly 16 bytes (24 characters, the last two "==").
bool is_websocket_key(std::string_view key);

}  // namespace pubsub::protocol
