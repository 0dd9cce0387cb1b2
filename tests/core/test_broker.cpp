// Tests of the broker core (broker.h, topic.h) driven on the test thread:
// the topic registry, subscribe/replay, publish and fan-out across shards,
// the wake protocol, topic deletion and the statistics.
//
// Shard threads are simulated: the test calls shard(i).drain() itself after
// a publish from another shard, and counts the wake requests.
#include "core/broker.h"
#include "core/fakes.h"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace pubsub::core;
using namespace pubsub::core::testing;

namespace {

// A broker whose shards record their wake requests. Each publish is its
// own loop pass: the publishing shard wakes its receivers right after it.
struct Harness {
  explicit Harness(std::size_t shards, std::size_t history = 100, QueueLimits limits = {})
      : broker(BrokerOptions{history, shards, limits}, frames), wakes(shards, 0) {
    for (std::size_t i = 0; i < shards; ++i) broker.shard(i).set_wake([this, i] { ++wakes[i]; });
  }
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  PublishResult publish(std::size_t shard, std::string_view topic, bool create_missing = false) {
    PublishResult result = broker.publish(shard, topic, create_missing, events);
    broker.shard(shard).wake_receivers();
    return result;
  }
  // Lets every shard thread catch up.
  void settle() {
    for (std::size_t i = 0; i < wakes.size(); ++i) broker.shard(i).drain();
  }

  TestFrames frames;
  TestEvents events;
  Broker broker;
  std::vector<int> wakes;
};

// A subscriber with an on_ready counter.
struct Sub {
  Sub(Broker& broker, std::size_t shard) : sub(broker, shard, [this] { ++ready; }) {}
  int ready = 0;
  TestSubscriber sub;
};

using Strings = std::vector<std::string>;

}  // namespace

// ------------------------------------------------------------------ registry

TEST_CASE("topics are created, found and deleted", "[broker][registry]") {
  Harness h(GENERATE(1u, 2u));
  Broker& b = h.broker;
  CHECK(b.topic_count() == 0);
  CHECK_FALSE(b.topic_stats("orders").has_value());

  CHECK(b.create_topic("orders"));
  CHECK_FALSE(b.create_topic("orders"));
  CHECK(b.create_topic("Orders"));  // names are case-sensitive
  CHECK(b.topic_count() == 2);
  auto stats = b.topic_stats("orders");
  REQUIRE(stats.has_value());
  CHECK(stats->name == "orders");
  CHECK(stats->messages == 0);
  CHECK(stats->subscribers == 0);
  CHECK(stats->dropped == 0);

  CHECK(b.delete_topic("orders"));
  CHECK_FALSE(b.delete_topic("orders"));
  CHECK_FALSE(b.delete_topic("never"));
  CHECK_FALSE(b.topic_stats("orders").has_value());
  CHECK(b.topic_stats("Orders").has_value());
  CHECK(b.topic_count() == 1);
  CHECK(b.create_topic("orders"));  // can be created again
  // Deleting a topic nobody holds asks no shard to wake.
  CHECK(h.wakes == std::vector<int>(h.wakes.size(), 0));
}

TEST_CASE("all_topics lists every topic sorted by byte order", "[broker][registry]") {
  Harness h(1);
  for (const char* name : {"b", "a.b", "_x", "B", "a", "9", ":", "a-b", "A"}) REQUIRE(h.broker.create_topic(name));
  std::vector<std::string> names;
  for (const auto& t : h.broker.all_topics()) names.push_back(t.name);
  CHECK(names == Strings{"9", ":", "A", "B", "_x", "a", "a-b", "a.b", "b"});
  CHECK(Harness(1).broker.all_topics().empty());
}

TEST_CASE("subscribing to an unknown topic is topic_not_found", "[broker][subscribe]") {
  Harness h(GENERATE(1u, 2u));
  Sub s(h.broker, h.wakes.size() - 1);
  auto r = h.broker.subscribe(s.sub, "nope", 10, false);
  CHECK(r.status == SubscribeStatus::topic_not_found);
  CHECK(r.replay.empty());
  CHECK(s.sub.topic_count() == 0);
  CHECK(h.broker.topic_count() == 0);  // not created
  CHECK(h.broker.subscription_count() == 0);
  CHECK_FALSE(h.broker.unsubscribe(s.sub, "nope"));
}

TEST_CASE("subscribe with create_missing creates the topic", "[broker][subscribe]") {
  Harness h(GENERATE(1u, 2u));
  Sub s(h.broker, 0);
  auto r = h.broker.subscribe(s.sub, "fresh", 5, true);
  CHECK(r.status == SubscribeStatus::subscribed);
  CHECK(r.replay.empty());
  auto stats = h.broker.topic_stats("fresh");
  REQUIRE(stats.has_value());
  CHECK(stats->subscribers == 1);
  CHECK(s.sub.topic_count() == 1);
  // Existing topics are simply subscribed.
  Sub other(h.broker, 0);
  CHECK(h.broker.subscribe(other.sub, "fresh", 0, true).status == SubscribeStatus::subscribed);
  CHECK(h.broker.topic_count() == 1);
  CHECK(h.broker.subscription_count() == 2);
}

