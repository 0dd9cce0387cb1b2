// Tests of the Redis store (engine/redis_store.h) against a private Valkey
// started for each test: creating and deleting topics with their
// announcements, seqs, what the topic's channel carries, batches, the
// history and its trimming, epochs, auto-creation and listing.
#include "engine/redis_store.h"

#include <catch2/catch_test_macros.hpp>
#include <string>
#include <vector>

#include "engine/store_fixture.h"

using namespace pubsub::engine;
using namespace pubsub::engine::testing;
using namespace std::string_literals;

namespace {

const std::string kId1 = "\"550e8400-e29b-41d4-a716-446655440001\"";
const std::string kId2 = "\"550e8400-e29b-41d4-a716-446655440002\"";
const std::string kId3 = "\"550e8400-e29b-41d4-a716-446655440003\"";

}  // namespace

TEST_CASE("store: create, exists, delete, not_found; announced on the lifecycle and the topic's channel") {
  ServerProcess server;
  asio::io_context io;
  RedisStore store(io, url_of(server.url()), {}, quick_options());
  ChannelListener listener(io, server.url());
  listener.listen(io, {kLifecycleChannel, events_channel("orders")});
  start_and_wait_up(io, store);

  const auto created = create(io, store, "orders");
  REQUIRE(created.status == StoreStatus::ok);
  CHECK(is_valid_epoch(created.value.epoch));
  CHECK(created.value.seq == 0);
  REQUIRE(publish(io, store, "orders", {kId1, "1"}).ok());

  const auto again = create(io, store, "orders");
  CHECK(again.status == StoreStatus::exists);
  CHECK(again.value.epoch == created.value.epoch);
  CHECK(again.value.seq == 1);

  const auto deleted = remove(io, store, "orders");
  REQUIRE(deleted.status == StoreStatus::ok);
  CHECK(deleted.value.epoch == created.value.epoch);
  CHECK(deleted.value.seq == 1);
  CHECK(remove(io, store, "orders").status == StoreStatus::not_found);
  CHECK(info(io, store, "orders").status == StoreStatus::not_found);
  CHECK(command(io, store, {"EXISTS", meta_key("orders"), history_key("orders")}).integer == 0);

  // created, the event, the deletion on the topic's channel, then deleted:
  // nothing for the second create nor the second delete.
  listener.wait_for(io, 4);
  const auto& heard = listener.heard();
  REQUIRE(heard.size() == 4);
  CHECK(heard[0].channel == kLifecycleChannel);
  CHECK(heard[1].channel == events_channel("orders"));
  CHECK(heard[2].channel == events_channel("orders"));
  CHECK(heard[3].channel == kLifecycleChannel);
  const auto lifecycle = listener.lifecycle();
  REQUIRE(lifecycle.size() == 2);
  CHECK(lifecycle[0].kind == LifecycleKind::created);
  CHECK(lifecycle[0].epoch == created.value.epoch);
  CHECK(lifecycle[0].topic == "orders");
  CHECK(lifecycle[1].kind == LifecycleKind::deleted);
  CHECK(lifecycle[1].epoch == created.value.epoch);
  CHECK(lifecycle[1].topic == "orders");
  const auto on_topic = listener.topic_messages("orders");
  REQUIRE(on_topic.size() == 2);
  CHECK(on_topic[1].kind == TopicMessageKind::deleted);
  CHECK(on_topic[1].epoch == created.value.epoch);
  CHECK(on_topic[1].seq == 1);
  run_for(io, 50ms);
  CHECK(listener.heard().size() == 4);
}

