// Broker frame encoders; see broker_frames.h.
#include "net/broker_frames.h"

#include <chrono>
#include <optional>

namespace pubsub::net {

std::string now_ts() { return protocol::format_timestamp(std::chrono::system_clock::now()); }

std::string ProtocolFrames::topic_deleted(std::string_view topic) const {
  return protocol::make_topic_deleted(topic, now_ts());
}

std::string ProtocolFrames::dropped(std::string_view topic, std::uint64_t count) const {
  return protocol::make_dropped(topic, count, now_ts());
}

std::string ProtocolFrames::slow_consumer() const {
  return protocol::make_error(std::nullopt, protocol::ErrorCode::slow_consumer,
                              "subscriber is too slow: its outbound queue overflowed; disconnecting", now_ts());
}

std::string PublishEncoder::encode(std::string_view topic, std::uint64_t seq) const {
  return protocol::make_event(topic, request_.message_id_raw, request_.payload_raw, seq, now_ts());
}

}  // namespace pubsub::net
