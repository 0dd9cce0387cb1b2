// A broker shard's inbox and fan-out; see shard.h.
#include "core/shard.h"

#include <algorithm>
#include <memory>

#include "core/broker.h"
#include "core/subscriber.h"
#include "core/topic.h"

namespace pubsub::core {

Shard::~Shard() {
  while (MpscNode* node = inbox_.pop()) InboxItem::discard(static_cast<InboxItem*>(node));
}

void Shard::drain() {
  // Clear the flag before popping: a producer that pushes after this point
  // sees false and wakes the shard again, so no item is left behind.
  scheduled_.exchange(false, std::memory_order_acq_rel);
  while (MpscNode* node = inbox_.pop()) {
    auto* item = static_cast<InboxItem*>(node);
    if (item->kind == InboxItem::Kind::outbound) {
      deliver(OutboundRef(static_cast<Outbound*>(item)));
    } else if (item->kind == InboxItem::Kind::topic_notice) {
      std::unique_ptr<TopicNotice> notice(static_cast<TopicNotice*>(item));
      give_notice(*notice);
    } else {
      std::unique_ptr<TopicDeletion> deletion(static_cast<TopicDeletion*>(item));
      remove_topic(deletion->topic);
    }
  }
}

void Shard::handed_to(Shard& receiver) {
  if (std::find(receivers_.begin(), receivers_.end(), &receiver) == receivers_.end()) receivers_.push_back(&receiver);
}

void Shard::wake_receivers() {
  for (Shard* receiver : receivers_) {
    if (receiver->schedule()) receiver->wake();
  }
  receivers_.clear();
}

void Shard::deliver(const OutboundRef& event) {
  const Event& e = *event->event();
  std::vector<Subscriber*> overflowed;  // evicted after the loop: it edits the list
  for (const SubscriptionIndex::Entry& entry : subscriptions_.deliver(e.topic(), e.seq())) {
    if (e.seq() >= entry.first_seq && entry.subscriber->push_event(event)) overflowed.push_back(entry.subscriber);
  }
  for (Subscriber* subscriber : overflowed) broker_.unsubscribe_all(*subscriber);
}

void Shard::give_notice(const TopicNotice& notice) {
  OutboundRef info;
  for (const SubscriptionIndex::Entry& entry : subscriptions_.deliver(*notice.topic, notice.up_to)) {
    if (entry.first_seq > notice.up_to) continue;  // subscribed after the gap
    if (!info) info = Outbound::control(notice.bytes);
    entry.subscriber->push_control(info);
  }
}

void Shard::remove_topic(const TopicRef& topic) {
  std::vector<Subscriber*> subscribers = subscriptions_.remove_topic(*topic);
  if (subscribers.empty()) return;
  OutboundRef info = Outbound::control(broker_.encoder().topic_deleted(scratch_, topic->name()));
  for (Subscriber* subscriber : subscribers) {
    subscriber->push_control(info);
    subscriber->forget_drops_if_unused(*topic);
  }
  broker_.left(*topic, index_, subscribers.size());
}

}  // namespace pubsub::core
