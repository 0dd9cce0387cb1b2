// The server's frames; see broker_frames.h.
#include "net/broker_frames.h"

#include <chrono>

#include "protocol/websocket_frame.h"

namespace pubsub::net {
namespace {

using protocol::Opcode;

std::string_view text_frame(std::string& scratch) { return protocol::finish_server_frame(scratch, Opcode::text); }

}  // namespace

common::Timestamp now_ts() { return common::Timestamp(std::chrono::system_clock::now()); }

std::string_view frame_ack(std::string& scratch, std::optional<std::string_view> request_id, std::string_view topic,
                           const protocol::AckPosition& position) {
  protocol::begin_server_frame(scratch);
  protocol::write_ack(scratch, request_id, topic, now_ts().view(), position);
  return text_frame(scratch);
}

std::string_view frame_error(std::string& scratch, std::optional<std::string_view> request_id, protocol::ErrorCode code,
                             std::string_view message) {
  protocol::begin_server_frame(scratch);
  protocol::write_error(scratch, request_id, code, message, now_ts().view());
  return text_frame(scratch);
}

std::string_view frame_pong_reply(std::string& scratch, std::optional<std::string_view> request_id) {
  protocol::begin_server_frame(scratch);
  protocol::write_pong(scratch, request_id, now_ts().view());
  return text_frame(scratch);
}

std::string_view frame_heartbeat(std::string& scratch) {
  protocol::begin_server_frame(scratch);
  protocol::write_heartbeat(scratch, now_ts().view());
  return text_frame(scratch);
}

std::string_view frame_pong(std::string& scratch, std::string_view data) {
  protocol::begin_server_frame(scratch);
  scratch.append(data);
  return protocol::finish_server_frame(scratch, Opcode::pong);
}

std::string_view ProtocolFrames::topic_deleted(std::string& scratch, std::string_view topic) const {
  protocol::begin_server_frame(scratch);
  protocol::write_topic_deleted(scratch, topic, now_ts().view());
  return text_frame(scratch);
}

std::string_view ProtocolFrames::dropped(std::string& scratch, std::string_view topic, std::uint64_t count) const {
  protocol::begin_server_frame(scratch);
  protocol::write_dropped(scratch, topic, count, now_ts().view());
  return text_frame(scratch);
}

std::string_view ProtocolFrames::slow_consumer(std::string& scratch) const {
  protocol::begin_server_frame(scratch);
  protocol::write_error(scratch, std::nullopt, protocol::ErrorCode::slow_consumer,
                        "subscriber is too slow: its outbound queue overflowed; disconnecting", now_ts().view());
  return text_frame(scratch);
}

std::string_view PublishEncoder::encode(std::string& scratch, std::string_view topic, std::uint64_t seq) const {
  protocol::begin_server_frame(scratch);
  if (!ts_.empty()) {
    protocol::write_event(scratch, topic, message_id_raw_, payload_raw_, seq, ts_);
  } else {
    protocol::write_event(scratch, topic, message_id_raw_, payload_raw_, seq, now_ts().view());
  }
  return text_frame(scratch);
}

}  // namespace pubsub::net
