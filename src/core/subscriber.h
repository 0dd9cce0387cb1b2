// One connection's side of the broker: the topics it holds and its bounded
// outbound queue, where the overflow policy (drop_oldest or disconnect) is
// applied. The connection drains the queue into its socket writes.
//
// Shard thread only: a Subscriber is created, fed, drained and destroyed on
// the thread of the shard it belongs to, so nothing here is synchronized.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/frame.h"
#include "core/frame_queue.h"

namespace pubsub::core {

class Broker;
class Topic;

enum class OverflowPolicy { drop_oldest, disconnect };

struct QueueLimits {
  std::size_t max_frames = 1000;
  std::size_t max_bytes = 16 * 1024 * 1024;
  OverflowPolicy policy = OverflowPolicy::drop_oldest;
};

class Subscriber {
 public:
  // Joins shard `shard` of `broker`. `on_ready` is called whenever the queue
  // goes from empty to non-empty (the connection should schedule a write). `on_overflow`
  // is called once per subscriber, when the policy first acts: the first
  // drop under drop_oldest, or the decision to disconnect.
  Subscriber(Broker& broker, std::size_t shard, std::function<void()> on_ready,
             std::function<void(OverflowPolicy)> on_overflow = {});
  // Leaves every topic still held.
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  std::size_t shard() const { return shard_; }

  // Queues a reply or info. Never dropped (request flow control bounds
  // them: see wants_requests). Ignored once the subscriber overflowed.
  void push_control(FramePtr frame);
  // Queues an event and applies the overflow policy if a bound is passed.
  // Returns true if this push made the disconnect policy drop the
  // subscriber: the caller must then make the broker forget it
  // (Broker::unsubscribe_all) once it is not iterating the subscriber lists.
  [[nodiscard]] bool push_event(FramePtr frame);

  // Returns the next frame to write, or nullptr when the queue is empty. A
  // `dropped` info precedes the first event of a topic that lost events.
  // The frame counts against the bounds until `written` is called.
  FramePtr pop();
  // Reports that a frame returned by pop has been written (or abandoned).
  void written(const Frame& frame);

  // True when the disconnect policy has decided to drop this subscriber:
  // the queue holds only the SLOW_CONSUMER error; close with 1008 after it.
  bool overflowed() const { return overflowed_; }
  // True while the queue is below its bounds: the reader may take the next
  // request (replies are never dropped, so requests wait instead).
  bool wants_requests() const;
  bool idle() const { return queue_.empty() && !announced_ && inflight_frames_ == 0; }
  std::size_t queued_frames() const { return queue_.size() + inflight_frames_; }
  std::size_t queued_bytes() const { return queued_bytes_ + inflight_bytes_; }
  // Events this subscriber lost to drop_oldest, over its lifetime.
  std::uint64_t dropped_total() const { return dropped_total_; }
  // Number of topics held.
  std::size_t topic_count() const { return memberships_.size(); }

 private:
  friend class Broker;
  friend class Shard;

  // Where this subscriber sits in its shard's list for one topic.
  struct Membership {
    std::shared_ptr<Topic> topic;
    std::size_t index;
  };

  bool over_limits() const;
  // Forgets the drop count of `topic` once no queued event of it is left
  // to carry the notice (after an unsubscribe or a deletion).
  void forget_drops_if_unused(const Topic* topic);
  void enqueue(FramePtr frame);
  // Drops the oldest queued event other than the newest frame; returns
  // false when there is none to drop.
  bool drop_oldest_event();
  void overflow();

  Broker& broker_;
  const std::size_t shard_;
  const QueueLimits& limits_;  // the broker's, which outlives its subscribers
  std::function<void()> on_ready_;
  std::function<void(OverflowPolicy)> on_overflow_;
  // Two buckets to start: the first subscription would otherwise allocate
  // 13, a tenth of an idle connection's memory budget.
  std::unordered_map<const Topic*, Membership> memberships_{2};

  FrameQueue queue_;
  FramePtr announced_;  // the event whose dropped notice pop() just returned
  std::size_t queued_bytes_ = 0;
  std::size_t inflight_frames_ = 0;
  std::size_t inflight_bytes_ = 0;
  bool overflowed_ = false;
  // Events of a topic lost since its last delivered event.
  std::vector<std::pair<std::shared_ptr<Topic>, std::uint64_t>> pending_drops_;
  std::uint64_t dropped_total_ = 0;
};

}  // namespace pubsub::core
