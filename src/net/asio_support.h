// The Asio vocabulary of the net layer: how its coroutines are typed, how
// they get errors back, and the socket type of a connection on a shard.
//
// Types and constants only; any thread.
#pragma once

#include <boost/asio.hpp>

namespace pubsub::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Errors come back as values. Co-awaiting a deferred operation costs no
// coroutine frame of its own, unlike use_awaitable's.
constexpr auto nothrow = asio::as_tuple(asio::deferred);

// The executor of a shard's io_context. Coroutines, sockets and timers typed
// on it are smaller than with the type-erased any_io_executor.
using shard_executor = asio::io_context::executor_type;

// Coroutines run on one shard's io_context.
template <class T = void>
using task = asio::awaitable<T, shard_executor>;

// A connection's socket once it is served by its shard.
using shard_socket = asio::basic_stream_socket<tcp, shard_executor>;

}  // namespace pubsub::net
