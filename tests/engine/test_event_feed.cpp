// Tests of the live feed of a node (engine/event_feed.h) against private
// Valkey servers: a watched topic's events and deletion arrive decoded,
// byte for byte; watches are counted, and the last unwatch stops them;
// each topic is subscribed on its own server only; malformed messages are
// skipped; after a server is killed and started again, the feed names the
// watched topics it subscribed again, and later events come through.
#include "engine/event_feed.h"

#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/store_fixture.h"

using namespace pubsub::engine;
using namespace pubsub::engine::testing;
namespace redis = pubsub::redis;
using namespace std::string_literals;

namespace {

// A ChannelEvent, copied out of the handler's call.
struct Received {
  ChannelEventKind kind;
  std::string topic;
  std::string epoch;
  std::uint64_t seq;
  std::string ts;
  std::string id;
  std::string payload;
};

// A feed over `urls` that records what it hands on.
struct RecordingFeed {
  EventFeed feed;
  std::vector<Received> events;
  std::vector<std::string> ready;
  std::vector<std::pair<std::size_t, std::vector<std::string>>> resubscribed;
  std::vector<std::pair<std::size_t, redis::LinkState>> states;

  RecordingFeed(asio::io_context& io, const std::vector<redis::RedisUrl>& urls) : feed(io, urls, quick_options()) {
    feed.on_event([this](const ChannelEvent& e) {
      events.push_back({e.kind, std::string(e.topic), std::string(e.epoch), e.seq, std::string(e.ts), std::string(e.id),
                        std::string(e.payload)});
    });
    feed.on_ready([this](std::string_view topic) { ready.emplace_back(topic); });
    feed.on_resubscribed([this](std::size_t server, std::span<const std::string> topics) {
      resubscribed.emplace_back(server, std::vector<std::string>(topics.begin(), topics.end()));
    });
    feed.on_state(
        [this](std::size_t server, redis::LinkState state, std::string_view) { states.emplace_back(server, state); });
    feed.start();
  }

  // Watches `topic` and waits until its subscription took effect.
  void watch_ready(asio::io_context& io, std::string_view topic) {
    const std::size_t before = ready.size();
    feed.watch(topic);
    REQUIRE(run_until(io, [&] { return ready.size() == before + 1; }));
    CHECK(ready.back() == topic);
    CHECK(feed.ready(topic));
  }

  void wait_for_events(asio::io_context& io, std::size_t count) {
    INFO("received " << events.size() << " of " << count);
    REQUIRE(run_until(io, [&] { return events.size() >= count; }));
  }
};

std::vector<redis::RedisUrl> urls_of(std::initializer_list<const ServerProcess*> servers) {
  std::vector<redis::RedisUrl> urls;
  for (const ServerProcess* server : servers) urls.push_back(url_of(server->url()));
  return urls;
}

// How many subscribers the server behind `store` counts on `topic`'s channel.
long long subscribers_of(asio::io_context& io, RedisStore& store, std::string_view topic) {
  const redis::Reply reply = command(io, store, {"PUBSUB", "NUMSUB", events_channel(topic)});
  REQUIRE(reply.elements.size() == 2);
  return reply.elements[1].integer;
}

}  // namespace

