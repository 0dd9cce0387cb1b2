// How topics are laid out in Valkey/Redis (docs/decisions.md, "How topics
// are kept in Valkey/Redis"): the names of a topic's keys and channel, the
// registry of topic names, the lifecycle channel, and the decoding of what
// the scripts (engine/redis_scripts.h) publish on those channels.
//
// Every name of a topic carries the topic as a hash tag (`{T}`), so that a
// Redis Cluster keeps a topic's keys in one slot and a script may touch
// them together. Topic names (contract section 5) never hold `{` or `}`.
//
//   pubsub:{T}:meta      HASH: epoch, seq (newest seq, 0 before the first
//                        publish), created (milliseconds since 1970)
//   pubsub:{T}:history   STREAM of the retained messages; entry ID
//                        `<seq>-0`, fields id, payload, ts
//   pubsub:{T}:events    channel of the topic's live events and of its
//                        deletion
//   pubsub:topics        SET of topic names (see kTopicsKey)
//   pubsub:lifecycle     channel announcing creations and deletions
//
// Pure functions and plain values; any thread. No Asio. Decoded messages
// point into the bytes they were decoded from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pubsub::engine {

// The registry of topic names, for listing topics. A topic's script cannot
// update it: in a Redis Cluster this key lives in a slot of its own while a
// script may only touch keys of one slot (the topic's). So it is updated
// by a separate SADD / SREM sent in the same pipeline as the script, and
// listing checks that each name it holds still has its meta hash.
inline constexpr std::string_view kTopicsKey = "pubsub:topics";
// Lifecycle messages (see LifecycleMessage), one per creation or deletion.
inline constexpr std::string_view kLifecycleChannel = "pubsub:lifecycle";

// `pubsub:{T}:meta`.
std::string meta_key(std::string_view topic);
// `pubsub:{T}:history`.
std::string history_key(std::string_view topic);
// `pubsub:{T}:events`.
std::string events_channel(std::string_view topic);
// The topic whose events channel is `channel`; nullopt for any other name.
std::optional<std::string_view> topic_of_events_channel(std::string_view channel);

// The seq of a history entry ID `<seq>-0`; nullopt for any other ID.
std::optional<std::uint64_t> seq_of_entry_id(std::string_view entry_id);

// A message on a topic's events channel. Two kinds, one per line-separated
// layout (`\n` is a single 0x0A byte):
//
//   event\n<epoch>\n<seq>\n<ts>\n<id>\n<payload>
//   deleted\n<epoch>\n<seq>
//
// An event carries the message as the topic got it: `id` is the JSON
// string token the publisher sent (quotes and escapes included, so never a
// raw newline), `payload` its JSON text byte for byte (last, so it may hold
// any bytes, newlines included), `ts` the publish time as the server
// formats it (RFC 3339, milliseconds). `deleted` tells that the life
// `epoch` of the topic ended after seq `seq`: no event of that life
// follows it.
enum class TopicMessageKind : std::uint8_t { event, deleted };

struct TopicMessage {
  TopicMessageKind kind = TopicMessageKind::event;
  std::string_view epoch;
  std::uint64_t seq = 0;
  std::string_view ts;       // event only
  std::string_view id;       // event only
  std::string_view payload;  // event only
};

// Decodes a message of a topic's events channel; nullopt if it is not one
// of the two layouts: an unknown kind, a missing line, an epoch that is not
// 1 to 32 characters of A-Z a-z 0-9 _ -, a seq that is not a decimal
// number (at least 1 for an event) within 64 bits, an empty ts or id, or
// bytes after a deletion's seq.
std::optional<TopicMessage> decode_topic_message(std::string_view bytes);

// A message on the lifecycle channel: `created <epoch> <topic>` or
// `deleted <epoch> <topic>` (single spaces).
enum class LifecycleKind : std::uint8_t { created, deleted };

struct LifecycleMessage {
  LifecycleKind kind = LifecycleKind::created;
  std::string_view epoch;
  std::string_view topic;
};

// Decodes a lifecycle message; nullopt if the kind, the epoch or the topic
// name (section 5) is not valid.
std::optional<LifecycleMessage> decode_lifecycle_message(std::string_view bytes);

// True if `epoch` is 1 to 32 characters of A-Z a-z 0-9 _ - (section 9).
bool is_valid_epoch(std::string_view epoch);

}  // namespace pubsub::engine
