// Bounded outbound queue and overflow policy of one connection; see
// subscriber.h.
#include "core/subscriber.h"

#include <algorithm>
#include <cassert>

#include "core/broker.h"
#include "core/topic.h"

namespace pubsub::core {

Subscriber::Subscriber(Broker& broker, std::size_t shard, std::function<void()> on_ready)
    : broker_(broker), shard_(shard), limits_(broker.options().queue), on_ready_(std::move(on_ready)) {}

Subscriber::~Subscriber() { broker_.leave_all(*this); }

void Subscriber::push_control(FramePtr frame) {
  if (overflowed_) return;
  enqueue(std::move(frame));
}

void Subscriber::push_event(FramePtr frame) {
  if (overflowed_) return;
  enqueue(std::move(frame));
  if (!over_limits()) return;
  if (limits_.policy == OverflowPolicy::disconnect) {
    overflow();
    return;
  }
  while (over_limits() && drop_oldest_event()) {
  }
}

FramePtr Subscriber::pop() {
  if (queue_.empty()) return nullptr;
  FramePtr frame = queue_.front();
  if (frame->is_event() && !pending_drops_.empty()) {
    auto it = std::find_if(pending_drops_.begin(), pending_drops_.end(),
                           [&](const auto& entry) { return entry.first == frame->topic; });
    if (it != pending_drops_.end()) {
      auto notice = make_control_frame(broker_.encoder().dropped(frame->topic->name(), it->second));
      pending_drops_.erase(it);
      inflight_frames_ += 1;
      inflight_bytes_ += notice->bytes.size();
      return notice;
    }
  }
  queue_.pop_front();
  queued_bytes_ -= frame->bytes.size();
  inflight_frames_ += 1;
  inflight_bytes_ += frame->bytes.size();
  return frame;
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
  topic->count_drop();
  dropped_total_ += 1;
  queued_bytes_ -= (*victim)->bytes.size();
  queue_.erase(victim);
  return true;
}

void Subscriber::overflow() {
  overflowed_ = true;
  queue_.clear();
  queued_bytes_ = 0;
  pending_drops_.clear();
  auto error = make_control_frame(broker_.encoder().slow_consumer());
  queued_bytes_ = error->bytes.size();
  queue_.push_back(std::move(error));
  if (on_ready_) on_ready_();
}

}  // namespace pubsub::core