TEST_CASE("publish to an unknown topic is not found unless create_missing", "[broker][publish]") {
  Harness h(GENERATE(1u, 2u));
  CHECK_FALSE(h.publish(0, "nope").found);
  CHECK(h.broker.topic_count() == 0);
  auto r = h.publish(0, "nope", true);
  CHECK(r.found);
  CHECK(r.seq == 1);
  REQUIRE(h.broker.topic_stats("nope").has_value());
  CHECK(h.broker.topic_stats("nope")->messages == 1);
}

TEST_CASE("seq counts from 1 per topic", "[broker][publish]") {
  Harness h(GENERATE(1u, 2u));
  h.broker.create_topic("a");
  h.broker.create_topic("b");
  std::size_t last = h.wakes.size() - 1;
  CHECK(h.publish(0, "a").seq == 1);
  CHECK(h.publish(last, "a").seq == 2);
  CHECK(h.publish(0, "b").seq == 1);
  CHECK(h.publish(last, "a").seq == 3);
  CHECK(h.broker.topic_stats("a")->messages == 3);
  CHECK(h.broker.topic_stats("b")->messages == 1);
}

// ------------------------------------------------------------------ history and replay

TEST_CASE("replay is the newest min(last_n, history) messages, oldest first", "[broker][replay]") {
  Harness h(GENERATE(1u, 2u), 5);
  h.broker.create_topic("t");
  for (int i = 0; i < 3; ++i) h.publish(0, "t");

  struct Case {
    std::uint64_t last_n;
    Strings expected;
  };
  auto c = GENERATE(values<Case>({
      {0, {}},
      {1, {"ev:t:3"}},
      {2, {"ev:t:2", "ev:t:3"}},
      {3, {"ev:t:1", "ev:t:2", "ev:t:3"}},
      {10, {"ev:t:1", "ev:t:2", "ev:t:3"}},
      {std::numeric_limits<std::uint64_t>::max(), {"ev:t:1", "ev:t:2", "ev:t:3"}},
  }));
  Sub s(h.broker, h.wakes.size() - 1);
  auto r = h.broker.subscribe(s.sub, "t", c.last_n, false);
  REQUIRE(r.status == SubscribeStatus::subscribed);
  CHECK(bytes_of(r.replay) == c.expected);
  for (const auto& event : r.replay) CHECK(event->topic().name() == "t");
  CHECK(s.sub.queued_frames() == 0);  // the replay is handed back, not queued
}

TEST_CASE("history keeps only the newest history-size messages", "[broker][replay]") {
  Harness h(GENERATE(1u, 2u), 3);
  h.broker.create_topic("t");
  for (int i = 0; i < 7; ++i) h.publish(0, "t");
  Sub s(h.broker, 0);
  auto r = h.broker.subscribe(s.sub, "t", 100, false);
  CHECK(bytes_of(r.replay) == Strings{"ev:t:5", "ev:t:6", "ev:t:7"});
  std::vector<std::uint64_t> seqs;
  for (const auto& e : r.replay) seqs.push_back(e->seq());
  CHECK(seqs == std::vector<std::uint64_t>{5, 6, 7});
  CHECK(h.broker.topic_stats("t")->messages == 7);
}

TEST_CASE("a history of size 0 keeps nothing", "[broker][replay]") {
  Harness h(1, 0);
  h.broker.create_topic("t");
  for (int i = 0; i < 4; ++i) CHECK(h.publish(0, "t").seq == static_cast<std::uint64_t>(i + 1));
  Sub s(h.broker, 0);
  auto r = h.broker.subscribe(s.sub, "t", 10, false);
  CHECK(r.status == SubscribeStatus::subscribed);
  CHECK(r.replay.empty());
  CHECK(h.broker.topic_stats("t")->messages == 4);
  h.publish(0, "t");
  CHECK(take(s.sub) == Strings{"ev:t:5"});  // live events still flow
}

TEST_CASE("HistoryRing wraps around", "[broker][replay]") {
  TopicRef topic = Topic::make("t", 0, 1);
  auto event = [&](int i) { return Event::make(topic, static_cast<std::uint64_t>(i), std::to_string(i)); };
  auto newest = [](const HistoryRing& ring, std::uint64_t n) { return bytes_of(ring.newest(n)); };
  HistoryRing ring(3);
  CHECK(ring.size() == 0);
  CHECK(newest(ring, 5).empty());
  ring.push(event(1));
  ring.push(event(2));
  CHECK(ring.size() == 2);
  CHECK(newest(ring, 5) == Strings{"1", "2"});
  CHECK(newest(ring, 1) == Strings{"2"});
  for (int i = 3; i <= 8; ++i) ring.push(event(i));
  CHECK(ring.size() == 3);
  CHECK(newest(ring, 3) == Strings{"6", "7", "8"});
  CHECK(newest(ring, 2) == Strings{"7", "8"});
  CHECK(newest(ring, 0).empty());

  HistoryRing one(1);
  one.push(event(1));
  one.push(event(2));
  CHECK(newest(one, 9) == Strings{"2"});

  HistoryRing none(0);
  none.push(event(1));
  CHECK(none.size() == 0);
  CHECK(newest(none, 9).empty());
}

