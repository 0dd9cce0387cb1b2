// Runs a hiredis asynchronous context on an Asio io_context: hiredis says
// through its event hooks (ev.addRead, delRead, addWrite, delWrite,
// cleanup) when it wants to read or write its socket; the attachment waits
// for that readiness on the io_context and calls redisAsyncHandleRead or
// redisAsyncHandleWrite. The socket stays hiredis's: it is watched through
// an Asio descriptor that never closes it and lets go of it when hiredis
// frees the context. Only the hooks that hiredis 0.14 and 1.x share are
// used, so the same code builds against both.
//
// The io_context's thread only (one thread runs it); the context must be
// freed before the io_context is destroyed.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>

struct redisAsyncContext;  // hiredis

namespace pubsub::redis {

namespace asio = boost::asio;

// Attaches `context`, just created and not attached to an event library,
// to `io`, and returns true; false (nothing done) if its hooks are taken.
// Throws boost::system::system_error if the io_context cannot watch its
// socket (nothing attached then either).
//
// When hiredis frees the context (after an error, or through
// redisAsyncFree), its cleanup hook ends the attachment: the waits under
// way are cancelled, their handlers then do nothing, and `on_freeing`
// runs, at once, while hiredis is still freeing the context: it must not
// call hiredis on it. Depending on the hiredis version the pending reply
// callbacks run (with a null reply) before or after it. `on_freeing` and
// what it captures are destroyed only once the free has returned, so it
// may keep the owner of `context->data` alive for those callbacks.
bool attach(redisAsyncContext* context, asio::io_context& io, std::function<void()> on_freeing);

}  // namespace pubsub::redis
