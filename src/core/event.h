// An event: one message published to a topic, encoded once, in the bytes
// that go on the wire to every subscriber (the broker treats them as
// opaque). Immutable once made and shared by the topic's history and by
// every shard that delivers it, through an atomically counted reference.
// Inside a shard, subscribers hold it through the shard-local Outbound
// (outbound.h), so that a delivery costs no atomic operation.
//
// One allocation per event: its header and its bytes. EventRef may be
// copied and released on any thread.
#pragma once

#include <atomic>
#include <boost/smart_ptr/intrusive_ptr.hpp>
#include <cstdint>
#include <string_view>

namespace pubsub::core {

class Topic;
// Topics are counted atomically (topic.cpp): a reference may be taken or
// dropped where the topic's type is not complete.
void intrusive_ptr_add_ref(Topic* topic) noexcept;
void intrusive_ptr_release(Topic* topic) noexcept;
using TopicRef = boost::intrusive_ptr<Topic>;

class Event;
using EventRef = boost::intrusive_ptr<const Event>;

class Event {
 public:
  // Returns a new event of `topic` with `seq`, holding a copy of `bytes`.
  static EventRef make(TopicRef topic, std::uint64_t seq, std::string_view bytes);

  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  std::string_view bytes() const { return {reinterpret_cast<const char*>(this + 1), size_}; }
  std::size_t size() const { return size_; }
  std::uint64_t seq() const { return seq_; }
  // When the publish was accepted: steady-clock nanoseconds (the delivery
  // latency of GET /metrics is measured from it).
  std::uint64_t accepted_ns() const { return accepted_ns_; }
  Topic& topic() const { return *topic_; }
  const TopicRef& topic_ref() const { return topic_; }
  // References held now (the history's, the shards'); for tests.
  std::uint32_t references() const { return refs_.load(std::memory_order_relaxed); }

 private:
  Event(TopicRef topic, std::uint64_t seq, std::uint32_t size);
  ~Event() = default;
  static void destroy(const Event* event);

  friend void intrusive_ptr_add_ref(const Event* event) noexcept {
    event->refs_.fetch_add(1, std::memory_order_relaxed);
  }
  friend void intrusive_ptr_release(const Event* event) noexcept {
    if (event->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy(event);
  }

  mutable std::atomic<std::uint32_t> refs_{0};
  const std::uint32_t size_;
  const std::uint64_t seq_;
  const std::uint64_t accepted_ns_;
  const TopicRef topic_;
  // The bytes follow the header in the same allocation.
};

}  // namespace pubsub::core