TEST_CASE("HistoryRing grows with what it holds and reads any range oldest first", "[broker][replay]") {
  TopicRef topic = Topic::make("t", 0, 1);
  auto event = [&](int i) { return Event::make(topic, static_cast<std::uint64_t>(i), std::to_string(i)); };
  HistoryRing ring(10);
  for (int i = 1; i <= 7; ++i) ring.push(event(i));  // grows 4 -> 8, not yet full
  CHECK(bytes_of(ring.range(0, 3)) == Strings{"1", "2", "3"});
  CHECK(bytes_of(ring.range(5, 9)) == Strings{"6", "7"});
  CHECK(ring.range(7, 1).empty());
  for (int i = 8; i <= 23; ++i) ring.push(event(i));  // full at 10, then wraps
  CHECK(ring.size() == 10);
  CHECK(bytes_of(ring.range(0, 2)) == Strings{"14", "15"});
  CHECK(bytes_of(ring.range(8, 5)) == Strings{"22", "23"});
  CHECK(bytes_of(ring.newest(3)) == Strings{"21", "22", "23"});
  ring.clear();
  CHECK(ring.size() == 0);
  ring.push(event(24));
  CHECK(bytes_of(ring.newest(5)) == Strings{"24"});
}

// ------------------------------------------------------------------ positions (section 9)

TEST_CASE("every topic gets a fresh epoch of 11 base64url characters", "[broker][epoch]") {
  Harness h(1);
  h.broker.create_topic("a");
  h.broker.create_topic("b");
  const Epoch a = h.broker.topic_stats("a")->epoch;
  CHECK(a.text().size() == 11);
  CHECK(a.text().find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
        std::string_view::npos);
  CHECK(h.broker.topic_stats("b")->epoch != a);
  h.broker.delete_topic("a");
  h.broker.create_topic("a");
  CHECK(h.broker.topic_stats("a")->epoch != a);  // a re-created topic is a new life
}

TEST_CASE("subscribe reports the epoch and the newest seq it starts after", "[broker][resume]") {
  Harness h(GENERATE(1u, 2u), 5);
  h.broker.create_topic("t");
  for (int i = 0; i < 3; ++i) h.publish(0, "t");
  Sub s(h.broker, h.wakes.size() - 1);
  auto r = h.broker.subscribe(s.sub, "t", 0, false);
  CHECK(r.epoch == h.broker.topic_stats("t")->epoch);
  CHECK(r.seq == 3);
  CHECK_FALSE(r.recovered.has_value());
  h.publish(0, "t");
  h.settle();
  auto again = h.broker.subscribe(s.sub, SubscribeRequest{"t", 0, 0, std::nullopt, false});
  CHECK(again.status == SubscribeStatus::already_subscribed);
  CHECK(again.seq == 4);
  CHECK_FALSE(again.recovered.has_value());  // no resume on a subscription held already
  CHECK(again.replay.empty());
}

TEST_CASE("a resume replays after since_seq and then live events, nothing missing or repeated", "[broker][resume]") {
  Harness h(GENERATE(1u, 2u), 5);
  h.broker.create_topic("t");
  for (int i = 0; i < 8; ++i) h.publish(0, "t");  // 4..8 retained
  const Epoch epoch = h.broker.topic_stats("t")->epoch;
  const std::string epoch_text(epoch.text());
  Sub s(h.broker, h.wakes.size() - 1);
  h.publish(0, "t");  // 9, in flight to the subscriber's shard while it subscribes
  auto r = h.broker.subscribe(s.sub, SubscribeRequest{"t", 0, 6, epoch_text, false});
  CHECK(r.recovered == true);
  CHECK(r.seq == 9);
  CHECK(bytes_of(r.replay) == Strings{"ev:t:7", "ev:t:8", "ev:t:9"});
  h.publish(0, "t");
  h.settle();
  CHECK(take(s.sub) == Strings{"ev:t:10"});
}

TEST_CASE("a resume with another epoch or a future seq replays nothing", "[broker][resume]") {
  Harness h(1, 5);
  h.broker.create_topic("t");
  for (int i = 0; i < 3; ++i) h.publish(0, "t");
  Sub a(h.broker, 0), b(h.broker, 0);
  auto other = h.broker.subscribe(a.sub, SubscribeRequest{"t", 0, 1, "AAAAAAAAAAA", false});
  CHECK(other.recovered == false);
  CHECK(other.replay.empty());
  auto future = h.broker.subscribe(b.sub, SubscribeRequest{"t", 0, 4, std::nullopt, false});
  CHECK(future.recovered == false);
  CHECK(future.replay.empty());
  h.publish(0, "t");
  CHECK(take(a.sub) == Strings{"ev:t:4"});  // live events flow all the same
}

