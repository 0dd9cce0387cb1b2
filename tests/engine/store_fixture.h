// What the Redis store's tests share: a store started against a private
// Valkey (tests/redis/server_process.h), a call awaited by running the
// loop, and a listener that records what the topic channels and the
// lifecycle channel carry.
//
// Each object belongs to the thread that created it.
#pragma once

#include <catch2/catch_test_macros.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/redis_schema.h"
#include "engine/redis_store.h"
#include "redis/server_process.h"
#include "redis/subscriber.h"

namespace pubsub::engine::testing {

using namespace pubsub::redis::testing;
namespace asio = boost::asio;

inline void start_and_wait_up(asio::io_context& io, RedisStore& store) {
  store.start();
  INFO(store.last_error());
  REQUIRE(run_until(io, [&] { return store.up(); }));
}

// Makes the call `call(handler)` and runs the loop until its answer.
template <typename Value, typename Call>
StoreResult<Value> await_result(asio::io_context& io, Call&& call, std::chrono::milliseconds timeout = 5s) {
  std::optional<StoreResult<Value>> result;
  call([&result](StoreResult<Value> answer) { result = std::move(answer); });
  REQUIRE(run_until(io, [&] { return result.has_value(); }, timeout));
  return std::move(*result);
}

inline StoreResult<TopicPosition> create(asio::io_context& io, RedisStore& store, std::string_view topic) {
  return await_result<TopicPosition>(io, [&](auto handler) { store.create_topic(topic, handler); });
}

inline StoreResult<TopicPosition> remove(asio::io_context& io, RedisStore& store, std::string_view topic) {
  return await_result<TopicPosition>(io, [&](auto handler) { store.delete_topic(topic, handler); });
}

inline StoreResult<PublishReceipt> publish(asio::io_context& io, RedisStore& store, std::string_view topic,
                                           OutgoingMessage message, bool create_missing = false) {
  return await_result<PublishReceipt>(io,
                                      [&](auto handler) { store.publish(topic, message, create_missing, handler); });
}

inline StoreResult<TopicInfo> info(asio::io_context& io, RedisStore& store, std::string_view topic) {
  return await_result<TopicInfo>(io, [&](auto handler) { store.topic_info(topic, handler); });
}

inline StoreResult<HistoryPage> history(asio::io_context& io, RedisStore& store, std::string_view topic,
                                        std::uint64_t since_seq, std::size_t limit = SIZE_MAX) {
  return await_result<HistoryPage>(io, [&](auto handler) { store.history(topic, since_seq, limit, handler); });
}

inline StoreResult<HistoryPage> last_n(asio::io_context& io, RedisStore& store, std::string_view topic, std::size_t n) {
  return await_result<HistoryPage>(io, [&](auto handler) { store.last_n(topic, n, handler); });
}

inline StoreResult<std::vector<TopicListing>> list(asio::io_context& io, RedisStore& store) {
  return await_result<std::vector<TopicListing>>(io, [&](auto handler) { store.list_topics(handler); });
}

// Sends one command through the store's client and awaits the reply.
inline redis::Reply command(asio::io_context& io, RedisStore& store, std::initializer_list<std::string_view> args) {
  std::optional<redis::Reply> reply;
  store.client().command(args, [&reply](redis::Reply answer) { reply = std::move(answer); });
  REQUIRE(run_until(io, [&] { return reply.has_value(); }));
  return std::move(*reply);
}

// The seqs of `messages`, in their order.
inline std::vector<std::uint64_t> seqs_of(const std::vector<StoredMessage>& messages) {
  std::vector<std::uint64_t> seqs;
  for (const StoredMessage& message : messages) seqs.push_back(message.seq);
  return seqs;
}

// Seqs first to last.
inline std::vector<std::uint64_t> seq_range(std::uint64_t first, std::uint64_t last) {
  std::vector<std::uint64_t> seqs;
  for (std::uint64_t seq = first; seq <= last; ++seq) seqs.push_back(seq);
  return seqs;
}

// Records the messages of the channels it listens to, in arrival order.
class ChannelListener {
 public:
  struct Heard {
    std::string channel;
    std::string bytes;
  };

  ChannelListener(asio::io_context& io, const std::string& url) : subscriber_(io, url_of(url), quick_options()) {
    subscriber_.on_message([this](std::string_view channel, std::string_view bytes) {
      heard_.push_back({std::string(channel), std::string(bytes)});
    });
    subscriber_.on_subscribed([this](std::string_view, bool) { ++subscribed_; });
    subscriber_.start();
  }

  // Listens to `channels` and waits until each subscription took effect.
  void listen(asio::io_context& io, std::initializer_list<std::string_view> channels) {
    const std::size_t wanted = subscribed_ + channels.size();
    for (const std::string_view channel : channels) subscriber_.subscribe(channel);
    REQUIRE(run_until(io, [&] { return subscribed_ == wanted; }));
  }

  // Waits until `count` messages arrived in all.
  void wait_for(asio::io_context& io, std::size_t count) {
    INFO("heard " << heard_.size() << " of " << count);
    REQUIRE(run_until(io, [&] { return heard_.size() >= count; }));
  }

  const std::vector<Heard>& heard() const { return heard_; }

  // A decoded message, copied out of what was heard.
  struct TopicEntry {
    TopicMessageKind kind;
    std::string epoch;
    std::uint64_t seq;
    std::string ts;
    std::string id;
    std::string payload;
  };
  struct LifecycleEntry {
    LifecycleKind kind;
    std::string epoch;
    std::string topic;
  };

  // The messages heard on `topic`'s events channel.
  std::vector<TopicEntry> topic_messages(std::string_view topic) const {
    std::vector<TopicEntry> messages;
    for (const Heard& heard : heard_) {
      if (topic_of_events_channel(heard.channel) != topic) continue;
      const auto message = decode_topic_message(heard.bytes);
      REQUIRE(message);
      messages.push_back({message->kind, std::string(message->epoch), message->seq, std::string(message->ts),
                          std::string(message->id), std::string(message->payload)});
    }
    return messages;
  }

  // The lifecycle messages heard.
  std::vector<LifecycleEntry> lifecycle() const {
    std::vector<LifecycleEntry> messages;
    for (const Heard& heard : heard_) {
      if (heard.channel != kLifecycleChannel) continue;
      const auto message = decode_lifecycle_message(heard.bytes);
      REQUIRE(message);
      messages.push_back({message->kind, std::string(message->epoch), std::string(message->topic)});
    }
    return messages;
  }

 private:
  redis::Subscriber subscriber_;
  std::vector<Heard> heard_;
  std::size_t subscribed_ = 0;
};

}  // namespace pubsub::engine::testing