TEST_CASE("store: publish assigns 1, 2, 3, and the channel carries each message byte for byte") {
  ServerProcess server;
  asio::io_context io;
  RedisStore store(io, url_of(server.url()), {}, quick_options());
  ChannelListener listener(io, server.url());
  listener.listen(io, {events_channel("orders")});
  start_and_wait_up(io, store);
  const auto created = create(io, store, "orders");
  REQUIRE(created.ok());

  const std::string payloads[] = {
      "{\"text\":\"line 1\nline 2\",\"quote\":\"\\\"\",\"raw\":\"'\"}\n",
      "\n\r\n\0\xff\"\n"s,
      "[1,2,3]",
  };
  const std::string ids[] = {kId1, kId2, kId3};
  std::vector<PublishReceipt> receipts;
  for (int i = 0; i < 3; ++i) {
    const auto published = publish(io, store, "orders", {ids[i], payloads[i]});
    REQUIRE(published.status == StoreStatus::ok);
    receipts.push_back(published.value);
    CHECK(published.value.first_seq == static_cast<std::uint64_t>(i + 1));
    CHECK(published.value.last_seq == static_cast<std::uint64_t>(i + 1));
    CHECK(published.value.epoch == created.value.epoch);
    CHECK_FALSE(published.value.created);
    CHECK(published.value.ts.size() == 24);  // 2025-08-25T10:00:00.123Z
    CHECK(published.value.ts.back() == 'Z');
  }

  listener.wait_for(io, 3);
  const auto events = listener.topic_messages("orders");
  REQUIRE(events.size() == 3);
  for (int i = 0; i < 3; ++i) {
    INFO("message " << i);
    CHECK(events[i].kind == TopicMessageKind::event);
    CHECK(events[i].epoch == created.value.epoch);
    CHECK(events[i].seq == static_cast<std::uint64_t>(i + 1));
    CHECK(events[i].ts == receipts[i].ts);
    CHECK(events[i].id == ids[i]);
    CHECK(events[i].payload == payloads[i]);
  }

  const auto retained = history(io, store, "orders", 0);
  REQUIRE(retained.ok());
  REQUIRE(retained.value.messages.size() == 3);
  for (int i = 0; i < 3; ++i) {
    INFO("message " << i);
    CHECK(retained.value.messages[i].seq == static_cast<std::uint64_t>(i + 1));
    CHECK(retained.value.messages[i].id == ids[i]);
    CHECK(retained.value.messages[i].payload == payloads[i]);
    CHECK(retained.value.messages[i].ts == receipts[i].ts);
  }
}

TEST_CASE("store: a batch gets consecutive seqs, in order, on the channel and in the history") {
  ServerProcess server;
  asio::io_context io;
  RedisStore store(io, url_of(server.url()), {.history_size = 4}, quick_options());
  ChannelListener listener(io, server.url());
  listener.listen(io, {events_channel("orders")});
  start_and_wait_up(io, store);
  REQUIRE(create(io, store, "orders").ok());
  REQUIRE(publish(io, store, "orders", {kId1, "0"}).value.last_seq == 1);

  std::vector<std::string> payloads;
  for (int i = 0; i < 6; ++i) payloads.push_back("{\"n\":" + std::to_string(i) + "}");
  std::vector<OutgoingMessage> batch;
  for (const std::string& payload : payloads) batch.push_back({kId2, payload});
  const auto published =
      await_result<PublishReceipt>(io, [&](auto handler) { store.publish("orders", batch, false, handler); });
  REQUIRE(published.ok());
  CHECK(published.value.first_seq == 2);
  CHECK(published.value.last_seq == 7);

  listener.wait_for(io, 7);
  const auto events = listener.topic_messages("orders");
  REQUIRE(events.size() == 7);
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    CHECK(events[i + 1].seq == i + 2);
    CHECK(events[i + 1].payload == payloads[i]);
    CHECK(events[i + 1].ts == published.value.ts);
  }
  // A batch longer than the history: its newest four are retained.
  const auto retained = history(io, store, "orders", 0);
  REQUIRE(retained.ok());
  CHECK(seqs_of(retained.value.messages) == seq_range(4, 7));
  CHECK(retained.value.messages.front().payload == payloads[2]);
  const auto topic = info(io, store, "orders");
  CHECK(topic.value.first_retained == 4);
  CHECK(topic.value.retained == 4);
}

