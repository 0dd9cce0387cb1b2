// The writing half of a WebSocket connection, without the socket: the
// frames a connection has to send, in order, as the buffers of the next
// gathered write. The connection appends its queued events and replies
// (already framed by whoever built them), plus its own control frames;
// the I/O code asks for the buffers (gather), writes them with one
// system call, and reports how many bytes the socket took (consume).
//
// Small frames are copied into one contiguous buffer, so that a burst of
// 100 small events is one buffer of one write. A frame larger than
// kCopyLimit is not copied: the write takes it straight from the event's
// shared bytes (the writer holds a reference until it is written), so a
// big payload is never copied per subscriber.
//
// Appending stops being welcome (accepting() is false) once kHighWater
// bytes wait: a slow peer then leaves its frames in its own bounded queue,
// where the overflow policy acts.
//
// An idle writer holds nothing but a null pointer: the buffers of a busy
// writer come from its shard's WriterPool and go back to it once every
// byte is written.
//
// Single thread: the connection's shard thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/outbound.h"
#include "core/spare_pool.h"

namespace pubsub::net {

// One piece of a gathered write.
struct WriteBuffer {
  const char* data;
  std::size_t size;
};

class WriterPool;

class FrameWriter {
 public:
  // Bytes allowed to wait before appending stops being welcome.
  static constexpr std::size_t kHighWater = 64 * 1024;
  // Frames up to this size are copied; larger ones are written from their
  // shared bytes.
  static constexpr std::size_t kCopyLimit = 1024;

  FrameWriter() = default;
  FrameWriter(const FrameWriter&) = delete;
  FrameWriter& operator=(const FrameWriter&) = delete;
  // The owner empties the writer first (consume or discard).
  ~FrameWriter();

  // True when every appended byte has been written.
  bool empty() const { return !state_; }
  // Bytes appended and not written yet.
  std::size_t pending() const;
  // True while fewer than kHighWater bytes wait.
  bool accepting() const { return pending() < kHighWater; }

  // Appends `frame`, whole.
  void append(WriterPool& pool, const core::OutboundRef& frame);
  // Appends a copy of `bytes` (a control frame the connection built).
  void append_bytes(WriterPool& pool, std::string_view bytes);

  // Fills `out` with the next buffers to write, in order; returns how many
  // (0 when empty). They stay valid until the next append or consume.
  std::size_t gather(std::span<WriteBuffer> out) const;
  // Reports that the socket took the first `n` bytes of what gather gave.
  void consume(WriterPool& pool, std::size_t n);
  // Drops everything not yet written (a failed or closed socket).
  void discard(WriterPool& pool);

 private:
  friend class WriterPool;
  struct State;
  State* state_ = nullptr;  // null while empty
};

// The buffers of one shard's busy writers: a writer takes a state when it
// gets its first frame and gives it back, with its capacity, once all is
// written, so busy connections reuse warm buffers and idle ones hold none.
// The pool keeps as many spare states as writers were recently busy at once
// (core/spare_pool.h).
class WriterPool {
 public:
  WriterPool();
  ~WriterPool();
  WriterPool(const WriterPool&) = delete;
  WriterPool& operator=(const WriterPool&) = delete;

  // A state whose copy buffer grew past this gives the memory back.
  static constexpr std::size_t kMaxKeptCapacity = 128 * 1024;

  // Frees the spare states no writer needed since the previous call
  // (core/spare_pool.h); the shard calls it about once a second.
  std::size_t trim();
  std::size_t spares() const { return spares_.size(); }
  // States handed out and not given back.
  std::size_t in_use() const { return in_use_; }

 private:
  friend class FrameWriter;
  FrameWriter::State* take();
  void give(FrameWriter::State* state);

  core::SparePool<FrameWriter::State> spares_;
  std::size_t in_use_ = 0;
};

}  // namespace pubsub::net
