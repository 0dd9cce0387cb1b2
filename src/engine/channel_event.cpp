// Decoding what a topic's events channel carries; see channel_event.h.
#include "engine/channel_event.h"

#include "engine/redis_schema.h"

namespace pubsub::engine {

ChannelDecode decode_channel_event(std::string_view channel, std::string_view bytes) {
  const auto topic = topic_of_events_channel(channel);
  if (!topic) return {std::nullopt, "not the events channel of a valid topic name"};
  const auto message = decode_topic_message(bytes);
  if (!message) {
    if (bytes.starts_with("event\n")) return {std::nullopt, "malformed event"};
    if (bytes.starts_with("deleted\n")) return {std::nullopt, "malformed deletion"};
    return {std::nullopt, "neither an event nor a deletion"};
  }
  ChannelEvent event;
  event.kind = message->kind == TopicMessageKind::event ? ChannelEventKind::event : ChannelEventKind::deleted;
  event.topic = *topic;
  event.epoch = message->epoch;
  event.seq = message->seq;
  event.ts = message->ts;
  event.id = message->id;
  event.payload = message->payload;
  return {event, {}};
}

}  // namespace pubsub::engine
