// What a node receives on a topic's events channel (`pubsub:{T}:events`,
// engine/redis_schema.h), typed: a published message, or the end of a
// life of the topic. engine/event_feed.h hands these to the node.
//
// Pure function and plain values; any thread. No Asio. A decoded event
// points into the channel name and the bytes it was decoded from.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace pubsub::engine {

enum class ChannelEventKind : std::uint8_t {
  event,    // a message published on the topic
  deleted,  // the topic's life `epoch` ended: no event of that life follows
};

struct ChannelEvent {
  ChannelEventKind kind = ChannelEventKind::event;
  std::string_view topic;
  std::string_view epoch;  // the life of the topic it belongs to
  // event: the message's seq (at least 1); deleted: the last seq of the
  // life that ended (0 if nothing was published in it).
  std::uint64_t seq = 0;
  std::string_view ts;       // event only: the publish time (RFC 3339, ms)
  std::string_view id;       // event only: the JSON string token, quotes included
  std::string_view payload;  // event only: the JSON text, byte for byte
};

// Either an event or why the message was refused.
struct ChannelDecode {
  std::optional<ChannelEvent> event;
  std::string_view error;  // set when `event` is not: a constant text, for logs
};

// Decodes `bytes` received on `channel`. Refused: a channel that is not a
// topic's events channel (or names an invalid topic), and bytes that are
// not one of the two layouts of redis_schema.h (decode_topic_message).
ChannelDecode decode_channel_event(std::string_view channel, std::string_view bytes);

}  // namespace pubsub::engine
