// Bounded outbound queue and overflow policy of one connection; see
// subscriber.h.
#include "core/subscriber.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "core/broker.h"
#include "core/shard.h"
#include "core/topic.h"

namespace pubsub::core {

Subscriber::Subscriber(Shard& shard) : shard_(shard), limits_(shard.broker().options().queue) {}

Subscriber::~Subscriber() { shard_.broker().unsubscribe_all(*this); }

std::size_t Subscriber::topic_count() const { return shard_.subscriptions().count(*this); }

void Subscriber::push_control(OutboundRef frame) {
  if (overflowed_) return;
  enqueue({std::move(frame), false}, true);
}

void Subscriber::push_replay(OutboundRef frame) {
  if (overflowed_) return;
  replay_frames_ += 1;
  replay_bytes_ += frame->size();
  enqueue({std::move(frame), true}, true);
}

bool Subscriber::push_event(const OutboundRef& frame) {
  if (overflowed_) return false;
  enqueue({frame, false}, false);
  if (!over_limits()) return false;
  if (limits_.policy == OverflowPolicy::disconnect) {
    overflow();
    return true;
  }
  while (over_limits() && drop_oldest_event()) {
  }
  return false;
}

OutboundRef Subscriber::pop() {
  // The event announced by the previous notice leaves with it: it can no
  // longer be dropped, so the notice's count stays exact.
  if (announced_) return std::exchange(announced_, nullptr);
  if (queue_.empty()) return nullptr;
  QueuedFrame queued = std::move(queue_.front());
  queue_.pop_front();
  OutboundRef frame = std::move(queued.frame);
  queued_bytes_ -= frame->size();
  if (queued.replay) {
    replay_frames_ -= 1;
    replay_bytes_ -= frame->size();
  }
  inflight_frames_ += 1;
  inflight_bytes_ += frame->size();
  if (!frame->is_event() || pending_drops_.empty()) return frame;
  const Topic* topic = &frame->event()->topic();
  auto it = std::find_if(pending_drops_.begin(), pending_drops_.end(),
                         [&](const auto& entry) { return entry.first.get() == topic; });
  if (it == pending_drops_.end()) return frame;
  OutboundRef notice =
      Outbound::control(shard_.broker().encoder().dropped(shard_.scratch(), topic->name(), it->second));
  pending_drops_.erase(it);
  inflight_frames_ += 1;
  inflight_bytes_ += notice->size();
  announced_ = std::move(frame);
  return notice;
}

void Subscriber::forget_drops_if_unused(const Topic& topic) {
  auto it = std::find_if(pending_drops_.begin(), pending_drops_.end(),
                         [&](const auto& entry) { return entry.first.get() == &topic; });
  if (it == pending_drops_.end()) return;
  bool queued = std::any_of(queue_.begin(), queue_.end(), [&](const QueuedFrame& q) {
    return q.frame->is_event() && &q.frame->event()->topic() == &topic;
  });
  if (!queued) pending_drops_.erase(it);
}

void Subscriber::written(const Outbound& frame) {
  assert(inflight_frames_ > 0 && inflight_bytes_ >= frame.size());
  inflight_frames_ -= 1;
  inflight_bytes_ -= frame.size();
}

bool Subscriber::wants_requests() const {
  return !overflowed_ && queued_frames() < limits_.max_frames && queued_bytes() < limits_.max_bytes;
}

bool Subscriber::over_limits() const {
  return queued_frames() - replay_frames_ > limits_.max_frames || queued_bytes() - replay_bytes_ > limits_.max_bytes;
}

void Subscriber::enqueue(QueuedFrame frame, bool reply) {
  bool was_empty = queue_.empty();
  queued_bytes_ += frame.frame->size();
  queue_.push_back(std::move(frame));
  if (was_empty || reply) on_ready(reply);
}

bool Subscriber::drop_oldest_event() {
  if (queue_.size() < 2) return false;
  auto last = std::prev(queue_.end());  // the newest always survives
  auto victim = std::find_if(queue_.begin(), last, [](const QueuedFrame& q) { return q.frame->is_event() && !q.replay; });
  if (victim == last) return false;
  const TopicRef& topic = victim->frame->event()->topic_ref();
  auto it = std::find_if(pending_drops_.begin(), pending_drops_.end(),
                         [&](const auto& entry) { return entry.first == topic; });
  if (it == pending_drops_.end()) {
    pending_drops_.emplace_back(topic, 1);
  } else {
    it->second += 1;
  }
  topic->count_drop(shard_.index());
  if (dropped_total_++ == 0) on_overflow(OverflowPolicy::drop_oldest);
  queued_bytes_ -= victim->frame->size();
  shard_.retire(std::move(victim->frame));
  queue_.erase(victim);
  return true;
}

void Subscriber::overflow() {
  overflowed_ = true;
  queue_.clear();
  queued_bytes_ = 0;
  replay_frames_ = 0;
  replay_bytes_ = 0;
  pending_drops_.clear();
  OutboundRef error = Outbound::control(shard_.broker().encoder().slow_consumer(shard_.scratch()));
  queued_bytes_ = error->size();
  queue_.push_back({std::move(error), false});
  on_ready(true);
  on_overflow(OverflowPolicy::disconnect);
}

}  // namespace pubsub::core