TEST_CASE("store: the history keeps the newest history_size; info, history after a seq, last_n") {
  ServerProcess server;
  asio::io_context io;
  RedisStore store(io, url_of(server.url()), {.history_size = 5}, quick_options());
  start_and_wait_up(io, store);
  REQUIRE(create(io, store, "orders").ok());

  const auto empty = info(io, store, "orders");
  REQUIRE(empty.ok());
  CHECK(empty.value.seq == 0);
  CHECK(empty.value.first_retained == 0);
  CHECK(empty.value.retained == 0);
  CHECK(history(io, store, "orders", 0).value.messages.empty());
  CHECK(last_n(io, store, "orders", 3).value.messages.empty());

  for (int i = 1; i <= 12; ++i) {
    REQUIRE(publish(io, store, "orders", {kId1, std::to_string(i)}).value.last_seq == static_cast<std::uint64_t>(i));
  }
  const auto topic = info(io, store, "orders");
  REQUIRE(topic.ok());
  CHECK(topic.value.seq == 12);
  CHECK(topic.value.first_retained == 8);
  CHECK(topic.value.retained == 5);
  CHECK(command(io, store, {"XLEN", history_key("orders")}).integer == 5);

  const auto all = history(io, store, "orders", 0);
  REQUIRE(all.ok());
  CHECK(seqs_of(all.value.messages) == seq_range(8, 12));
  CHECK(all.value.messages[0].payload == "8");
  // The position is read with the messages.
  CHECK(all.value.topic.epoch == topic.value.epoch);
  CHECK(all.value.topic.seq == 12);
  CHECK(all.value.topic.first_retained == 8);
  CHECK(all.value.topic.retained == 5);

  CHECK(seqs_of(history(io, store, "orders", 9, 2).value.messages) == std::vector<std::uint64_t>{10, 11});
  CHECK(seqs_of(history(io, store, "orders", 7).value.messages) == seq_range(8, 12));
  CHECK(seqs_of(history(io, store, "orders", 3, 2).value.messages) == std::vector<std::uint64_t>{8, 9});
  CHECK(seqs_of(history(io, store, "orders", 11).value.messages) == std::vector<std::uint64_t>{12});
  CHECK(history(io, store, "orders", 12).value.messages.empty());
  CHECK(history(io, store, "orders", 13).value.messages.empty());
  CHECK(history(io, store, "orders", UINT64_MAX).value.messages.empty());
  CHECK(history(io, store, "orders", 0, 0).value.messages.empty());

  CHECK(seqs_of(last_n(io, store, "orders", 3).value.messages) == seq_range(10, 12));
  CHECK(seqs_of(last_n(io, store, "orders", 1).value.messages) == std::vector<std::uint64_t>{12});
  CHECK(seqs_of(last_n(io, store, "orders", 100).value.messages) == seq_range(8, 12));
  CHECK(seqs_of(last_n(io, store, "orders", SIZE_MAX).value.messages) == seq_range(8, 12));
  CHECK(last_n(io, store, "orders", 0).value.messages.empty());
  CHECK(last_n(io, store, "orders", 0).value.topic.seq == 12);

  CHECK(history(io, store, "missing", 0).status == StoreStatus::not_found);
  CHECK(last_n(io, store, "missing", 3).status == StoreStatus::not_found);
  CHECK(info(io, store, "missing").status == StoreStatus::not_found);
}

TEST_CASE("store: a history size of 0 retains nothing, and leaves no gap when nodes disagree") {
  ServerProcess server;
  asio::io_context io;
  RedisStore keeping(io, url_of(server.url()), {.history_size = 5}, quick_options());
  RedisStore none(io, url_of(server.url()), {.history_size = 0}, quick_options());
  start_and_wait_up(io, keeping);
  start_and_wait_up(io, none);
  REQUIRE(create(io, none, "orders").ok());

  for (int i = 0; i < 3; ++i) REQUIRE(publish(io, none, "orders", {kId1, "x"}).ok());
  auto topic = info(io, none, "orders");
  CHECK(topic.value.seq == 3);
  CHECK(topic.value.retained == 0);
  CHECK(topic.value.first_retained == 0);
  CHECK(history(io, none, "orders", 0).value.messages.empty());
  CHECK(command(io, none, {"EXISTS", history_key("orders")}).integer == 0);

  // Another node keeps 5: 4 and 5 are retained; then this one publishes 6
  // without keeping it, so 4 and 5 must go too.
  REQUIRE(publish(io, keeping, "orders", {kId1, "4"}).ok());
  REQUIRE(publish(io, keeping, "orders", {kId1, "5"}).ok());
  CHECK(info(io, keeping, "orders").value.first_retained == 4);
  REQUIRE(publish(io, none, "orders", {kId1, "6"}).value.last_seq == 6);
  topic = info(io, keeping, "orders");
  CHECK(topic.value.retained == 0);
  REQUIRE(publish(io, keeping, "orders", {kId1, "7"}).ok());
  topic = info(io, keeping, "orders");
  CHECK(topic.value.first_retained == 7);
  CHECK(topic.value.retained == 1);
}

