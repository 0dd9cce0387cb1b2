// Frames the broker hands to connections: encoded once, shared read-only by
// every subscriber that receives them (reference counted).
//
// A Frame is immutable once built; FramePtr may be copied on any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace pubsub::core {

class Topic;

// One server-to-client WebSocket message. Events carry their topic and
// seq (the overflow policy needs them); replies and infos have no topic.
// A pong (the answer to a client's WebSocket ping, carrying its data) goes
// through the same queue, so that it counts against the same bounds.
struct Frame {
  enum class Type : std::uint8_t { text, pong };

  std::string bytes;
  std::shared_ptr<Topic> topic;  // set for events only
  std::uint64_t seq = 0;         // set for events only
  Type type = Type::text;

  bool is_event() const { return topic != nullptr; }
};

using FramePtr = std::shared_ptr<const Frame>;

// Returns a control frame holding `bytes`.
inline FramePtr make_control_frame(std::string bytes) {
  return std::make_shared<const Frame>(Frame{std::move(bytes), nullptr, 0});
}

// Returns the pong that answers a client ping carrying `data`.
inline FramePtr make_pong_frame(std::string_view data) {
  return std::make_shared<const Frame>(Frame{std::string(data), nullptr, 0, Frame::Type::pong});
}

// Builds the frames the broker itself originates. The broker core knows no
// wire format; the application passes an implementation backed by the
// protocol codec. Called on shard threads; implementations must be
// thread-safe (the protocol one is stateless).
class FrameEncoder {
 public:
  virtual ~FrameEncoder() = default;
  // The info telling a subscriber that `topic` was deleted.
  virtual std::string topic_deleted(std::string_view topic) const = 0;
  // The info telling a subscriber that `count` events of `topic` were dropped.
  virtual std::string dropped(std::string_view topic, std::uint64_t count) const = 0;
  // The SLOW_CONSUMER error sent before a disconnect.
  virtual std::string slow_consumer() const = 0;
};

}  // namespace pubsub::core