TEST_CASE("history returns the retained messages after a seq, the oldest `limit`", "[broker][history]") {
  Harness h(1, 5);
  CHECK_FALSE(h.broker.history("t", 0, 5));
  h.broker.create_topic("t");
  for (int i = 0; i < 8; ++i) h.publish(0, "t");
  auto all = h.broker.history("t", 0, 100);
  REQUIRE(all);
  CHECK(all->seq == 8);
  CHECK(all->epoch == h.broker.topic_stats("t")->epoch);
  CHECK(bytes_of(all->events) == Strings{"ev:t:4", "ev:t:5", "ev:t:6", "ev:t:7", "ev:t:8"});
  CHECK(bytes_of(h.broker.history("t", 5, 2)->events) == Strings{"ev:t:6", "ev:t:7"});
  CHECK(h.broker.history("t", 8, 5)->events.empty());
}

TEST_CASE("publish_all gives a batch consecutive seqs and delivers it in order", "[broker][publish]") {
  Harness h(GENERATE(1u, 2u), 10);
  h.broker.create_topic("t");
  Sub s(h.broker, h.wakes.size() - 1);
  h.broker.subscribe(s.sub, "t", 0, false);
  h.publish(0, "t");
  const EventEncoder* const batch[] = {&h.events, &h.events, &h.events};
  const PublishResult r = h.broker.publish_all(0, "t", false, batch);
  h.broker.shard(0).wake_receivers();
  CHECK(r.found);
  CHECK(r.first_seq == 2);
  CHECK(r.seq == 4);
  h.settle();
  CHECK(take(s.sub) == Strings{"ev:t:1", "ev:t:2", "ev:t:3", "ev:t:4"});
  CHECK_FALSE(h.broker.publish_all(0, "missing", false, batch).found);
}

// ------------------------------------------------------------------ delivery

TEST_CASE("live events follow the replay with nothing missing or repeated", "[broker][subscribe]") {
  Harness h(GENERATE(1u, 2u), 10);
  std::size_t sub_shard = h.wakes.size() - 1;
  h.broker.create_topic("t");
  for (int i = 0; i < 3; ++i) h.publish(0, "t");
  Sub s(h.broker, sub_shard);
  auto r = h.broker.subscribe(s.sub, "t", 2, false);
  CHECK(bytes_of(r.replay) == Strings{"ev:t:2", "ev:t:3"});
  h.publish(0, "t");
  h.publish(sub_shard, "t");
  h.settle();
  CHECK(take(s.sub) == Strings{"ev:t:4", "ev:t:5"});
}

TEST_CASE("events published before a subscribe but still in the inbox are not delivered twice", "[broker][subscribe]") {
  Harness h(2, 10);
  h.broker.create_topic("t");
  Sub early(h.broker, 1);
  REQUIRE(h.broker.subscribe(early.sub, "t", 0, false).status == SubscribeStatus::subscribed);
  h.publish(0, "t");  // sits in shard 1's inbox
  h.publish(0, "t");
  Sub late(h.broker, 1);
  auto r = h.broker.subscribe(late.sub, "t", 1, false);
  CHECK(bytes_of(r.replay) == Strings{"ev:t:2"});
  h.broker.shard(1).drain();
  CHECK(take(early.sub) == Strings{"ev:t:1", "ev:t:2"});
  CHECK(take(late.sub).empty());  // 1 and 2 came by replay, or not at all
  h.publish(0, "t");
  h.broker.shard(1).drain();
  CHECK(take(early.sub) == Strings{"ev:t:3"});
  CHECK(take(late.sub) == Strings{"ev:t:3"});
}

TEST_CASE("subscribing twice changes nothing", "[broker][subscribe]") {
  Harness h(GENERATE(1u, 2u), 10);
  std::size_t sub_shard = h.wakes.size() - 1;
  h.broker.create_topic("t");
  Sub s(h.broker, sub_shard);
  REQUIRE(h.broker.subscribe(s.sub, "t", 0, false).status == SubscribeStatus::subscribed);
  h.publish(0, "t");
  auto again = h.broker.subscribe(s.sub, "t", 10, false);
  CHECK(again.status == SubscribeStatus::already_subscribed);
  CHECK(again.replay.empty());  // last_n is not replayed again
  CHECK(h.broker.subscription_count() == 1);
  CHECK(h.broker.topic_stats("t")->subscribers == 1);
  CHECK(h.broker.subscribe(s.sub, "t", 0, true).status == SubscribeStatus::already_subscribed);
  h.publish(0, "t");
  h.settle();
  CHECK(take(s.sub) == Strings{"ev:t:1", "ev:t:2"});  // each event once
}