TEST_CASE("store: a topic deleted and created again has a new epoch, and its seqs start over") {
  ServerProcess server;
  asio::io_context io;
  RedisStore store(io, url_of(server.url()), {}, quick_options());
  start_and_wait_up(io, store);
  const auto first = create(io, store, "orders");
  REQUIRE(first.ok());
  REQUIRE(publish(io, store, "orders", {kId1, "1"}).ok());
  REQUIRE(publish(io, store, "orders", {kId2, "2"}).ok());
  REQUIRE(remove(io, store, "orders").ok());

  const auto second = create(io, store, "orders");
  REQUIRE(second.status == StoreStatus::ok);
  CHECK(second.value.epoch != first.value.epoch);
  CHECK(second.value.seq == 0);
  const auto published = publish(io, store, "orders", {kId3, "3"});
  CHECK(published.value.first_seq == 1);
  CHECK(published.value.epoch == second.value.epoch);
  const auto retained = history(io, store, "orders", 0);
  REQUIRE(retained.value.messages.size() == 1);
  CHECK(retained.value.messages[0].payload == "3");
  CHECK(retained.value.topic.epoch == second.value.epoch);
}

TEST_CASE("store: publishing to a missing topic is not_found; with create_missing it creates it once") {
  ServerProcess server;
  asio::io_context io;
  RedisStore store(io, url_of(server.url()), {}, quick_options());
  ChannelListener listener(io, server.url());
  listener.listen(io, {kLifecycleChannel});
  start_and_wait_up(io, store);

  CHECK(publish(io, store, "orders", {kId1, "1"}).status == StoreStatus::not_found);
  CHECK(command(io, store, {"EXISTS", meta_key("orders"), history_key("orders")}).integer == 0);
  CHECK(list(io, store).value.empty());

  const auto created = publish(io, store, "orders", {kId1, "1"}, true);
  REQUIRE(created.status == StoreStatus::ok);
  CHECK(created.value.created);
  CHECK(created.value.first_seq == 1);
  CHECK(is_valid_epoch(created.value.epoch));
  const auto next = publish(io, store, "orders", {kId2, "2"}, true);
  CHECK_FALSE(next.value.created);
  CHECK(next.value.first_seq == 2);
  CHECK(next.value.epoch == created.value.epoch);

  listener.wait_for(io, 1);
  run_for(io, 50ms);
  const auto lifecycle = listener.lifecycle();
  REQUIRE(lifecycle.size() == 1);
  CHECK(lifecycle[0].kind == LifecycleKind::created);
  CHECK(lifecycle[0].epoch == created.value.epoch);
  const auto topics = list(io, store);
  REQUIRE(topics.value.size() == 1);
  CHECK(topics.value[0].name == "orders");
  CHECK(topics.value[0].seq == 2);
}

TEST_CASE("store: topics are listed sorted, with epoch and seq; names left in the registry are skipped") {
  ServerProcess server;
  asio::io_context io;
  RedisStore store(io, url_of(server.url()), {}, quick_options());
  start_and_wait_up(io, store);
  const auto empty = list(io, store);
  REQUIRE(empty.ok());
  CHECK(empty.value.empty());

  const auto b = create(io, store, "b");
  const auto a = create(io, store, "a.x");
  REQUIRE(create(io, store, "c").ok());
  REQUIRE(publish(io, store, "b", {kId1, "1"}).ok());
  REQUIRE(remove(io, store, "c").ok());
  // A name whose topic is gone, and one that is no topic name.
  REQUIRE(command(io, store, {"SADD", kTopicsKey, "ghost", "bad{name}"}).integer == 2);

  const auto topics = list(io, store);
  REQUIRE(topics.ok());
  REQUIRE(topics.value.size() == 2);
  CHECK(topics.value[0].name == "a.x");
  CHECK(topics.value[0].epoch == a.value.epoch);
  CHECK(topics.value[0].seq == 0);
  CHECK(topics.value[1].name == "b");
  CHECK(topics.value[1].epoch == b.value.epoch);
  CHECK(topics.value[1].seq == 1);
  CHECK(command(io, store, {"SISMEMBER", kTopicsKey, "c"}).integer == 0);
}
