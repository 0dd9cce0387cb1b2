// Topic state in Valkey/Redis; see redis_store.h.
#include "engine/redis_store.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <limits>
#include <memory>

#include "common/text.h"
#include "core/epoch.h"
#include "engine/redis_schema.h"
#include "engine/redis_scripts.h"
#include "engine/script_replies.h"
#include "protocol/messages.h"

namespace pubsub::engine {
namespace {

std::string milliseconds_since_1970(std::chrono::system_clock::time_point t) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

// A count for COUNT, which Redis reads as a signed 64-bit number.
std::string count_argument(std::uint64_t count) {
  constexpr auto kMaximum = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  return std::to_string(std::min(count, kMaximum));
}

// Calls `handler` once every answer of a listing is in.
struct Listing {
  StoreHandler<std::vector<TopicListing>> handler;
  std::vector<TopicListing> topics;
  std::size_t awaited = 0;
  bool failed = false;

  void take(StoreResult<TopicListing> result) {
    --awaited;
    if (failed) return;
    if (result.status == StoreStatus::unavailable) {
      failed = true;
      handler({StoreStatus::unavailable, {}, std::move(result.detail)});
      return;
    }
    if (result.ok()) topics.push_back(std::move(result.value));
    if (awaited == 0) finish();
  }

  void finish() {
    std::sort(topics.begin(), topics.end(),
              [](const TopicListing& a, const TopicListing& b) { return a.name < b.name; });
    handler({StoreStatus::ok, std::move(topics), {}});
  }
};

}  // namespace

RedisStore::RedisStore(boost::asio::io_context& io, redis::RedisUrl url, RedisStoreOptions options,
                       redis::ConnectionOptions connection)
    : client_(io, std::move(url), connection), options_(options) {}

void RedisStore::on_state(redis::StateHandler handler) { client_.on_state(std::move(handler)); }

void RedisStore::start() { client_.start(); }

bool RedisStore::up() const { return client_.up(); }

const std::string& RedisStore::last_error() const { return client_.last_error(); }

void RedisStore::run_topic_script(const redis::Script& script, std::string_view topic,
                                  std::span<const std::string_view> args, redis::ReplyHandler handler) {
  assert(protocol::is_valid_topic_name(topic));
  const std::string meta = meta_key(topic);
  const std::string history = history_key(topic);
  const std::string_view keys[] = {meta, history};
  client_.run_script(script, keys, args, std::move(handler));
}

void RedisStore::register_topic(std::string_view topic) {
  client_.command({"SADD", kTopicsKey, topic}, [](redis::Reply) {});
}

void RedisStore::unregister_topic(std::string_view topic) {
  client_.command({"SREM", kTopicsKey, topic}, [](redis::Reply) {});
}

void RedisStore::create_topic(std::string_view topic, StoreHandler<TopicPosition> handler) {
  const core::Epoch epoch = core::Epoch::make();
  const std::string now = milliseconds_since_1970(std::chrono::system_clock::now());
  const std::string_view args[] = {epoch.text(), now, kLifecycleChannel, topic};
  run_topic_script(create_topic_script(), topic, args,
                   [handler = std::move(handler)](redis::Reply reply) { handler(read_create_reply(reply)); });
  // After the script: see delete_topic.
  register_topic(topic);
}

void RedisStore::delete_topic(std::string_view topic, StoreHandler<TopicPosition> handler) {
  // The name leaves the registry before the topic goes, and enters it after
  // the topic is made (create_topic, publish): whatever the interleaving
  // with other nodes' calls, every existing topic stays in the registry.
  // A name may outlive its topic there; listing skips it.
  unregister_topic(topic);
  const std::string channel = events_channel(topic);
  const std::string_view args[] = {channel, kLifecycleChannel, topic};
  run_topic_script(delete_topic_script(), topic, args,
                   [handler = std::move(handler)](redis::Reply reply) { handler(read_delete_reply(reply)); });
}

void RedisStore::publish(std::string_view topic, std::span<const OutgoingMessage> messages, bool create_missing,
                         StoreHandler<PublishReceipt> handler) {
  assert(!messages.empty());
  const auto now = std::chrono::system_clock::now();
  std::string ts = common::format_timestamp(now);
  const std::string history_size = std::to_string(options_.history_size);
  const core::Epoch epoch = core::Epoch::make();
  const std::string created_at = milliseconds_since_1970(now);
  const std::string channel = events_channel(topic);

  std::vector<std::string_view> args = {history_size, create_missing ? "1" : "0", epoch.text(), created_at, ts,
                                        channel,      kLifecycleChannel,          topic};
  args.reserve(args.size() + 2 * messages.size());
  for (const OutgoingMessage& message : messages) {
    args.push_back(message.id);
    args.push_back(message.payload);
  }
  run_topic_script(publish_script(), topic, args, [handler = std::move(handler), ts](redis::Reply reply) mutable {
    auto result = read_publish_reply(reply);
    if (result.ok()) result.value.ts = std::move(ts);
    handler(std::move(result));
  });
  if (create_missing) register_topic(topic);
}

void RedisStore::publish(std::string_view topic, OutgoingMessage message, bool create_missing,
                         StoreHandler<PublishReceipt> handler) {
  publish(topic, std::span<const OutgoingMessage>(&message, 1), create_missing, std::move(handler));
}

void RedisStore::topic_info(std::string_view topic, StoreHandler<TopicInfo> handler) {
  run_topic_script(topic_info_script(), topic, {},
                   [handler = std::move(handler)](redis::Reply reply) { handler(read_info_reply(reply)); });
}

void RedisStore::history(std::string_view topic, std::uint64_t since_seq, std::size_t limit,
                         StoreHandler<HistoryPage> handler) {
  const std::string since = std::to_string(since_seq);
  const std::string count = count_argument(limit);
  const std::string_view args[] = {"after", since, count};
  run_topic_script(read_history_script(), topic, args,
                   [handler = std::move(handler)](redis::Reply reply) { handler(read_history_reply(reply, false)); });
}

void RedisStore::last_n(std::string_view topic, std::size_t n, StoreHandler<HistoryPage> handler) {
  const std::string count = count_argument(n);
  const std::string_view args[] = {"last", count};
  run_topic_script(read_history_script(), topic, args,
                   [handler = std::move(handler)](redis::Reply reply) { handler(read_history_reply(reply, true)); });
}

void RedisStore::list_topics(StoreHandler<std::vector<TopicListing>> handler) {
  // Runs in the handler of SMEMBERS, so every HMGET leaves in one pass.
  client_.command({"SMEMBERS", kTopicsKey}, [this, handler = std::move(handler)](redis::Reply reply) mutable {
    auto names = read_registry_reply(reply);
    if (!names.ok()) {
      handler({names.status, {}, std::move(names.detail)});
      return;
    }
    std::erase_if(names.value, [](const std::string& name) { return !protocol::is_valid_topic_name(name); });
    auto listing = std::make_shared<Listing>();
    listing->handler = std::move(handler);
    if (names.value.empty()) {
      listing->finish();
      return;
    }
    listing->awaited = names.value.size();
    listing->topics.reserve(names.value.size());
    for (std::string& name : names.value) {
      const std::string meta = meta_key(name);
      client_.command({"HMGET", meta, "epoch", "seq"}, [listing, name = std::move(name)](redis::Reply answer) mutable {
        listing->take(read_listing_reply(answer, std::move(name)));
      });
    }
  });
}

}  // namespace pubsub::engine