TEST_CASE("unsubscribe stops the events of that topic", "[broker][unsubscribe]") {
  Harness h(GENERATE(1u, 2u));
  std::size_t sub_shard = h.wakes.size() - 1;
  h.broker.create_topic("t");
  h.broker.create_topic("u");
  Sub s(h.broker, sub_shard);
  h.broker.subscribe(s.sub, "t", 0, false);
  h.broker.subscribe(s.sub, "u", 0, false);
  h.publish(0, "t");
  h.settle();
  CHECK(take(s.sub) == Strings{"ev:t:1"});

  CHECK(h.broker.unsubscribe(s.sub, "t"));
  CHECK(s.sub.topic_count() == 1);
  CHECK(h.broker.topic_stats("t")->subscribers == 0);
  CHECK(h.broker.subscription_count() == 1);
  h.publish(0, "t");
  h.publish(0, "u");
  h.settle();
  CHECK(take(s.sub) == Strings{"ev:u:1"});

  CHECK(h.broker.unsubscribe(s.sub, "t"));  // not held: still true
  CHECK_FALSE(h.broker.unsubscribe(s.sub, "missing"));
}

TEST_CASE("unsubscribe discards events still waiting in the shard inbox", "[broker][unsubscribe]") {
  Harness h(2);
  h.broker.create_topic("t");
  Sub s(h.broker, 1);
  h.broker.subscribe(s.sub, "t", 0, false);
  h.publish(0, "t");
  CHECK(s.sub.queued_frames() == 0);
  CHECK(h.broker.unsubscribe(s.sub, "t"));
  h.broker.shard(1).drain();
  CHECK(take(s.sub).empty());

  // Subscribing again replays from history without repeating the stale item.
  h.publish(0, "t");
  REQUIRE(h.broker.subscribe(s.sub, "t", 5, false).status == SubscribeStatus::subscribed);
  h.broker.shard(1).drain();
  CHECK(take(s.sub).empty());
}

TEST_CASE("unsubscribing one of several local subscribers keeps the others", "[broker][unsubscribe]") {
  Harness h(GENERATE(1u, 2u));
  std::size_t sub_shard = h.wakes.size() - 1;
  h.broker.create_topic("t");
  Sub a(h.broker, sub_shard), b(h.broker, sub_shard), c(h.broker, sub_shard), d(h.broker, sub_shard);
  for (Sub* s : {&a, &b, &c, &d}) h.broker.subscribe(s->sub, "t", 0, false);
  CHECK(h.broker.unsubscribe(b.sub, "t"));  // from the middle of the shard's list
  CHECK(h.broker.unsubscribe(a.sub, "t"));  // from the front
  h.publish(0, "t");
  h.settle();
  CHECK(take(a.sub).empty());
  CHECK(take(b.sub).empty());
  CHECK(take(c.sub) == Strings{"ev:t:1"});
  CHECK(take(d.sub) == Strings{"ev:t:1"});
  CHECK(h.broker.unsubscribe(d.sub, "t"));  // the moved entry is still found
  h.publish(0, "t");
  h.settle();
  CHECK(take(c.sub) == Strings{"ev:t:2"});
  CHECK(take(d.sub).empty());
  CHECK(h.broker.topic_stats("t")->subscribers == 1);
}

TEST_CASE("a publish on the subscriber's own shard is queued before publish returns", "[broker][publish]") {
  Harness h(GENERATE(1u, 2u));
  h.broker.create_topic("t");
  Sub s(h.broker, 0);
  h.broker.subscribe(s.sub, "t", 0, false);
  auto r = h.publish(0, "t");
  CHECK(r.found);
  CHECK(r.seq == 1);
  CHECK(s.sub.queued_frames() == 1);  // no drain needed
  CHECK(s.ready == 1);
  CHECK(h.wakes == std::vector<int>(h.wakes.size(), 0));  // nobody had to be woken
  CHECK(take(s.sub) == Strings{"ev:t:1"});
}

TEST_CASE("a publish from another shard needs that shard's drain and wakes it once", "[broker][publish][wake]") {
  Harness h(2);
  h.broker.create_topic("t");
  h.broker.create_topic("quiet");
  Sub s(h.broker, 1);
  h.broker.subscribe(s.sub, "t", 0, false);

  h.publish(0, "quiet");  // no subscriber anywhere: no wake
  CHECK(h.wakes == std::vector<int>{0, 0});

  h.publish(0, "t");
  CHECK(s.sub.queued_frames() == 0);  // not delivered until shard 1 drains
  CHECK(h.wakes == std::vector<int>{0, 1});
  h.publish(0, "t");
  h.publish(0, "t");
  CHECK(h.wakes == std::vector<int>{0, 1});  // still pending: no second wake
  CHECK(s.ready == 0);

  h.broker.shard(1).drain();
  CHECK(s.ready == 1);
  CHECK(take(s.sub) == Strings{"ev:t:1", "ev:t:2", "ev:t:3"});

  h.publish(0, "t");  // empty -> non-empty again
  CHECK(h.wakes == std::vector<int>{0, 2});
  h.broker.shard(1).drain();
  h.broker.shard(1).drain();  // an empty drain is harmless
  CHECK(take(s.sub) == Strings{"ev:t:4"});
  CHECK(h.wakes == std::vector<int>{0, 2});
}

