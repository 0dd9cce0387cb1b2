// A shard of the broker: the part one I/O thread owns. Its inbox receives
// the events other shards publish to topics it has subscribers of, and the
// notices of deleted topics; its SubscriptionIndex says who gets them.
//
// The hand-off between threads is paid per publish and per loop pass, not
// per subscriber: a publish pushes one Outbound into the inbox of each
// other shard with subscribers of the topic (one atomic exchange), and the
// publishing shard wakes each receiver at most once per loop pass
// (wake_receivers), only if it is not already due to drain. A receiver
// drains its whole inbox once per pass and fans each event out to its own
// subscribers with no atomic operation (outbound.h).
//
// Threads: push() and the wake function run on any thread; everything else
// on the shard's own thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "core/backlog.h"
#include "core/mpsc_queue.h"
#include "core/outbound.h"
#include "core/subscription_index.h"
#include "metrics/counter.h"

namespace pubsub::core {

class Broker;

class Shard {
 public:
  Shard(Broker& broker, std::size_t index) : broker_(broker), index_(index) {}
  // Frees what is left in the inbox.
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  std::size_t index() const { return index_; }
  Broker& broker() const { return broker_; }
  SubscriptionIndex& subscriptions() { return subscriptions_; }
  const SubscriptionIndex& subscriptions() const { return subscriptions_; }

  // Sets how the shard asks its thread to call drain(). Call before use;
  // the function is then called from any thread.
  void set_wake(std::function<void()> wake) { wake_ = std::move(wake); }
  // Delivers every event and deletion in the inbox to this shard's
  // subscribers, in the order they were pushed.
  void drain();
  // Wakes, once each, the shards this one handed events to since the last
  // call. The server calls it once per loop pass.
  void wake_receivers();
  // Frees the events that subscribers of this shard dropped since the last
  // call (see retire). The server calls it after each loop pass's writes.
  void release_dropped() { dropped_.clear(); }
  // Keeps an event a subscriber dropped until release_dropped: freeing it
  // (often its last reference, long out of cache) waits until the pass's
  // writes to the healthy subscribers are done.
  void retire(OutboundRef&& frame) { dropped_.push_back(std::move(frame)); }
  // A buffer for encoding the frames this shard builds.
  std::string& scratch() { return scratch_; }
  // The spare queues of this shard's subscribers (backlog.h).
  BacklogPool& backlogs() { return backlogs_; }
  // Events this shard's subscribers dropped (drop_oldest), ever. Counted
  // on the shard's thread; read on any.
  std::uint64_t dropped_events() const { return dropped_events_.value(); }
  void count_dropped_event() { dropped_events_.add(); }

 private:
  friend class Broker;

  // Appends `item` to the inbox; the caller arranges the wake. Any thread.
  void push(InboxItem* item) { inbox_.push(item); }
  // Marks the inbox as due to drain. Returns true if it was not: the
  // caller must then call wake().
  bool schedule() { return !scheduled_.exchange(true, std::memory_order_acq_rel); }
  void wake() { wake_(); }
  // Records that `receiver` got items from this shard in this pass.
  void handed_to(Shard& receiver);
  // Fans `event` out to this shard's subscribers of its topic.
  void deliver(const OutboundRef& event);
  // Gives this shard's subscribers of the notice's topic its info.
  void give_notice(const TopicNotice& notice);
  // Tells this shard's subscribers of a deleted topic, and forgets them.
  void remove_topic(const TopicRef& topic);

  Broker& broker_;
  const std::size_t index_;
  SubscriptionIndex subscriptions_;
  MpscQueue inbox_;
  alignas(64) std::atomic<bool> scheduled_{false};
  std::function<void()> wake_;
  std::vector<Shard*> receivers_;  // handed items during this pass
  std::vector<OutboundRef> dropped_;
  std::string scratch_;
  metrics::ThreadCounter dropped_events_;
  BacklogPool backlogs_;
};

}  // namespace pubsub::core