TEST_CASE("feed: a watched topic's events arrive decoded, seq, epoch, ts, id and payload byte for byte") {
  ServerProcess server;
  asio::io_context io;
  RedisStore store(io, url_of(server.url()), {}, quick_options());
  start_and_wait_up(io, store);
  RecordingFeed recorder(io, urls_of({&server}));
  const auto created = create(io, store, "orders");
  REQUIRE(created.ok());
  recorder.watch_ready(io, "orders");

  const std::string payloads[] = {"{\"text\":\"line 1\nline 2\"}", "\n\r\n\0\xff\"\n"s, "[1,2,3]"};
  const std::string ids[] = {"\"id-1\"", "\"id-\\n2\"", "\"id-3\""};
  std::vector<PublishReceipt> receipts;
  for (int i = 0; i < 3; ++i) {
    const auto published = publish(io, store, "orders", {ids[i], payloads[i]});
    REQUIRE(published.ok());
    receipts.push_back(published.value);
  }
  recorder.wait_for_events(io, 3);
  REQUIRE(recorder.events.size() == 3);
  for (int i = 0; i < 3; ++i) {
    INFO("event " << i);
    const Received& event = recorder.events[i];
    CHECK(event.kind == ChannelEventKind::event);
    CHECK(event.topic == "orders");
    CHECK(event.epoch == created.value.epoch);
    CHECK(event.seq == static_cast<std::uint64_t>(i + 1));
    CHECK(event.ts == receipts[i].ts);
    CHECK(event.id == ids[i]);
    CHECK(event.payload == payloads[i]);
  }
  CHECK(recorder.resubscribed.empty());
  CHECK(recorder.feed.malformed() == 0);
}

TEST_CASE("feed: watches are counted: two watches need two unwatches; after the last, no more events") {
  ServerProcess server;
  asio::io_context io;
  RedisStore store(io, url_of(server.url()), {}, quick_options());
  start_and_wait_up(io, store);
  RecordingFeed recorder(io, urls_of({&server}));
  EventFeed& feed = recorder.feed;

  recorder.watch_ready(io, "orders");
  feed.watch("orders");
  CHECK(feed.watchers("orders") == 2);
  CHECK(feed.watched_topics() == 1);
  run_for(io, 50ms);
  CHECK(recorder.ready.size() == 1);  // one subscription for both
  CHECK(subscribers_of(io, store, "orders") == 1);

  REQUIRE(publish(io, store, "orders", {"\"a\"", "1"}, true).ok());
  REQUIRE(publish(io, store, "other", {"\"b\"", "2"}, true).ok());  // not watched
  recorder.wait_for_events(io, 1);

  feed.unwatch("orders");
  CHECK(feed.watchers("orders") == 1);
  REQUIRE(publish(io, store, "orders", {"\"a\"", "3"}).ok());
  recorder.wait_for_events(io, 2);

  // The last unwatch: nothing more is handed on, even what was published
  // before it (the publish and the UNSUBSCRIBE leave together, on two
  // connections, and may arrive in either order).
  bool published = false;
  store.publish("orders", OutgoingMessage{"\"a\"", "4"}, false, [&published](auto result) { published = result.ok(); });
  feed.unwatch("orders");
  CHECK(feed.watchers("orders") == 0);
  CHECK(feed.watched_topics() == 0);
  CHECK_FALSE(feed.ready("orders"));
  REQUIRE(publish(io, store, "orders", {"\"a\"", "5"}).ok());
  CHECK(published);
  run_for(io, 100ms);
  REQUIRE(recorder.events.size() == 2);
  CHECK(recorder.events[0].payload == "1");
  CHECK(recorder.events[1].payload == "3");
  CHECK(subscribers_of(io, store, "orders") == 0);

  // Watched again: ready again, events again, from the next publish.
  recorder.watch_ready(io, "orders");
  CHECK(recorder.ready.size() == 2);
  REQUIRE(publish(io, store, "orders", {"\"a\"", "6"}).ok());
  recorder.wait_for_events(io, 3);
  CHECK(recorder.events[2].seq == 5);
  CHECK(recorder.events[2].payload == "6");
}