TEST_CASE("a shard wakes each receiver once per loop pass, however many events it handed over",
          "[broker][publish][wake]") {
  Harness h(3);
  h.broker.create_topic("t");
  h.broker.create_topic("u");
  Sub s1(h.broker, 1), s2(h.broker, 2);
  h.broker.subscribe(s1.sub, "t", 0, false);
  h.broker.subscribe(s2.sub, "t", 0, false);
  h.broker.subscribe(s2.sub, "u", 0, false);
  // One pass of shard 0: 50 publishes, and no wake until the pass ends.
  for (int i = 0; i < 25; ++i) {
    h.broker.publish(0, "t", false, h.events);
    h.broker.publish(0, "u", false, h.events);
  }
  CHECK(h.wakes == std::vector<int>{0, 0, 0});
  h.broker.shard(0).wake_receivers();
  CHECK(h.wakes == std::vector<int>{0, 1, 1});
  h.broker.shard(0).wake_receivers();  // nothing handed over since
  CHECK(h.wakes == std::vector<int>{0, 1, 1});
  h.settle();
  CHECK(take(s1.sub).size() == 25);
  CHECK(take(s2.sub).size() == 50);
}

TEST_CASE("every shard sees a topic's events in seq order", "[broker][publish]") {
  Harness h(2);
  h.broker.create_topic("t");
  Sub s0(h.broker, 0), s1(h.broker, 1), s1b(h.broker, 1);
  for (Sub* s : {&s0, &s1, &s1b}) h.broker.subscribe(s->sub, "t", 0, false);
  h.publish(0, "t");  // 1: s0 gets it now; shard 1 must drain
  h.publish(1, "t");  // 2: shard 1 drains its inbox (1, then 2) during the publish
  CHECK(take(s1.sub) == Strings{"ev:t:1", "ev:t:2"});
  h.publish(1, "t");  // 3
  h.publish(0, "t");  // 4
  h.settle();
  CHECK(take(s0.sub) == Strings{"ev:t:1", "ev:t:2", "ev:t:3", "ev:t:4"});
  CHECK(take(s1.sub) == Strings{"ev:t:3", "ev:t:4"});
  CHECK(take(s1b.sub) == Strings{"ev:t:1", "ev:t:2", "ev:t:3", "ev:t:4"});
}

TEST_CASE("events never reach subscribers of another topic", "[broker][publish]") {
  Harness h(GENERATE(1u, 2u));
  std::size_t sub_shard = h.wakes.size() - 1;
  h.broker.create_topic("a");
  h.broker.create_topic("b");
  Sub sa(h.broker, sub_shard), sb(h.broker, sub_shard), both(h.broker, 0);
  h.broker.subscribe(sa.sub, "a", 0, false);
  h.broker.subscribe(sb.sub, "b", 0, false);
  h.broker.subscribe(both.sub, "a", 0, false);
  h.broker.subscribe(both.sub, "b", 0, false);
  h.publish(0, "a");
  h.publish(sub_shard, "b");
  h.publish(0, "a");
  h.settle();
  CHECK(take(sa.sub) == Strings{"ev:a:1", "ev:a:2"});
  CHECK(take(sb.sub) == Strings{"ev:b:1"});
  CHECK(take(both.sub) == Strings{"ev:a:1", "ev:b:1", "ev:a:2"});
}

// ------------------------------------------------------------------ deletion

TEST_CASE("deleting a topic sends topic_deleted after earlier events and ends the subscription", "[broker][delete]") {
  Harness h(GENERATE(1u, 2u), 10);
  std::size_t sub_shard = h.wakes.size() - 1;
  h.broker.create_topic("t");
  h.broker.create_topic("u");
  Sub s(h.broker, sub_shard), bystander(h.broker, sub_shard);
  h.broker.subscribe(s.sub, "t", 0, false);
  h.broker.subscribe(s.sub, "u", 0, false);
  h.broker.subscribe(bystander.sub, "u", 0, false);
  h.publish(0, "t");
  h.publish(0, "t");
  std::vector<int> wakes_before = h.wakes;

  CHECK(h.broker.delete_topic("t"));
  CHECK(h.wakes[sub_shard] == wakes_before[sub_shard] + (sub_shard == 0 ? 1 : 0));
  CHECK_FALSE(h.broker.topic_stats("t").has_value());
  h.publish(0, "u");
  h.settle();

  CHECK(take(s.sub) == Strings{"ev:t:1", "ev:t:2", "deleted:t", "ev:u:1"});
  CHECK(take(bystander.sub) == Strings{"ev:u:1"});  // other topics are untouched
  CHECK(s.sub.topic_count() == 1);
  CHECK(h.broker.subscription_count() == 2);
  CHECK_FALSE(h.broker.unsubscribe(s.sub, "t"));  // no such topic any more
  CHECK_FALSE(h.publish(0, "t").found);

  // A topic created again under the same name starts from scratch.
  REQUIRE(h.broker.create_topic("t"));
  auto stats = h.broker.topic_stats("t");
  REQUIRE(stats.has_value());
  CHECK(stats->messages == 0);
  CHECK(stats->subscribers == 0);
  CHECK(h.publish(0, "t").seq == 1);
  h.settle();
  CHECK(take(s.sub).empty());  // the old subscription does not carry over
  auto again = h.broker.subscribe(s.sub, "t", 10, false);
  CHECK(again.status == SubscribeStatus::subscribed);
  CHECK(bytes_of(again.replay) == Strings{"ev:t:1"});  // the old history is gone
}

