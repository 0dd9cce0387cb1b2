// Events; see event.h.
#include "core/event.h"

#include <cstring>
#include <new>

#include "common/steady_ns.h"
#include "core/topic.h"

namespace pubsub::core {

namespace {

// The steady clock now, for the delivery latency (0 when built with
// -Dmetrics_counting=false, which measures what counting costs).
std::uint64_t accepted_now_ns() {
#if defined(PUBSUB_METRICS_COUNTING) && PUBSUB_METRICS_COUNTING == 0
  return 0;
#else
  return common::steady_now_ns();
#endif
}

}  // namespace

Event::Event(TopicRef topic, std::uint64_t seq, std::uint32_t size)
    : size_(size), seq_(seq), accepted_ns_(accepted_now_ns()), topic_(std::move(topic)) {}

EventRef Event::make(TopicRef topic, std::uint64_t seq, std::string_view bytes) {
  void* memory = ::operator new(sizeof(Event) + bytes.size());
  auto* event = new (memory) Event(std::move(topic), seq, static_cast<std::uint32_t>(bytes.size()));
  std::memcpy(static_cast<char*>(memory) + sizeof(Event), bytes.data(), bytes.size());
  return EventRef(event);
}

void Event::destroy(const Event* event) {
  event->~Event();
  ::operator delete(const_cast<Event*>(event));
}

}  // namespace pubsub::core
