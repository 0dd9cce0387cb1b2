// Outbound frames and inbox items; see outbound.h.
#include "core/outbound.h"

#include <cstring>
#include <new>

#include "core/topic.h"

namespace pubsub::core {

void InboxItem::discard(InboxItem* item) {
  if (item->kind == Kind::topic_deleted) {
    delete static_cast<TopicDeletion*>(item);
  } else if (item->kind == Kind::topic_notice) {
    delete static_cast<TopicNotice*>(item);
  } else {
    Outbound::destroy(static_cast<Outbound*>(item));
  }
}

Outbound::Outbound(EventRef event, std::uint32_t size)
    : InboxItem(Kind::outbound), size_(size), event_(std::move(event)) {}

Outbound* Outbound::of_event(EventRef event) {
  const auto size = static_cast<std::uint32_t>(event->size());
  return new Outbound(std::move(event), size);
}

OutboundRef Outbound::control(std::string_view bytes) {
  void* memory = ::operator new(sizeof(Outbound) + bytes.size());
  auto* outbound = new (memory) Outbound(nullptr, static_cast<std::uint32_t>(bytes.size()));
  std::memcpy(static_cast<char*>(memory) + sizeof(Outbound), bytes.data(), bytes.size());
  return OutboundRef(outbound);
}

void Outbound::destroy(Outbound* outbound) {
  outbound->~Outbound();
  ::operator delete(outbound);
}

}  // namespace pubsub::core
