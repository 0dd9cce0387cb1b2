// What travels from a publish to one shard's connections.
//
// An Outbound is a frame on its way to the sockets of one shard's
// connections: an event (sharing the Event's bytes) or a reply, info or
// pong (holding its own bytes). Subscriber queues and connection writers
// hold counted references to it, and the count is not atomic: once an
// Outbound has reached its shard, it is only touched on that shard's
// thread. So fanning an event out to a shard's subscribers costs no
// atomic operation per subscriber; the shard holds one reference to the
// shared Event for all of them.
//
// An event's Outbound is made on the publisher's thread and handed to the
// target shard through its inbox (an MPSC queue of InboxItems), which also
// carries the notice that a topic was deleted (TopicDeletion).
//
// Threads: made on any thread; after the hand-off, the target shard's
// thread only.
#pragma once

#include <boost/smart_ptr/intrusive_ptr.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/event.h"
#include "core/mpsc_queue.h"

namespace pubsub::core {

// An item of a shard's inbox.
struct InboxItem : MpscNode {
  enum class Kind : std::uint8_t { outbound, topic_deleted, topic_notice };
  explicit InboxItem(Kind k) : kind(k) {}
  const Kind kind;

  // Frees an item that was never handled (a shard's inbox at shutdown).
  static void discard(InboxItem* item);
};

class Outbound;
using OutboundRef = boost::intrusive_ptr<Outbound>;

class Outbound : public InboxItem {
 public:
  // Returns an Outbound of `event`, not yet referenced: pushed into a
  // shard's inbox, it is adopted by an OutboundRef there.
  static Outbound* of_event(EventRef event);
  // Returns a reply, info or pong holding a copy of its wire bytes.
  static OutboundRef control(std::string_view bytes);

  Outbound(const Outbound&) = delete;
  Outbound& operator=(const Outbound&) = delete;

  std::string_view bytes() const {
    return event_ ? event_->bytes() : std::string_view(reinterpret_cast<const char*>(this + 1), size_);
  }
  std::size_t size() const { return size_; }
  // The event, or null for a reply, info or pong.
  const Event* event() const { return event_.get(); }
  bool is_event() const { return event_ != nullptr; }

 private:
  Outbound(EventRef event, std::uint32_t size);
  ~Outbound() = default;
  static void destroy(Outbound* outbound);

  friend void intrusive_ptr_add_ref(Outbound* outbound) noexcept { ++outbound->refs_; }
  friend void intrusive_ptr_release(Outbound* outbound) noexcept {
    if (--outbound->refs_ == 0) destroy(outbound);
  }
  friend struct InboxItem;

  std::uint32_t refs_ = 0;
  const std::uint32_t size_;
  const EventRef event_;
  // A control frame's bytes follow the header in the same allocation.
};

// The inbox notice that a topic was deleted: the shard tells its local
// subscribers after every event of the topic that came before.
struct TopicDeletion : InboxItem {
  explicit TopicDeletion(TopicRef t) : InboxItem(Kind::topic_deleted), topic(std::move(t)) {}
  const TopicRef topic;
};

// The inbox notice that events of a topic up to seq `up_to` will never
// come (a mirrored topic's gap that its history could not fill): the
// shard gives each of its subscribers of the topic that held it before
// `up_to` the info `bytes`, in place of the missing events. The bytes are
// copied: an Outbound is made on its target shard.
struct TopicNotice : InboxItem {
  TopicNotice(TopicRef t, std::uint64_t seq, std::string_view frame)
      : InboxItem(Kind::topic_notice), topic(std::move(t)), up_to(seq), bytes(frame) {}
  const TopicRef topic;
  const std::uint64_t up_to;
  const std::string bytes;
};

}  // namespace pubsub::core
