// The server's frames, built by the protocol codec and framed for the
// wire: the replies of a connection, the infos and errors the broker
// originates (topic deleted, dropped, slow consumer), and the event of one
// publish request. Each builder writes one whole WebSocket frame into
// `scratch` and returns it (a view into `scratch`).
//
// Stateless; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/text.h"
#include "core/encoders.h"
#include "protocol/messages.h"

namespace pubsub::net {

// Now, as the contract's timestamp.
common::Timestamp now_ts();

std::string_view frame_ack(std::string& scratch, std::optional<std::string_view> request_id, std::string_view topic,
                           const protocol::AckPosition& position = {});
std::string_view frame_error(std::string& scratch, std::optional<std::string_view> request_id, protocol::ErrorCode code,
                             std::string_view message);
// The answer to a `ping` request.
std::string_view frame_pong_reply(std::string& scratch, std::optional<std::string_view> request_id);
std::string_view frame_heartbeat(std::string& scratch);
// The WebSocket pong answering a WebSocket ping that carried `data`.
std::string_view frame_pong(std::string& scratch, std::string_view data);

// The frames the broker originates.
class ProtocolFrames final : public core::FrameEncoder {
 public:
  std::string_view topic_deleted(std::string& scratch, std::string_view topic) const override;
  std::string_view dropped(std::string& scratch, std::string_view topic, std::uint64_t count) const override;
  std::string_view slow_consumer(std::string& scratch) const override;
};

// The event of one published message (a WebSocket publish's, or one of an
// HTTP publish), from the raw JSON of its id and payload, which it must not
// outlive; ts is the publish time: now, or `ts` when given (a message
// published through Valkey/Redis carries the time its node took it).
class PublishEncoder final : public core::EventEncoder {
 public:
  PublishEncoder(std::string_view message_id_raw, std::string_view payload_raw, std::string_view ts = {})
      : message_id_raw_(message_id_raw), payload_raw_(payload_raw), ts_(ts) {}
  std::string_view encode(std::string& scratch, std::string_view topic, std::uint64_t seq) const override;

 private:
  std::string_view message_id_raw_;
  std::string_view payload_raw_;
  std::string_view ts_;
};

}  // namespace pubsub::net