TEST_CASE("feed: a deletion arrives as a deletion with the life's epoch and last seq, after its events") {
  ServerProcess server;
  asio::io_context io;
  RedisStore store(io, url_of(server.url()), {}, quick_options());
  start_and_wait_up(io, store);
  RecordingFeed recorder(io, urls_of({&server}));
  const auto created = create(io, store, "orders");
  REQUIRE(created.ok());
  recorder.watch_ready(io, "orders");
  REQUIRE(publish(io, store, "orders", {"\"a\"", "1"}).ok());
  REQUIRE(publish(io, store, "orders", {"\"a\"", "2"}).ok());
  REQUIRE(remove(io, store, "orders").ok());
  recorder.wait_for_events(io, 3);
  const Received& deletion = recorder.events[2];
  CHECK(deletion.kind == ChannelEventKind::deleted);
  CHECK(deletion.topic == "orders");
  CHECK(deletion.epoch == created.value.epoch);
  CHECK(deletion.seq == 2);

  // Still watched: the next life's events come on the same channel.
  const auto recreated = publish(io, store, "orders", {"\"a\"", "1"}, true);
  REQUIRE(recreated.ok());
  recorder.wait_for_events(io, 4);
  CHECK(recorder.events[3].kind == ChannelEventKind::event);
  CHECK(recorder.events[3].epoch == recreated.value.epoch);
  CHECK(recorder.events[3].epoch != created.value.epoch);
  CHECK(recorder.events[3].seq == 1);
}

TEST_CASE("feed: messages that do not decode are skipped and counted; the next event still arrives") {
  ServerProcess server;
  asio::io_context io;
  RedisStore store(io, url_of(server.url()), {}, quick_options());
  start_and_wait_up(io, store);
  RecordingFeed recorder(io, urls_of({&server}));
  REQUIRE(create(io, store, "orders").ok());
  recorder.watch_ready(io, "orders");

  const std::string channel = events_channel("orders");
  for (const std::string& bytes : {"garbage"s, "event\nE\n0\nT\n\"i\"\np"s, "deleted\nE\n"s, ""s, "\0\xff"s}) {
    CHECK(command(io, store, {"PUBLISH", channel, bytes}).integer == 1);
  }
  REQUIRE(publish(io, store, "orders", {"\"a\"", "1"}).ok());
  recorder.wait_for_events(io, 1);
  CHECK(recorder.feed.malformed() == 5);
  REQUIRE(recorder.events.size() == 1);
  CHECK(recorder.events[0].seq == 1);
}

TEST_CASE("feed: over two servers, each topic is subscribed on its own server only") {
  ServerProcess first;
  ServerProcess second;
  asio::io_context io;
  const auto urls = urls_of({&first, &second});
  StoreRing ring(io, urls, {}, quick_options());
  ring.start();
  REQUIRE(run_until(io, [&] { return ring.up(); }));
  RecordingFeed recorder(io, urls);
  REQUIRE(run_until(io, [&] { return recorder.feed.up(); }));

  // "orders" lives on server 0, "user:42" on server 1 (test_jump_hash.cpp).
  CHECK(recorder.feed.server_of("orders") == 0);
  CHECK(recorder.feed.server_of("user:42") == 1);
  recorder.watch_ready(io, "orders");
  recorder.watch_ready(io, "user:42");
  CHECK(subscribers_of(io, ring.store(0), "orders") == 1);
  CHECK(subscribers_of(io, ring.store(1), "orders") == 0);
  CHECK(subscribers_of(io, ring.store(1), "user:42") == 1);
  CHECK(subscribers_of(io, ring.store(0), "user:42") == 0);

  const auto published = [&](std::string_view topic, std::string_view payload) {
    return await_result<PublishReceipt>(
        io, [&](auto handler) { ring.publish(topic, OutgoingMessage{"\"i\"", payload}, true, handler); });
  };
  REQUIRE(published("orders", "o1").ok());
  REQUIRE(published("user:42", "u1").ok());
  REQUIRE(published("orders", "o2").ok());
  recorder.wait_for_events(io, 3);
  std::multiset<std::string> payloads;
  for (const Received& event : recorder.events) payloads.insert(event.topic + "=" + event.payload);
  CHECK(payloads == std::multiset<std::string>{"orders=o1", "orders=o2", "user:42=u1"});
}

