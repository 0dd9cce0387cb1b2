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
#include "core/spare_pool.h"

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

// A shard's spare Backlogs: as many as its subscribers recently had busy
// at once (spare_pool.h).
class BacklogPool {
 public:
  // Returns an empty Backlog.
  Backlog* take() {
    std::unique_ptr<Backlog> spare = spares_.take();
    return spare ? spare.release() : new Backlog;
  }
  // Takes back an empty Backlog.
  void give(Backlog* backlog) {
    std::unique_ptr<Backlog> owned(backlog);
    owned->clear();
    spares_.give(std::move(owned));
  }
  // Frees the spares no subscriber needed since the previous call.
  std::size_t trim() { return spares_.trim(); }
  std::size_t spares() const { return spares_.size(); }

 private:
  SparePool<Backlog> spares_;
};

}  // namespace pubsub::core
