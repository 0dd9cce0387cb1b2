// What a subscriber holds while it has anything to send: its queue of
// frames and the counts its bounds and its drop notices need. A subscriber
// with nothing queued holds no Backlog: it takes one from its shard's pool
// when a frame arrives and gives it back once all is written, so tens of
// thousands of idle connections cost nothing here, and busy ones reuse warm
// memory.
//
// Shard thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "core/frame_queue.h"
#include "core/outbound.h"

namespace pubsub::core {

struct Backlog {
  FrameQueue queue;
  OutboundRef announced;  // the event whose dropped notice pop() just returned
  std::size_t queued_bytes = 0;
  std::size_t inflight_bytes = 0;  // popped, not yet reported written
  std::uint32_t inflight_frames = 0;
  std::uint32_t replay_frames = 0;  // queued frames of a replay, exempt from the bounds
  std::size_t replay_bytes = 0;
  // Events of a topic lost since its last delivered event.
  std::vector<std::pair<TopicRef, std::uint64_t>> pending_drops;

  // True when nothing is queued, in flight, or owed a notice.
  bool empty() const { return queue.empty() && !announced && inflight_frames == 0 && pending_drops.empty(); }
  // Drops everything, keeping the memory of a busy queue.
  void clear() {
    queue.clear();
    announced.reset();
    queued_bytes = inflight_bytes = replay_bytes = 0;
    inflight_frames = replay_frames = 0;
    pending_drops.clear();
  }
};

// A shard's spare Backlogs.
class BacklogPool {
 public:
  // Backlogs kept for reuse at most; more are freed.
  static constexpr std::size_t kMaxIdle = 256;

  // Returns an empty Backlog.
  Backlog* take() {
    if (idle_.empty()) return new Backlog;
    Backlog* backlog = idle_.back().release();
    idle_.pop_back();
    return backlog;
  }
  // Takes back an empty Backlog.
  void give(Backlog* backlog) {
    std::unique_ptr<Backlog> owned(backlog);
    if (idle_.size() >= kMaxIdle) return;
    owned->clear();
    idle_.push_back(std::move(owned));
  }

 private:
  std::vector<std::unique_ptr<Backlog>> idle_;
};

}  // namespace pubsub::core