TEST_CASE("feed: a server killed and restarted: its watched topics are reported resubscribed, later events arrive") {
  ServerProcess first;
  ServerProcess second;
  asio::io_context io;
  const auto urls = urls_of({&first, &second});
  StoreRing ring(io, urls, {}, quick_options());
  ring.start();
  RecordingFeed recorder(io, urls);
  REQUIRE(run_until(io, [&] { return ring.up() && recorder.feed.up(); }));
  // Server 0: orders, chat.room-1; server 1: user:42, a (test_jump_hash.cpp).
  for (const char* topic : {"orders", "chat.room-1", "user:42", "a"}) recorder.watch_ready(io, topic);
  recorder.feed.watch("orders");  // a second holder changes nothing

  first.kill();
  REQUIRE(run_until(io, [&] { return !recorder.feed.up(0); }, 2s));
  CHECK_FALSE(recorder.feed.ready("orders"));
  CHECK(recorder.feed.ready("user:42"));
  first.restart();
  // One report, or more if the confirmations arrive in several reads.
  std::multiset<std::string> names;
  REQUIRE(run_until(
      io,
      [&] {
        names.clear();
        for (const auto& [server, topics] : recorder.resubscribed) {
          CHECK(server == 0);
          names.insert(topics.begin(), topics.end());
        }
        return names.size() >= 2;
      },
      3s));
  run_for(io, 50ms);
  CHECK(names == std::multiset<std::string>{"chat.room-1", "orders"});
  CHECK(recorder.ready.size() == 4);  // not ready again: resubscribed
  CHECK(recorder.feed.ready("orders"));
  using enum redis::LinkState;
  CHECK(std::count(recorder.states.begin(), recorder.states.end(), std::pair<std::size_t, redis::LinkState>{0, down}) ==
        1);
  CHECK(std::count(recorder.states.begin(), recorder.states.end(), std::pair<std::size_t, redis::LinkState>{1, down}) ==
        0);

  // The restarted server is empty: publishing creates the topic anew.
  REQUIRE(run_until(io, [&] { return ring.up(); }, 3s));
  const auto published = await_result<PublishReceipt>(
      io, [&](auto handler) { ring.publish("orders", OutgoingMessage{"\"i\"", "after"}, true, handler); });
  REQUIRE(published.ok());
  CHECK(published.value.created);
  recorder.wait_for_events(io, 1);
  CHECK(recorder.events[0].topic == "orders");
  CHECK(recorder.events[0].seq == 1);
  CHECK(recorder.events[0].epoch == published.value.epoch);
  CHECK(recorder.events[0].payload == "after");
}

TEST_CASE("feed: a topic watched while its server is down becomes ready once it is up, not resubscribed") {
  ServerProcess server;
  asio::io_context io;
  RecordingFeed recorder(io, urls_of({&server}));
  REQUIRE(run_until(io, [&] { return recorder.feed.up(); }));
  server.kill();
  REQUIRE(run_until(io, [&] { return !recorder.feed.up(); }, 2s));
  recorder.feed.watch("orders");
  run_for(io, 50ms);
  CHECK(recorder.ready.empty());
  CHECK_FALSE(recorder.feed.ready("orders"));

  server.restart();
  REQUIRE(run_until(io, [&] { return recorder.ready.size() == 1; }, 3s));
  CHECK(recorder.ready[0] == "orders");
  CHECK(recorder.resubscribed.empty());
}

TEST_CASE("feed: destroyed with an event on its way: no handler runs") {
  ServerProcess server;
  asio::io_context io;
  RedisStore store(io, url_of(server.url()), {}, quick_options());
  start_and_wait_up(io, store);
  int called = 0;
  auto feed = std::make_unique<EventFeed>(io, urls_of({&server}), quick_options());
  feed->on_event([&called](const ChannelEvent&) { ++called; });
  feed->on_ready([&called](std::string_view) { ++called; });
  feed->on_resubscribed([&called](std::size_t, std::span<const std::string>) { ++called; });
  feed->start();
  feed->watch("orders");
  REQUIRE(run_until(io, [&] { return called == 1; }));
  REQUIRE(publish(io, store, "orders", {"\"a\"", "1"}, true).ok());
  REQUIRE(run_until(io, [&] { return called == 2; }));

  store.publish("orders", OutgoingMessage{"\"a\"", "2"}, false, [](auto) {});
  feed.reset();
  run_for(io, 100ms);
  CHECK(called == 2);
}
