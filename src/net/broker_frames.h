// The frames the broker needs built, encoded by the protocol codec: the
// infos and errors it originates (topic deleted, dropped, slow consumer)
// and the event of one publish request.
//
// Stateless; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/broker.h"
#include "core/frame.h"
#include "protocol/messages.h"

namespace pubsub::net {

// Now as the contract's timestamp ("2025-08-25T10:00:00.123Z").
std::string now_ts();

// The frames the broker originates.
class ProtocolFrames final : public core::FrameEncoder {
 public:
  std::string topic_deleted(std::string_view topic) const override;
  std::string dropped(std::string_view topic, std::uint64_t count) const override;
  std::string slow_consumer() const override;
};

// The event of one publish request; ts is the publish time.
class PublishEncoder final : public core::EventEncoder {
 public:
  explicit PublishEncoder(const protocol::Request& request) : request_(request) {}
  std::string encode(std::string_view topic, std::uint64_t seq) const override;

 private:
  const protocol::Request& request_;
};

}  // namespace pubsub::net
