// Readable stand-ins for the protocol's frames in core tests:
// "deleted:T", "dropped:T:K", "slow", and events "ev:T:seq" (optionally
// padded with '.' to a width, to exercise byte bounds).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/broker.h"

namespace pubsub::core::testing {

struct TestFrames final : FrameEncoder {
  std::string topic_deleted(std::string_view topic) const override { return "deleted:" + std::string(topic); }
  std::string dropped(std::string_view topic, std::uint64_t count) const override {
    return "dropped:" + std::string(topic) + ":" + std::to_string(count);
  }
  std::string slow_consumer() const override { return "slow"; }
};

struct TestEvents final : EventEncoder {
  std::size_t width = 0;
  std::string encode(std::string_view topic, std::uint64_t seq) const override {
    std::string out = "ev:" + std::string(topic) + ":" + std::to_string(seq);
    if (out.size() < width) out.resize(width, '.');
    return out;
  }
};

}  // namespace pubsub::core::testing
