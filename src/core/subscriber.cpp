// Bounded outbound queue and overflow policy of one connection; see
// subscriber.h.
#include "core/subscriber.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "core/broker.h"
#include "core/topic.h"

namespace pubsub::core {

Subscriber::Subscriber(Broker& broker, std::size_t shard, std::function<void()> on_ready,
                       std::function<void(OverflowPolicy)> on_overflow)
    : broker_(broker),
      shard_(shard),
      limits_(broker.options().queue),
      on_ready_(std::move(on_ready)),
      on_overflow_(std::move(on_overflow)) {}

Subscriber::~Subscriber() { broker_.unsubscribe_all(*this); }

void Subscriber::push_control(FramePtr frame) {
  if (overflowed_) return;
  enqueue(std::move(frame));
}

bool Subscriber::push_event(FramePtr frame) {
  if (overflowed_) return false;
  enqueue(std::move(frame));
  if (!over_limits()) return false;
  if (limits_.policy == OverflowPolicy::disconnect) {
    overflow();
    return true;
  }
  while (over_limits() && drop_oldest_event()) {
  }
  return false;
}

FramePtr Subscriber::pop() {
  // The event announced by the previous notice leaves with it: it can no
  // longer be dropped, so the notice's count stays exact.
  if (announced_) return std::exchange(announced_, nullptr);
  if (queue_.empty()) return nullptr;
  FramePtr frame = std::move(queue_.front());
  queue_.pop_front();
  queued_bytes_ -= frame->bytes.size();
  inflight_frames_ += 1;
  inflight_bytes_ += frame->bytes.size();
  if (!frame->is_event() || pending_drops_.empty()) return frame;
  auto it = std::find_if(pending_drops_.begin(), pending_drops_.end(),
                         [&](const auto& entry) { return entry.first == frame->topic; });
  if (it == pending_drops_.end()) return frame;
  auto notice = make_control_frame(broker_.encoder().dropped(frame->topic->name(), it->second));
  pending_drops_.erase(it);
  inflight_frames_ += 1;
  inflight_bytes_ += notice->bytes.size();
  announced_ = std::move(frame);
  return notice;
}

void Subscriber::forget_drops_if_unused(const Topic* topic) {
  auto it = std::find_if(pending_drops_.begin(), pending_drops_.end(),
                         [&](const auto& entry) { return entry.first.get() == topic; });
  if (it == pending_drops_.end()) return;
  bool queued = std::any_of(queue_.begin(), queue_.end(), [&](const FramePtr& f) { return f->topic.get() == topic; });
  if (!queued) pending_drops_.erase(it);
}

void Subscriber::written(const Frame& frame) {
  assert(inflight_frames_ > 0 && inflight_bytes_ >= frame.bytes.size());
  inflight_frames_ -= 1;
  inflight_bytes_ -= frame.bytes.size();
}

bool Subscriber::wants_requests() const {
  return !overflowed_ && queued_frames() < limits_.max_frames && queued_bytes() < limits_.max_bytes;
}

bool Subscriber::over_limits() const {
  return queued_frames() > limits_.max_frames || queued_bytes() > limits_.max_bytes;
}

void Subscriber::enqueue(FramePtr frame) {
  bool was_empty = queue_.empty();
  queued_bytes_ += frame->bytes.size();
  queue_.push_back(std::move(frame));
  if (was_empty && on_ready_) on_ready_();
}

bool Subscriber::drop_oldest_event() {
  if (queue_.size() < 2) return false;
  auto last = std::prev(queue_.end());  // the newest always survives
  auto victim = std::find_if(queue_.begin(), last, [](const FramePtr& f) { return f->is_event(); });
  if (victim == last) return false;
  const std::shared_ptr<Topic>& topic = (*victim)->topic;
  auto it = std::find_if(pending_drops_.begin(), pending_drops_.end(),
                         [&](const auto& entry) { return entry.first == topic; });
  if (it == pending_drops_.end()) {
    pending_drops_.emplace_back(topic, 1);
  } else {
    it->second += 1;
  }
  topic->count_drop(shard_);
  if (dropped_total_++ == 0 && on_overflow_) on_overflow_(OverflowPolicy::drop_oldest);
  queued_bytes_ -= (*victim)->bytes.size();
  broker_.shard(shard_).retire(std::move(*victim));
  queue_.erase(victim);
  return true;
}

void Subscriber::overflow() {
  bool was_empty = queue_.empty();
  overflowed_ = true;
  queue_.clear();
  queued_bytes_ = 0;
  pending_drops_.clear();
  auto error = make_control_frame(broker_.encoder().slow_consumer());
  queued_bytes_ = error->bytes.size();
  queue_.push_back(std::move(error));
  if (was_empty && on_ready_) on_ready_();
  if (on_overflow_) on_overflow_(OverflowPolicy::disconnect);
}

}  // namespace pubsub::core