TEST_CASE("publish with create_missing after a delete starts a new topic", "[broker][delete]") {
  Harness h(GENERATE(1u, 2u));
  h.publish(0, "t", true);
  h.publish(0, "t", true);
  REQUIRE(h.broker.delete_topic("t"));
  CHECK(h.publish(0, "t", true).seq == 1);
  CHECK(h.broker.topic_stats("t")->messages == 1);
}

TEST_CASE("a subscriber that leaves before its shard sees the deletion is handled", "[broker][delete]") {
  Harness h(2);
  h.broker.create_topic("t");
  auto gone = std::make_unique<Sub>(h.broker, 1);
  Sub stays(h.broker, 1);
  h.broker.subscribe(gone->sub, "t", 0, false);
  h.broker.subscribe(stays.sub, "t", 0, false);
  h.publish(0, "t");
  REQUIRE(h.broker.delete_topic("t"));
  CHECK(h.wakes[1] == 1);  // the event and the deletion share one wake
  gone.reset();            // leaves while the deletion is in the inbox
  h.broker.shard(1).drain();
  CHECK(take(stays.sub) == Strings{"ev:t:1", "deleted:t"});
  CHECK(stays.sub.topic_count() == 0);
}

// Events hold their topic and a topic's history holds events: a topic with
// history must still be freed once it is deleted and nothing else holds it
// (otherwise every deleted topic leaks with up to history-size events).
TEST_CASE("a deleted topic is freed once nothing holds its events", "[broker][delete][bug]") {
  const std::size_t history = GENERATE(0u, 3u);
  Harness h(GENERATE(1u, 2u), history);
  const long before = Topic::instances();
  REQUIRE(h.broker.create_topic("t"));
  {
    Sub s(h.broker, 0);
    h.broker.subscribe(s.sub, "t", 0, false);
    h.publish(0, "t");
    h.publish(0, "t");
    take(s.sub);
  }
  REQUIRE(Topic::instances() == before + 1);  // still registered
  REQUIRE(h.broker.delete_topic("t"));
  h.settle();
  CAPTURE(history);
  CHECK(Topic::instances() == before);
}

TEST_CASE("the subscriber destructor leaves every topic", "[broker][subscriber]") {
  Harness h(GENERATE(1u, 2u));
  std::size_t sub_shard = h.wakes.size() - 1;
  h.broker.create_topic("a");
  h.broker.create_topic("b");
  Sub keep(h.broker, sub_shard);
  h.broker.subscribe(keep.sub, "a", 0, false);
  {
    Sub first(h.broker, sub_shard), second(h.broker, sub_shard);
    h.broker.subscribe(first.sub, "a", 0, false);
    h.broker.subscribe(first.sub, "b", 0, false);
    h.broker.subscribe(second.sub, "a", 0, false);
    CHECK(h.broker.subscription_count() == 4);
    CHECK(h.broker.topic_stats("a")->subscribers == 3);
    h.publish(0, "a");  // may still sit in an inbox when they go
  }
  CHECK(h.broker.subscription_count() == 1);
  CHECK(h.broker.topic_stats("a")->subscribers == 1);
  CHECK(h.broker.topic_stats("b")->subscribers == 0);
  h.publish(0, "a");
  h.publish(0, "b");
  h.settle();
  CHECK(take(keep.sub) == Strings{"ev:a:1", "ev:a:2"});
  // A deletion of a topic that only departed subscribers held wakes nobody.
  std::vector<int> before = h.wakes;
  CHECK(h.broker.delete_topic("b"));
  CHECK(h.wakes == before);
}

// ------------------------------------------------------------------ statistics

