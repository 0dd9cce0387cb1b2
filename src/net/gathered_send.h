// A gathered write as the kernel takes it: the pieces the frame writer
// gathers (WriteBuffer) become the iovecs of one msghdr, and one sendmsg
// call writes them. Used for each connection's direct write
// (WsEndpoint::send) and for the sends of a batch (SendBatch), which
// points its io_uring sends at the same msghdr.
//
// Any thread; the buffers belong to the caller.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <span>

#include "net/frame_writer.h"

namespace pubsub::net {

// Fills `iov` from `pieces` (iov.size() >= pieces.size()) and returns a
// message over the filled part. Both must outlive its use.
msghdr gathered_message(std::span<const WriteBuffer> pieces, std::span<iovec> iov);

// One non-blocking sendmsg of `message` to `descriptor`, without SIGPIPE,
// again when a signal interrupts it: the bytes the socket took, or -errno
// (-EAGAIN: the socket is full).
ssize_t send_gathered(int descriptor, const msghdr& message);

}  // namespace pubsub::net
