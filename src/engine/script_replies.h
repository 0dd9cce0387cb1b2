// Reads the replies of the topic scripts (engine/redis_scripts.h) and of
// the registry's commands into the Redis store's results
// (engine/store_results.h). A reply of the wrong shape, an error reply and
// `unavailable` all become StoreStatus::unavailable, with the reason in
// `detail`: the store cannot vouch for anything else then.
//
// Pure functions; any thread. No Asio.
#pragma once

#include <string>
#include <vector>

#include "engine/store_results.h"
#include "redis/reply.h"

namespace pubsub::engine {

// create: ok (created) or exists, with the topic's position.
StoreResult<TopicPosition> read_create_reply(const redis::Reply& reply);
// delete: ok with the position the topic had, or not_found.
StoreResult<TopicPosition> read_delete_reply(const redis::Reply& reply);
// publish: ok with the seqs (the receipt's ts is left to the caller), or
// not_found.
StoreResult<PublishReceipt> read_publish_reply(const redis::Reply& reply);
// info: ok or not_found.
StoreResult<TopicInfo> read_info_reply(const redis::Reply& reply);
// history: ok with the entries oldest first (`newest_first`: the script
// read them newest first, as for last_n), or not_found.
StoreResult<HistoryPage> read_history_reply(const redis::Reply& reply, bool newest_first);
// SMEMBERS of the registry: the names in it.
StoreResult<std::vector<std::string>> read_registry_reply(const redis::Reply& reply);
// HMGET <meta> epoch seq for topic `name`: ok with its listing, or
// not_found when the meta hash is gone.
StoreResult<TopicListing> read_listing_reply(const redis::Reply& reply, std::string name);

}  // namespace pubsub::engine
