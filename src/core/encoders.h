// How the broker gets the bytes of the frames it sends. The broker core
// knows no wire format: the application passes implementations backed by
// its codec, which return the exact bytes to write to a socket.
//
// Called on shard threads (the event encoder under its topic's mutex);
// implementations must be thread-safe (the protocol's are stateless). Each
// returns a view into `scratch`, which it may overwrite.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pubsub::core {

// The frames the broker itself originates.
class FrameEncoder {
 public:
  // The info telling a subscriber that `topic` was deleted.
  virtual std::string_view topic_deleted(std::string& scratch, std::string_view topic) const = 0;
  // The info telling a subscriber that `count` events of `topic` were dropped.
  virtual std::string_view dropped(std::string& scratch, std::string_view topic, std::uint64_t count) const = 0;
  // The SLOW_CONSUMER error sent before a disconnect.
  virtual std::string_view slow_consumer(std::string& scratch) const = 0;

 protected:
  ~FrameEncoder() = default;
};

// Encodes the event of one publish once its seq is known: once per
// publish, under the topic's mutex.
class EventEncoder {
 public:
  virtual std::string_view encode(std::string& scratch, std::string_view topic, std::uint64_t seq) const = 0;

 protected:
  ~EventEncoder() = default;
};

}  // namespace pubsub::core
