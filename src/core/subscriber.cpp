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

Subscriber::Subscriber(Shard& shard) : shard_(shard) {}

Subscriber::~Subscriber() {
  shard_.broker().unsubscribe_all(*this);
  if (backlog_) shard_.backlogs().give(backlog_);
}

std::size_t Subscriber::topic_count() const { return shard_.subscriptions().count(*this); }

const QueueLimits& Subscriber::limits() const { return shard_.broker().options().queue; }

Backlog& Subscriber::backlog() {
  if (!backlog_) backlog_ = shard_.backlogs().take();
  return *backlog_;
}

void Subscriber::release_backlog_if_empty() {
  if (!backlog_ || !backlog_->empty()) return;
  shard_.backlogs().give(std::exchange(backlog_, nullptr));
}

void Subscriber::drop_queue() {
  if (!backlog_) return;
  backlog_->clear();
  release_backlog_if_empty();
}

void Subscriber::push_control(OutboundRef frame) {
  if (overflowed_) return;
  enqueue({std::move(frame), false}, true);
}

void Subscriber::push_replay(OutboundRef frame) {
  if (overflowed_) return;
  Backlog& b = backlog();
  b.replay_frames += 1;
  b.replay_bytes += frame->size();
  enqueue({std::move(frame), true}, true);
}

bool Subscriber::push_event(const OutboundRef& frame) {
  if (overflowed_) return false;
  enqueue({frame, false}, false);
  if (!over_limits()) return false;
  if (limits().policy == OverflowPolicy::disconnect) {
    overflow();
    return true;
  }
  while (over_limits() && drop_oldest_event()) {}
  return false;
}

OutboundRef Subscriber::pop() {
  if (!backlog_) return nullptr;
  Backlog& b = *backlog_;
  // The event announced by the previous notice leaves with it: it can no
  // longer be dropped, so the notice's count stays exact.
  if (b.announced) return std::exchange(b.announced, nullptr);
  if (b.queue.empty()) return nullptr;
  QueuedFrame queued = std::move(b.queue.front());
  b.queue.pop_front();
  OutboundRef frame = std::move(queued.frame);
  b.queued_bytes -= frame->size();
  if (queued.replay) {
    b.replay_frames -= 1;
    b.replay_bytes -= frame->size();
  }
  b.inflight_frames += 1;
  b.inflight_bytes += frame->size();
  if (!frame->is_event() || b.pending_drops.empty()) return frame;
  const Topic* topic = &frame->event()->topic();
  auto it = std::find_if(b.pending_drops.begin(), b.pending_drops.end(),
                         [&](const auto& entry) { return entry.first.get() == topic; });
  if (it == b.pending_drops.end()) return frame;
  OutboundRef notice =
      Outbound::control(shard_.broker().encoder().dropped(shard_.scratch(), topic->name(), it->second));
  b.pending_drops.erase(it);
  b.inflight_frames += 1;
  b.inflight_bytes += notice->size();
  b.announced = std::move(frame);
  return notice;
}

void Subscriber::forget_drops_if_unused(const Topic& topic) {
  if (!backlog_) return;
  Backlog& b = *backlog_;
  auto it = std::find_if(b.pending_drops.begin(), b.pending_drops.end(),
                         [&](const auto& entry) { return entry.first.get() == &topic; });
  if (it == b.pending_drops.end()) return;
  bool queued = std::any_of(b.queue.begin(), b.queue.end(), [&](const QueuedFrame& q) {
    return q.frame->is_event() && &q.frame->event()->topic() == &topic;
  });
  if (!queued) b.pending_drops.erase(it);
  release_backlog_if_empty();
}

void Subscriber::written(const Outbound& frame) {
  assert(backlog_ && backlog_->inflight_frames > 0 && backlog_->inflight_bytes >= frame.size());
  backlog_->inflight_frames -= 1;
  backlog_->inflight_bytes -= frame.size();
  release_backlog_if_empty();
}

bool Subscriber::wants_requests() const {
  return !overflowed_ && queued_frames() < limits().max_frames && queued_bytes() < limits().max_bytes;
}

bool Subscriber::over_limits() const {
  const Backlog& b = *backlog_;
  const QueueLimits& l = limits();
  return queued_frames() - b.replay_frames > l.max_frames || queued_bytes() - b.replay_bytes > l.max_bytes;
}

void Subscriber::enqueue(QueuedFrame frame, bool reply) {
  Backlog& b = backlog();
  const bool was_empty = b.queue.empty();
  b.queued_bytes += frame.frame->size();
  b.queue.push_back(std::move(frame));
  if (was_empty || reply) on_ready(reply);
}

bool Subscriber::drop_oldest_event() {
  Backlog& b = *backlog_;
  if (b.queue.size() < 2) return false;
  auto last = std::prev(b.queue.end());  // the newest always survives
  auto victim =
      std::find_if(b.queue.begin(), last, [](const QueuedFrame& q) { return q.frame->is_event() && !q.replay; });
  if (victim == last) return false;
  const TopicRef& topic = victim->frame->event()->topic_ref();
  auto it = std::find_if(b.pending_drops.begin(), b.pending_drops.end(),
                         [&](const auto& entry) { return entry.first == topic; });
  if (it == b.pending_drops.end()) {
    b.pending_drops.emplace_back(topic, 1);
  } else {
    it->second += 1;
  }
  topic->count_drop(shard_.index());
  shard_.count_dropped_event();
  if (dropped_total_++ == 0) on_overflow(OverflowPolicy::drop_oldest);
  b.queued_bytes -= victim->frame->size();
  shard_.retire(std::move(victim->frame));
  b.queue.erase(victim);
  return true;
}

void Subscriber::overflow() {
  Backlog& b = *backlog_;
  overflowed_ = true;
  b.queue.clear();
  b.queued_bytes = 0;
  b.replay_frames = 0;
  b.replay_bytes = 0;
  b.pending_drops.clear();
  OutboundRef error = Outbound::control(shard_.broker().encoder().slow_consumer(shard_.scratch()));
  b.queued_bytes = error->size();
  b.queue.push_back({std::move(error), false});
  on_ready(true);
  on_overflow(OverflowPolicy::disconnect);
}

}  // namespace pubsub::core
