// The names the WebSocket messages of the contract carry on the wire
// (sections 2, 3 and 9): the `type` of each client request, the `type` of
// each server frame and the `msg` of each info frame. The parser and the
// frame builders (messages.cpp) spell them from here only, and a test
// checks that docs/asyncapi.yaml describes every one.
//
// Constants; any thread.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace pubsub::protocol {

enum class RequestType { subscribe, unsubscribe, publish, ping };

// The `type` of each client request, indexed by RequestType.
inline constexpr std::array<std::string_view, 4> kRequestTypes{"subscribe", "unsubscribe", "publish", "ping"};
static_assert(kRequestTypes.size() == static_cast<std::size_t>(RequestType::ping) + 1);

// The `type` of each server frame.
namespace frame_type {
inline constexpr std::string_view ack = "ack";      // a request succeeded
inline constexpr std::string_view event = "event";  // a message of a subscribed topic
inline constexpr std::string_view error = "error";  // a request failed, or the server drops the connection
inline constexpr std::string_view pong = "pong";    // the answer to a `ping` request
inline constexpr std::string_view info = "info";    // heartbeat, topic deleted, events dropped
}  // namespace frame_type
inline constexpr std::array<std::string_view, 5> kServerFrameTypes{
    frame_type::ack, frame_type::event, frame_type::error, frame_type::pong, frame_type::info};

// The `msg` of each info frame.
namespace info_message {
inline constexpr std::string_view heartbeat = "ping";
inline constexpr std::string_view topic_deleted = "topic_deleted";
inline constexpr std::string_view dropped = "dropped";
}  // namespace info_message
inline constexpr std::array<std::string_view, 3> kInfoMessages{info_message::heartbeat, info_message::topic_deleted,
                                                               info_message::dropped};

}  // namespace pubsub::protocol
