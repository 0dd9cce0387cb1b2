// The FIFO of one subscriber's outbound frames. A vector read from a moving
// head instead of a std::deque: an empty queue owns no memory (libstdc++'s
// deque allocates 576 bytes up front), which matters with tens of thousands
// of idle connections, and a busy one keeps its capacity between bursts.
//
// Not synchronized: used by one Subscriber, on its shard thread.
#pragma once

#include <cstddef>
#include <vector>

#include "core/outbound.h"

namespace pubsub::core {

// A frame waiting in a subscriber's queue.
struct QueuedFrame {
  OutboundRef frame;
  // Part of a subscribe's replay: the reply to a request, so it counts
  // neither against the overflow bounds nor as a candidate to drop.
  bool replay = false;
};

class FrameQueue {
 public:
  using iterator = std::vector<QueuedFrame>::iterator;
  using const_iterator = std::vector<QueuedFrame>::const_iterator;

  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }
  QueuedFrame& front() { return items_[head_]; }

  iterator begin() { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  iterator end() { return items_.end(); }
  const_iterator begin() const { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  const_iterator end() const { return items_.end(); }

  void push_back(QueuedFrame frame) {
    // Reclaim the consumed prefix once it outgrows the live part, so a
    // queue that never quite drains stays bounded (amortized O(1)).
    if (head_ >= kCompactAt && head_ >= size()) {
      items_.erase(items_.begin(), begin());
      head_ = 0;
    }
    items_.push_back(std::move(frame));
  }

  void pop_front() {
    items_[head_].frame.reset();
    if (++head_ == items_.size()) clear();
  }

  // Erases one frame. The front (drop_oldest's usual victim) costs O(1).
  iterator erase(iterator it) {
    if (it == begin()) {
      pop_front();
      return begin();
    }
    return items_.erase(it);
  }

  // Empties the queue; a large buffer (left by a burst) is given back.
  void clear() {
    items_.clear();
    head_ = 0;
    if (items_.capacity() > kKeepCapacity) std::vector<QueuedFrame>().swap(items_);
  }

 private:
  static constexpr std::size_t kCompactAt = 64;
  static constexpr std::size_t kKeepCapacity = 256;

  std::vector<QueuedFrame> items_;
  std::size_t head_ = 0;  // items_[0, head_) are consumed (null)
};

}  // namespace pubsub::core
