// Readable stand-ins for the protocol's frames in core tests:
// "deleted:T", "dropped:T:K", "slow", and events "ev:T:seq" (optionally
// padded with '.' to a width, to exercise byte bounds); and a Subscriber
// whose connection-side hooks the test observes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/broker.h"

namespace pubsub::core::testing {

struct TestFrames final : FrameEncoder {
  std::string_view topic_deleted(std::string& scratch, std::string_view topic) const override {
    scratch = "deleted:" + std::string(topic);
    return scratch;
  }
  std::string_view dropped(std::string& scratch, std::string_view topic, std::uint64_t count) const override {
    scratch = "dropped:" + std::string(topic) + ":" + std::to_string(count);
    return scratch;
  }
  std::string_view slow_consumer(std::string& scratch) const override {
    scratch = "slow";
    return scratch;
  }
};

struct TestEvents final : EventEncoder {
  std::size_t width = 0;
  std::string_view encode(std::string& scratch, std::string_view topic, std::uint64_t seq) const override {
    scratch = "ev:" + std::string(topic) + ":" + std::to_string(seq);
    if (scratch.size() < width) scratch.resize(width, '.');
    return scratch;
  }
};

// A Subscriber on shard `shard` of `broker` that calls `on_ready` and
// `on_overflow` (either may be empty).
class TestSubscriber final : public Subscriber {
 public:
  TestSubscriber(Broker& broker, std::size_t shard, std::function<void()> on_ready = {},
                 std::function<void(OverflowPolicy)> on_overflow = {})
      : Subscriber(broker.shard(shard)), on_ready_(std::move(on_ready)), on_overflow_(std::move(on_overflow)) {}

  std::size_t shard_index() const { return shard().index(); }
  bool last_ready_was_reply = false;

 protected:
  void on_ready(bool reply) override {
    last_ready_was_reply = reply;
    if (on_ready_) on_ready_();
  }
  void on_overflow(OverflowPolicy policy) override {
    if (on_overflow_) on_overflow_(policy);
  }

 private:
  std::function<void()> on_ready_;
  std::function<void(OverflowPolicy)> on_overflow_;
};

// Pops every queued frame, reporting each one written; returns their bytes.
inline std::vector<std::string> take(Subscriber& sub) {
  std::vector<std::string> out;
  while (OutboundRef frame = sub.pop()) {
    out.emplace_back(frame->bytes());
    sub.written(*frame);
  }
  return out;
}

// The bytes of a subscribe's replay.
inline std::vector<std::string> bytes_of(const std::vector<EventRef>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.emplace_back(e->bytes());
  return out;
}

}  // namespace pubsub::core::testing
