// One connection's side of the broker: its bounded outbound queue, where
// the overflow policy (drop_oldest or disconnect) is applied, and the head
// of the list of topics it holds (kept by its shard's SubscriptionIndex).
// The connection drains the queue into its socket writes.
//
// Shard thread only: a Subscriber is created, fed, drained and destroyed on
// the thread of the shard it belongs to, so nothing here is synchronized.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/backlog.h"
#include "core/outbound.h"
#include "core/subscription_index.h"

namespace pubsub::core {

class Shard;

enum class OverflowPolicy { drop_oldest, disconnect };

struct QueueLimits {
  std::size_t max_frames = 1000;
  std::size_t max_bytes = 16 * 1024 * 1024;
  OverflowPolicy policy = OverflowPolicy::drop_oldest;
};

class Subscriber {
 public:
  // Joins `shard`.
  explicit Subscriber(Shard& shard);
  // Leaves every topic still held.
  virtual ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  Shard& shard() const { return shard_; }

  // Queues a reply, info or pong. Never dropped (request flow control
  // bounds them: see wants_requests). Ignored once the subscriber overflowed.
  void push_control(OutboundRef frame);
  // Queues an event of a subscribe's replay: part of the reply to the
  // request, it counts neither against the overflow bounds nor as a
  // candidate to drop (a client that reads is never dropped for it).
  void push_replay(OutboundRef frame);
  // Queues an event and applies the overflow policy if a bound is passed.
  // Returns true if this push made the disconnect policy drop the
  // subscriber: the caller must then make the broker forget it
  // (Broker::unsubscribe_all) once it is not iterating the subscriber lists.
  [[nodiscard]] bool push_event(const OutboundRef& frame);

  // Returns the next frame to write, or null when the queue is empty. A
  // `dropped` info precedes the first event of a topic that lost events.
  // The frame counts against the bounds until `written` is called.
  OutboundRef pop();
  // Reports that a frame returned by pop has been written (or abandoned).
  void written(const Outbound& frame);

  // True when the disconnect policy has decided to drop this subscriber:
  // the queue holds only the SLOW_CONSUMER error; close with 1008 after it.
  bool overflowed() const { return overflowed_; }
  // True while the queue is below its bounds: the reader may take the next
  // request (replies are never dropped, so requests wait instead).
  bool wants_requests() const;
  bool idle() const {
    return !backlog_ || (backlog_->queue.empty() && !backlog_->announced && backlog_->inflight_frames == 0);
  }
  std::size_t queued_frames() const { return backlog_ ? backlog_->queue.size() + backlog_->inflight_frames : 0; }
  std::size_t queued_bytes() const { return backlog_ ? backlog_->queued_bytes + backlog_->inflight_bytes : 0; }
  // Events this subscriber lost to drop_oldest, over its lifetime.
  std::uint64_t dropped_total() const { return dropped_total_; }
  // Number of topics held.
  std::size_t topic_count() const;

  // Forgets the drop count of `topic` once no queued event of it is left
  // to carry the notice (after an unsubscribe or a deletion).
  void forget_drops_if_unused(const Topic& topic);

 protected:
  // Drops every queued frame (the connection will write nothing more).
  void drop_queue();
  // A frame was queued and the connection should write: the queue was
  // empty, or the frame is a `reply` (an answer to the client, or an info:
  // anything but a live event), which the connection writes without delay.
  virtual void on_ready(bool reply) = 0;
  // The policy acted for the first time: the first drop under
  // drop_oldest, or the decision to disconnect. Called once.
  virtual void on_overflow(OverflowPolicy policy) = 0;

 private:
  friend class SubscriptionIndex;

  bool over_limits() const;
  const QueueLimits& limits() const;
  Backlog& backlog();
  // Gives the backlog back to the shard once it holds nothing.
  void release_backlog_if_empty();
  void enqueue(QueuedFrame frame, bool reply);
  // Drops the oldest queued event other than the newest frame and the
  // replay; returns false when there is none to drop.
  bool drop_oldest_event();
  void overflow();

  // Laid out small: every idle connection holds one.
  Shard& shard_;
  SubscriptionIndex::Held* held_ = nullptr;  // the topics held (SubscriptionIndex)
  Backlog* backlog_ = nullptr;               // while anything is queued (backlog.h)
  std::uint64_t dropped_total_ = 0;
  bool overflowed_ = false;
};

}  // namespace pubsub::core