TEST_CASE("stats count messages, subscriptions and drops", "[broker][stats]") {
  Harness h(GENERATE(1u, 2u), 100, QueueLimits{2, 1 << 20, OverflowPolicy::drop_oldest});
  std::size_t sub_shard = h.wakes.size() - 1;
  h.broker.create_topic("a");
  h.broker.create_topic("b");
  h.broker.create_topic("c");
  Sub s1(h.broker, 0), s2(h.broker, sub_shard);
  h.broker.subscribe(s1.sub, "a", 0, false);
  h.broker.subscribe(s2.sub, "a", 0, false);
  h.broker.subscribe(s2.sub, "b", 0, false);
  for (int i = 0; i < 5; ++i) h.publish(0, "a");
  h.publish(0, "b");
  h.settle();

  CHECK(h.broker.subscription_count() == 3);
  CHECK(h.broker.topic_count() == 3);
  auto all = h.broker.all_topics();
  REQUIRE(all.size() == 3);
  CHECK(all[0].name == "a");
  CHECK(all[0].messages == 5);
  CHECK(all[0].subscribers == 2);
  // s1 kept 2 of 5 (3 dropped); s2 kept a:5 and b:1 (4 of a dropped).
  CHECK(all[0].dropped == 7);
  CHECK(all[1].name == "b");
  CHECK(all[1].messages == 1);
  CHECK(all[1].subscribers == 1);
  CHECK(all[1].dropped == 0);
  CHECK(all[2].name == "c");
  CHECK(all[2].messages == 0);
  CHECK(all[2].subscribers == 0);
  CHECK(h.broker.topic_stats("a")->dropped == 7);
  CHECK(s1.sub.dropped_total() == 3);
  CHECK(s2.sub.dropped_total() == 4);
}

// ------------------------------------------------------------------ limits (section 12)

TEST_CASE("the registry holds at most max_topics topics", "[broker][limits]") {
  TestFrames frames;
  TestEvents events;
  BrokerOptions options;
  options.max_topics = 2;
  Broker broker(options, frames);
  broker.shard(0).set_wake([] {});
  CHECK(broker.create_topic_status("a") == CreateStatus::created);
  CHECK(broker.create_topic_status("b") == CreateStatus::created);
  CHECK(broker.create_topic_status("a") == CreateStatus::exists);
  CHECK(broker.create_topic_status("c") == CreateStatus::limit_reached);
  const PublishResult publish = broker.publish(0, "c", true, events);  // an auto-create
  CHECK_FALSE(publish.found);
  CHECK(publish.topic_limit_reached);
  CHECK(broker.publish(0, "a", true, events).found);  // existing topics are fine
  Sub s(broker, 0);
  CHECK(broker.subscribe(s.sub, SubscribeRequest{"c", 0, std::nullopt, std::nullopt, true}).status ==
        SubscribeStatus::topic_limit_reached);
  CHECK(broker.delete_topic("b"));
  CHECK(broker.create_topic_status("c") == CreateStatus::created);  // a deletion makes room
  CHECK(broker.topic_count() == 2);
}

TEST_CASE("a subscriber holds at most max_subscriptions topics", "[broker][limits]") {
  Harness h(1);
  for (const char* t : {"a", "b", "c"}) h.broker.create_topic(t);
  Sub s(h.broker, 0);
  auto request = [](std::string_view topic) {
    SubscribeRequest r{topic, 0, std::nullopt, std::nullopt, false};
    r.max_subscriptions = 2;
    return r;
  };
  CHECK(h.broker.subscribe(s.sub, request("a")).status == SubscribeStatus::subscribed);
  CHECK(h.broker.subscribe(s.sub, request("b")).status == SubscribeStatus::subscribed);
  CHECK(h.broker.subscribe(s.sub, request("c")).status == SubscribeStatus::subscription_limit_reached);
  CHECK(h.broker.subscribe(s.sub, request("a")).status == SubscribeStatus::already_subscribed);
  CHECK(h.broker.topic_stats("c")->subscribers == 0);
  CHECK(h.broker.unsubscribe(s.sub, "a"));
  CHECK(h.broker.subscribe(s.sub, request("c")).status == SubscribeStatus::subscribed);
}

TEST_CASE("a subscribe refused at max_subscriptions creates no topic", "[broker][limits]") {
  Harness h(1);
  Sub s(h.broker, 0);
  auto request = [](std::string_view topic, bool create_missing) {
    SubscribeRequest r{topic, 0, std::nullopt, std::nullopt, create_missing};
    r.max_subscriptions = 1;
    return r;
  };
  CHECK(h.broker.subscribe(s.sub, request("a", true)).status == SubscribeStatus::subscribed);
  CHECK(h.broker.subscribe(s.sub, request("new", true)).status == SubscribeStatus::subscription_limit_reached);
  CHECK_FALSE(h.broker.topic_stats("new"));
  CHECK(h.broker.topic_count() == 1);
  // What is held, or does not exist with nothing to create, answers as below the limit.
  CHECK(h.broker.subscribe(s.sub, request("a", true)).status == SubscribeStatus::already_subscribed);
  CHECK(h.broker.subscribe(s.sub, request("missing", false)).status == SubscribeStatus::topic_not_found);
  // Below the limit again, the topic is created.
  CHECK(h.broker.unsubscribe(s.sub, "a"));
  CHECK(h.broker.subscribe(s.sub, request("new", true)).status == SubscribeStatus::subscribed);
  CHECK(h.broker.topic_count() == 2);
}
