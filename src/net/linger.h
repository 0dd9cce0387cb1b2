// The gentle end of a TCP connection whose peer may still be sending.
//
// Coroutine on the connection's thread.
#pragma once

#include <boost/beast/core/tcp_stream.hpp>

#include "net/asio_support.h"

namespace pubsub::net {

// Closes a connection whose peer may still be sending: stop sending, then
// read and discard for a moment (at most 2 s and 1 MiB), so that the peer
// reads our last answer instead of a reset caused by unread input.
task<void> linger_close(boost::beast::tcp_stream& stream);

}  // namespace pubsub::net
