// One shard's batched socket writes: the end of a loop pass queues the
// gathered write of each plain-TCP connection it writes (add) and hands
// them to the kernel together, through io_uring, in one system call
// (submit) instead of one sendmsg call each. On these virtual machines a
// system call's entry and exit are a large share of a small write's cost
// (docs/benchmarks.md, "Writes submitted together").
//
// Every send is non-blocking (MSG_DONTWAIT): a full socket answers -EAGAIN
// at once, as sendmsg would, so each result is known when submit()
// returns, and no buffer is used by the kernel after it.
//
// start() sets the ring up; where the kernel (before Linux 5.18) or a
// seccomp profile refuses it (or with --io-uring false, which never starts
// it), the shard writes with one sendmsg call per connection.
//
// Started by the server before the shard's thread runs; then belongs to
// that thread: filled and submitted there.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "net/frame_writer.h"

namespace pubsub::net {

class SendBatch {
 public:
  // Sends per submission.
  static constexpr std::size_t kCapacity = 64;
  // Buffers per send (as many as a direct write gathers).
  static constexpr std::size_t kMaxPieces = 64;

  SendBatch();
  ~SendBatch();
  SendBatch(const SendBatch&) = delete;
  SendBatch& operator=(const SendBatch&) = delete;

  // Sets up the ring the first time it is called; returns whether it can
  // be used (the reason it cannot: failure()).
  bool start();
  bool started() const { return ring_ != nullptr; }
  // Gives the ring up: started() is false from then on, and start() does
  // not set it up again. The server does this to every shard when one
  // shard's ring cannot start, so that all of them write the same way.
  void stop();
  const std::string& failure() const { return failure_; }

  std::size_t size() const { return size_; }
  bool full() const { return size_ == kCapacity; }
  // Queues a write of `pieces` (at most kMaxPieces, in order) to
  // `descriptor`; the buffers must stay valid until submit() returns.
  // Needs started() and !full().
  void add(int descriptor, std::span<const WriteBuffer> pieces);
  // Writes everything queued; then result(i) is the i-th write's result:
  // the bytes the socket took, or -errno (-EAGAIN: the socket is full).
  void submit();
  ssize_t result(std::size_t i) const;
  // Forgets the queued writes and their results.
  void clear() { size_ = 0; }

 private:
  struct Ring;
  struct Entry;
  // Writes entries [from, size_) one sendmsg each (the ring failed).
  void send_directly(std::size_t from);

  std::unique_ptr<Ring> ring_;
  std::unique_ptr<Entry[]> entries_;
  std::size_t size_ = 0;
  bool tried_ = false;
  std::string failure_;
};

}  // namespace pubsub::net
