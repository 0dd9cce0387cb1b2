// The frame writer and its pool; see frame_writer.h.
#include "net/frame_writer.h"

#include <cassert>

namespace pubsub::net {

struct FrameWriter::State {
  // A run of bytes to write: a frame written from its own bytes (`held`),
  // or `size` bytes of `copies` from `offset`.
  struct Segment {
    core::OutboundRef held;
    std::uint32_t offset = 0;
    std::uint32_t size = 0;
  };

  // Dropping a written prefix (of `copies`, or of `segments`) pays once it
  // is this large and more than half of the whole: a writer that never
  // quite empties (a slow peer) stays bounded.
  static constexpr std::size_t kCompactBytes = 16 * 1024;
  static constexpr std::size_t kCompactSegments = 64;

  std::vector<Segment> segments;
  std::size_t head = 0;            // the first segment not fully written
  std::size_t head_written = 0;    // bytes of it already written
  std::string copies;              // the small frames, copied
  std::size_t copies_written = 0;  // the prefix of `copies` fully written
  std::size_t pending = 0;

  const char* data(const Segment& segment) const {
    return segment.held ? segment.held->bytes().data() : copies.data() + segment.offset;
  }
  void copy(std::string_view bytes);
  void hold(const core::OutboundRef& frame);
  // Drops the written prefixes once they are worth it.
  void trim();
  void reset();
};

void FrameWriter::State::copy(std::string_view bytes) {
  trim();
  const auto offset = static_cast<std::uint32_t>(copies.size());
  copies.append(bytes);
  pending += bytes.size();
  if (head < segments.size()) {
    Segment& last = segments.back();
    if (!last.held && last.offset + last.size == offset) {
      last.size += static_cast<std::uint32_t>(bytes.size());
      return;
    }
  }
  segments.push_back({nullptr, offset, static_cast<std::uint32_t>(bytes.size())});
}

void FrameWriter::State::hold(const core::OutboundRef& frame) {
  trim();
  segments.push_back({frame, 0, static_cast<std::uint32_t>(frame->size())});
  pending += frame->size();
}

void FrameWriter::State::trim() {
  if (head >= kCompactSegments && head * 2 > segments.size()) {
    segments.erase(segments.begin(), segments.begin() + static_cast<std::ptrdiff_t>(head));
    head = 0;
  }
  if (copies_written >= kCompactBytes && copies_written * 2 > copies.size()) {
    copies.erase(0, copies_written);
    for (std::size_t i = head; i < segments.size(); ++i) {
      if (!segments[i].held) segments[i].offset -= static_cast<std::uint32_t>(copies_written);
    }
    copies_written = 0;
  }
}

void FrameWriter::State::reset() {
  segments.clear();
  head = 0;
  head_written = 0;
  copies.clear();
  copies_written = 0;
  pending = 0;
}

FrameWriter::~FrameWriter() { assert(!state_ && "a writer is emptied by its owner before it goes"); }

std::size_t FrameWriter::pending() const { return state_ ? state_->pending : 0; }

void FrameWriter::append(WriterPool& pool, const core::OutboundRef& frame) {
  if (frame->size() <= kCopyLimit) return append_bytes(pool, frame->bytes());
  if (!state_) state_ = pool.take();
  state_->hold(frame);
}

void FrameWriter::append_bytes(WriterPool& pool, std::string_view bytes) {
  if (bytes.empty()) return;
  if (!state_) state_ = pool.take();
  state_->copy(bytes);
}

std::size_t FrameWriter::gather(std::span<WriteBuffer> out) const {
  if (!state_) return 0;
  std::size_t n = 0;
  std::size_t skip = state_->head_written;
  for (std::size_t i = state_->head; i < state_->segments.size() && n < out.size(); ++i) {
    const State::Segment& segment = state_->segments[i];
    out[n++] = {state_->data(segment) + skip, segment.size - skip};
    skip = 0;
  }
  return n;
}

void FrameWriter::consume(WriterPool& pool, std::size_t n) {
  assert(n <= pending());
  if (n == 0) return;
  State& s = *state_;
  s.pending -= n;
  while (n > 0) {
    State::Segment& segment = s.segments[s.head];
    const std::size_t left = segment.size - s.head_written;
    if (n < left) {
      s.head_written += n;
      return;
    }
    n -= left;
    if (segment.held) {
      segment.held.reset();
    } else {
      s.copies_written = segment.offset + segment.size;
    }
    s.head += 1;
    s.head_written = 0;
  }
  if (s.head == s.segments.size()) {
    pool.give(state_);
    state_ = nullptr;
  }
}

void FrameWriter::discard(WriterPool& pool) {
  if (!state_) return;
  pool.give(state_);
  state_ = nullptr;
}

WriterPool::WriterPool() = default;

WriterPool::~WriterPool() { assert(in_use_ == 0); }

FrameWriter::State* WriterPool::take() {
  in_use_ += 1;
  std::unique_ptr<FrameWriter::State> spare = spares_.take();
  return spare ? spare.release() : new FrameWriter::State;
}

void WriterPool::give(FrameWriter::State* state) {
  in_use_ -= 1;
  std::unique_ptr<FrameWriter::State> owned(state);
  owned->reset();
  if (owned->copies.capacity() > kMaxKeptCapacity) std::string().swap(owned->copies);
  if (owned->segments.capacity() > 1024) std::vector<FrameWriter::State::Segment>().swap(owned->segments);
  spares_.give(std::move(owned));
}

std::size_t WriterPool::trim() { return spares_.trim(); }

}  // namespace pubsub::net
