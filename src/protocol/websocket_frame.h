// RFC 6455 framing of the server's messages: the connection writer appends
// events and replies to its socket buffer already framed, so that a whole
// queue leaves in one system call without a WebSocket write operation per
// message.
//
// Pure function; callable from any thread.
#pragma once

#include <string>
#include <string_view>

namespace pubsub::protocol {

// Appends `payload` to `out` as one unfragmented, unmasked text frame (a
// server's frames are never masked, section 5.1), with the shortest length
// encoding (section 5.2).
void append_server_text_frame(std::string& out, std::string_view payload);

}  // namespace pubsub::protocol
