// The Lua scripts that keep a topic's state in Valkey/Redis (the layout is
// in engine/redis_schema.h). Each runs atomically on the server and
// touches one topic's keys only, KEYS[1] = `pubsub:{T}:meta` and KEYS[2] =
// `pubsub:{T}:history`, so that in a Redis Cluster both are in the
// topic's slot. Channel names come in ARGV (a channel is not a key). The
// registry of names (kTopicsKey) is never touched here.
//
// Replies are arrays whose first element is a word saying which answer it
// is; numbers are integers or decimal strings; `<first-id>` is the history's
// oldest entry ID (`<seq>-0`) or "" when nothing is retained.
//
// create: ARGV = new epoch, now (ms since 1970), lifecycle channel, topic.
//   Creates the meta hash (seq 0) unless it exists, drops any history left
//   without one, and publishes `created <epoch> <topic>` on the lifecycle
//   channel. -> {"created", epoch, 0} | {"exists", epoch, seq}
// delete: ARGV = events channel, lifecycle channel, topic.
//   Deletes meta and history, publishes `deleted\n<epoch>\n<seq>` on the
//   events channel, then `deleted <epoch> <topic>` on the lifecycle
//   channel. -> {"deleted", epoch, seq} | {"not_found"}
// publish: ARGV = history size, create ("1" or "0"), new epoch, now (ms),
//   ts, events channel, lifecycle channel, topic, then an id and a payload
//   per message (at least one message).
//   Without the topic: {"not_found"}, unless create is "1": then created
//   as `create` does. Then the seq goes up by one per message; each
//   message is appended to the history as entry `<seq>-0` (fields id,
//   payload, ts) with `MAXLEN = history size` (a history size of 0 keeps
//   no history: the stream is deleted, so that what it retains is always
//   the newest seqs without a gap), and published on the events channel
//   as `event\n<epoch>\n<seq>\n<ts>\n<id>\n<payload>`.
//   -> {"published", epoch, first seq, last seq, created (1 or 0)}
// info: no ARGV. -> {"ok", epoch, seq, <first-id>, retained} | {"not_found"}
// history: ARGV = "after", since_seq, limit: the oldest `limit` retained
//   entries with seq > since_seq, oldest first; or ARGV = "last", n: the
//   newest n, newest first.
//   -> {"ok", epoch, seq, <first-id>, retained, {{id, {field, value, ...}}, ...}}
//   | {"not_found"}
//
// Immutable once built: any thread.
#pragma once

#include "redis/script.h"

namespace pubsub::engine {

const redis::Script& create_topic_script();
const redis::Script& delete_topic_script();
const redis::Script& publish_script();
const redis::Script& topic_info_script();
const redis::Script& read_history_script();

}  // namespace pubsub::engine
