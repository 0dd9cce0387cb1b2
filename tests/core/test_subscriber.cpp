// Tests of a subscriber's bounded outbound queue (subscriber.h): ordering,
// in-flight accounting, request flow control and both overflow policies
// (drop_oldest with its dropped notices, disconnect with SLOW_CONSUMER).
// Events come from real publishes on a Broker driven on the test thread.
#include "core/subscriber.h"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/broker.h"
#include "core/fakes.h"

using namespace pubsub::core;
using namespace pubsub::core::testing;

namespace {

// A broker with the given queue limits whose subscriber lives on the last
// shard, while publishes come from shard 0: with 2 shards every event
// crosses shards, with 1 it is delivered inline.
struct Rig {
  Rig(std::size_t shards, QueueLimits limits)
      : broker(BrokerOptions{100, shards, limits}, frames), sub(broker, shards - 1, [this] { ++ready; }) {
    for (std::size_t i = 0; i < shards; ++i) broker.shard(i).set_wake([] {});
    for (const char* t : {"t", "u"}) {
      broker.create_topic(t);
      broker.subscribe(sub, t, 0, false);
    }
  }

  // Publishes `n` events on `topic` and lets the subscriber's shard catch up.
  void publish(std::string_view topic, int n = 1) {
    for (int i = 0; i < n; ++i) broker.publish(0, topic, false, events);
    broker.shard(0).wake_receivers();
    sub.shard().drain();
  }
  void control(std::string bytes) { sub.push_control(Outbound::control(bytes)); }
  // Pops every frame, reporting each written.
  std::vector<std::string> take() { return testing::take(sub); }

  TestFrames frames;
  TestEvents events;
  Broker broker;
  int ready = 0;
  TestSubscriber sub;
};

QueueLimits frames_limit(std::size_t n, OverflowPolicy policy = OverflowPolicy::drop_oldest) {
  return QueueLimits{n, 1 << 20, policy};
}
QueueLimits bytes_limit(std::size_t n, OverflowPolicy policy = OverflowPolicy::drop_oldest) {
  return QueueLimits{1000, n, policy};
}

using Strings = std::vector<std::string>;

// Checks the drop_oldest promise on a stream of popped frames: between two
// delivered events of a topic, at most one `dropped` notice, and its count
// equals exactly the seqs skipped.
void check_drop_notices(const Strings& frames) {
  std::map<std::string, std::uint64_t> last_seq;
  std::map<std::string, std::vector<std::uint64_t>> notices;
  for (const std::string& f : frames) {
    CAPTURE(f);
    if (f.starts_with("dropped:")) {
      auto colon = f.find(':', 8);
      notices[f.substr(8, colon - 8)].push_back(std::stoull(f.substr(colon + 1)));
    } else if (f.starts_with("ev:")) {
      auto colon = f.find(':', 3);
      std::string topic = f.substr(3, colon - 3);
      std::uint64_t seq = std::stoull(f.substr(colon + 1));
      std::uint64_t missed = seq - last_seq[topic] - 1;
      auto& pending = notices[topic];
      if (missed == 0) {
        CHECK(pending.empty());
      } else {
        REQUIRE(pending.size() == 1);
        CHECK(pending.front() == missed);
      }
      pending.clear();
      last_seq[topic] = seq;
    }
  }
}

}  // namespace

TEST_CASE("a new subscriber is idle and wants requests", "[subscriber]") {
  Rig rig(GENERATE(1u, 2u), QueueLimits{});
  TestSubscriber fresh(rig.broker, 0);
  CHECK(fresh.idle());
  CHECK(fresh.queued_frames() == 0);
  CHECK(fresh.queued_bytes() == 0);
  CHECK(fresh.wants_requests());
  CHECK_FALSE(fresh.overflowed());
  CHECK(fresh.pop() == nullptr);
  CHECK(fresh.topic_count() == 0);
  CHECK(fresh.dropped_total() == 0);
  CHECK(fresh.shard_index() == 0);
  fresh.push_control(Outbound::control("x"));  // no on_ready set: fine
  CHECK(fresh.queued_frames() == 1);
  CHECK(rig.sub.shard_index() == rig.broker.options().shards - 1);
}

TEST_CASE("below the bounds every frame is queued in order under both policies", "[subscriber]") {
  auto policy = GENERATE(OverflowPolicy::drop_oldest, OverflowPolicy::disconnect);
  Rig rig(GENERATE(1u, 2u), frames_limit(10, policy));
  rig.control("ack");
  rig.publish("t", 2);
  rig.control("pong");
  rig.publish("u");
  CHECK(rig.sub.queued_frames() == 5);
  CHECK_FALSE(rig.sub.overflowed());
  CHECK(rig.take() == Strings{"ack", "ev:t:1", "ev:t:2", "pong", "ev:u:1"});
  CHECK(rig.sub.idle());
  CHECK(rig.sub.dropped_total() == 0);
}

TEST_CASE("on_ready fires when the queue goes from empty to non-empty, and for every reply", "[subscriber]") {
  Rig rig(GENERATE(1u, 2u), QueueLimits{});
  CHECK(rig.ready == 0);
  rig.control("a");
  CHECK(rig.ready == 1);
  CHECK(rig.sub.last_ready_was_reply);
  rig.control("b");  // a reply is announced even into a non-empty queue: it is not delayed
  CHECK(rig.ready == 2);
  rig.publish("t", 3);  // events into a non-empty queue: nothing new to announce
  CHECK(rig.ready == 2);
  CHECK(rig.take().size() == 5);
  rig.publish("t");
  CHECK(rig.ready == 3);
  CHECK_FALSE(rig.sub.last_ready_was_reply);  // an event may wait for the shard's next event write
  // A popped but unwritten frame does not keep the queue "non-empty".
  OutboundRef f = rig.sub.pop();
  rig.publish("u");
  CHECK(rig.ready == 4);
  rig.sub.written(*f);
}

TEST_CASE("popped frames count against the bounds until written", "[subscriber]") {
  Rig rig(1, QueueLimits{});
  rig.control("a");
  rig.control("bb");
  rig.control("ccc");
  CHECK(rig.sub.queued_frames() == 3);
  CHECK(rig.sub.queued_bytes() == 6);
  OutboundRef first = rig.sub.pop();
  REQUIRE(first);
  CHECK(first->bytes() == "a");
  CHECK(rig.sub.queued_frames() == 3);  // in flight
  CHECK(rig.sub.queued_bytes() == 6);
  OutboundRef second = rig.sub.pop();
  CHECK(rig.sub.queued_frames() == 3);
  rig.sub.written(*first);
  CHECK(rig.sub.queued_frames() == 2);
  CHECK(rig.sub.queued_bytes() == 5);
  rig.sub.written(*second);
  CHECK(rig.sub.queued_frames() == 1);
  CHECK(rig.sub.queued_bytes() == 3);
  CHECK_FALSE(rig.sub.idle());
  OutboundRef third = rig.sub.pop();
  CHECK(rig.sub.pop() == nullptr);
  CHECK_FALSE(rig.sub.idle());  // still in flight
  rig.sub.written(*third);
  CHECK(rig.sub.idle());
  CHECK(rig.sub.queued_bytes() == 0);
}

TEST_CASE("wants_requests turns false at the bounds and back after written", "[subscriber][flow]") {
  auto policy = GENERATE(OverflowPolicy::drop_oldest, OverflowPolicy::disconnect);
  SECTION("frame bound") {
    Rig rig(1, frames_limit(3, policy));
    rig.control("a");
    rig.control("b");
    CHECK(rig.sub.wants_requests());
    rig.control("c");
    CHECK_FALSE(rig.sub.wants_requests());  // 3 of 3
    OutboundRef f = rig.sub.pop();
    CHECK_FALSE(rig.sub.wants_requests());  // still in flight
    rig.sub.written(*f);
    CHECK(rig.sub.wants_requests());
  }
  SECTION("byte bound") {
    Rig rig(1, bytes_limit(10, policy));
    rig.control("12345");
    CHECK(rig.sub.wants_requests());
    rig.control("1234");
    CHECK(rig.sub.wants_requests());  // 9 of 10
    rig.control("1");
    CHECK_FALSE(rig.sub.wants_requests());  // 10 of 10
    OutboundRef f = rig.sub.pop();
    CHECK_FALSE(rig.sub.wants_requests());
    rig.sub.written(*f);
    CHECK(rig.sub.wants_requests());
  }
}

TEST_CASE("control frames are never dropped, even past the bounds", "[subscriber][flow]") {
  auto policy = GENERATE(OverflowPolicy::drop_oldest, OverflowPolicy::disconnect);
  Rig rig(1, frames_limit(2, policy));
  for (int i = 0; i < 5; ++i) rig.control("c" + std::to_string(i));
  CHECK(rig.sub.queued_frames() == 5);
  CHECK_FALSE(rig.sub.overflowed());
  CHECK(rig.take() == Strings{"c0", "c1", "c2", "c3", "c4"});
}

// ------------------------------------------------------------------ drop_oldest

TEST_CASE("drop_oldest keeps the newest events and reports the drops", "[subscriber][drop_oldest]") {
  Rig rig(GENERATE(1u, 2u), frames_limit(3));
  rig.publish("t", 6);
  CHECK(rig.sub.queued_frames() == 3);
  CHECK(rig.sub.dropped_total() == 3);
  CHECK(rig.broker.topic_stats("t")->dropped == 3);
  CHECK(rig.broker.topic_stats("u")->dropped == 0);
  // The notice comes right before the next event of the topic.
  CHECK(rig.take() == Strings{"dropped:t:3", "ev:t:4", "ev:t:5", "ev:t:6"});
  // Later drops are counted afresh.
  rig.publish("t", 4);
  CHECK(rig.take() == Strings{"dropped:t:1", "ev:t:8", "ev:t:9", "ev:t:10"});
  CHECK(rig.sub.dropped_total() == 4);
  CHECK(rig.broker.topic_stats("t")->dropped == 4);
}

TEST_CASE("a dropped event is freed by its shard's release_dropped, after the pass's writes",
          "[subscriber][drop_oldest]") {
  const std::size_t shards = GENERATE(1u, 2u);
  TestFrames frames;
  TestEvents events;
  Broker broker(BrokerOptions{1, shards, frames_limit(1)}, frames);
  for (std::size_t i = 0; i < shards; ++i) broker.shard(i).set_wake([] {});
  TestSubscriber sub(broker, shards - 1, [] {});
  REQUIRE(broker.create_topic("t"));
  broker.subscribe(sub, "t", 0, false);
  broker.publish(0, "t", false, events);
  broker.shard(shards - 1).drain();
  // A replay hands out the history's (one slot) reference to ev:t:1.
  TestSubscriber watcher(broker, 0, [] {});
  EventRef first = broker.subscribe(watcher, "t", 1, false).replay.at(0);
  // ev:t:2 evicts ev:t:1 from the history and makes `sub` drop it.
  broker.publish(0, "t", false, events);
  broker.shard(0).wake_receivers();
  broker.shard(shards - 1).drain();
  REQUIRE(sub.dropped_total() == 1);
  CHECK(first->references() == 2);  // the dropped one is held until the end of the loop pass
  broker.shard(shards - 1).release_dropped();
  CHECK(first->references() == 1);  // only ours is left
  OutboundRef notice = sub.pop();
  REQUIRE(notice);
  CHECK(notice->bytes() == "dropped:t:1");
}

TEST_CASE("drops on every shard add up in the topic's count", "[subscriber][drop_oldest]") {
  TestFrames frames;
  TestEvents events;
  Broker broker(BrokerOptions{0, 2, frames_limit(1)}, frames);
  for (std::size_t i = 0; i < 2; ++i) broker.shard(i).set_wake([] {});
  TestSubscriber on_0(broker, 0, [] {});
  TestSubscriber on_1(broker, 1, [] {});
  REQUIRE(broker.create_topic("t"));
  broker.subscribe(on_0, "t", 0, false);
  broker.subscribe(on_1, "t", 0, false);
  for (int i = 0; i < 4; ++i) broker.publish(0, "t", false, events);
  broker.shard(1).drain();
  CHECK(on_0.dropped_total() == 3);
  CHECK(on_1.dropped_total() == 3);
  CHECK(broker.topic_stats("t")->dropped == 6);
  CHECK(broker.all_topics().at(0).dropped == 6);
}

TEST_CASE("drop_oldest counts drops per topic", "[subscriber][drop_oldest]") {
  Rig rig(GENERATE(1u, 2u), frames_limit(2));
  SECTION("interleaved topics") {
    rig.publish("t");
    rig.publish("u");
    rig.publish("t");
    rig.publish("u");
    CHECK(rig.take() == Strings{"dropped:t:1", "ev:t:2", "dropped:u:1", "ev:u:2"});
    CHECK(rig.broker.topic_stats("t")->dropped == 1);
    CHECK(rig.broker.topic_stats("u")->dropped == 1);
  }
  SECTION("only the topic that lost events gets a notice") {
    rig.publish("t", 3);
    rig.publish("u");
    CHECK(rig.take() == Strings{"dropped:t:2", "ev:t:3", "ev:u:1"});
    CHECK(rig.broker.topic_stats("t")->dropped == 2);
    CHECK(rig.broker.topic_stats("u")->dropped == 0);
    CHECK(rig.sub.dropped_total() == 2);
  }
}

TEST_CASE("drop_oldest drops events but never control frames", "[subscriber][drop_oldest]") {
  Rig rig(GENERATE(1u, 2u), frames_limit(3));
  rig.control("ack1");
  rig.publish("t");
  rig.control("ack2");
  rig.publish("t", 3);
  // ack1, ack2 and the newest event survive; only events were dropped.
  CHECK(rig.take() == Strings{"ack1", "ack2", "dropped:t:3", "ev:t:4"});
  CHECK(rig.broker.topic_stats("t")->dropped == 3);
}

TEST_CASE("drop_oldest always keeps the newest event", "[subscriber][drop_oldest]") {
  Rig rig(1, frames_limit(1));
  rig.control("ack");
  rig.publish("t", 3);
  CHECK(rig.sub.queued_frames() == 2);  // over the bound: nothing else may go
  CHECK(rig.take() == Strings{"ack", "dropped:t:2", "ev:t:3"});
}

TEST_CASE("drop_oldest enforces the byte bound", "[subscriber][drop_oldest][bytes]") {
  Rig rig(GENERATE(1u, 2u), bytes_limit(25));
  rig.events.width = 10;
  rig.publish("t", 3);
  CHECK(rig.sub.queued_bytes() == 20);
  CHECK(rig.sub.queued_frames() == 2);
  CHECK(rig.sub.dropped_total() == 1);
  SECTION("the queue stays within the bound") {
    CHECK(rig.take() == Strings{"dropped:t:1", "ev:t:2....", "ev:t:3...."});
  }
  SECTION("an event larger than the bound replaces everything before it") {
    rig.events.width = 40;
    rig.publish("t");
    CHECK(rig.sub.queued_frames() == 1);
    CHECK(rig.sub.queued_bytes() == 40);
    CHECK(rig.broker.topic_stats("t")->dropped == 3);
    auto frames = rig.take();
    REQUIRE(frames.size() == 2);
    CHECK(frames[0] == "dropped:t:3");
    CHECK(frames[1].starts_with("ev:t:4."));
    CHECK(frames[1].size() == 40);
  }
}

TEST_CASE("in-flight frames count against the drop bound", "[subscriber][drop_oldest]") {
  Rig rig(1, frames_limit(2));
  rig.publish("t", 2);
  OutboundRef writing = rig.sub.pop();
  REQUIRE(writing->bytes() == "ev:t:1");
  rig.publish("t");  // 1 in flight + 2 queued > 2: ev:t:2 goes
  CHECK(rig.sub.queued_frames() == 2);
  rig.sub.written(*writing);
  CHECK(rig.take() == Strings{"dropped:t:1", "ev:t:3"});
}

TEST_CASE("drop notices stay exact when events keep arriving", "[subscriber][drop_oldest]") {
  Rig rig(GENERATE(1u, 2u), frames_limit(3));
  Strings seen;
  for (int round = 0; round < 20; ++round) {
    rig.publish(round % 3 == 0 ? "u" : "t", round % 5 + 1);
    // The writer takes one frame per round.
    if (OutboundRef f = rig.sub.pop()) {
      seen.emplace_back(f->bytes());
      rig.sub.written(*f);
    }
  }
  for (auto& f : rig.take()) seen.push_back(f);
  CAPTURE(seen);
  check_drop_notices(seen);
}

// A notice handed to the writer must not be followed by a second notice
// before the event it announced: the count has to cover every seq missed.
TEST_CASE("a drop while a notice is being written still gives one exact notice", "[subscriber][drop_oldest][bug]") {
  Rig rig(1, frames_limit(2));
  rig.publish("t", 3);  // [2, 3], 1 dropped
  Strings seen;
  OutboundRef notice = rig.sub.pop();
  REQUIRE(notice->bytes() == "dropped:t:1");
  seen.emplace_back(notice->bytes());
  // While the notice is being written, another event arrives.
  rig.publish("t");
  rig.sub.written(*notice);
  for (auto& f : rig.take()) seen.push_back(f);
  CAPTURE(seen);
  check_drop_notices(seen);
  CHECK(rig.broker.topic_stats("t")->dropped == 2);
}

// ------------------------------------------------------------------ disconnect

TEST_CASE("disconnect replaces the queue with the slow_consumer frame", "[subscriber][disconnect]") {
  Rig rig(GENERATE(1u, 2u), frames_limit(2, OverflowPolicy::disconnect));
  rig.control("ack");
  rig.publish("t");
  CHECK_FALSE(rig.sub.overflowed());
  rig.publish("t");  // 3 frames > 2
  CHECK(rig.sub.overflowed());
  CHECK(rig.sub.queued_frames() == 1);
  CHECK(rig.sub.queued_bytes() == 4);
  CHECK_FALSE(rig.sub.wants_requests());

  // Nothing is accepted after it.
  rig.publish("t", 5);
  rig.publish("u");
  rig.control("late ack");
  CHECK(rig.sub.queued_frames() == 1);
  CHECK(rig.take() == Strings{"slow"});
  CHECK(rig.sub.idle());
  CHECK(rig.sub.overflowed());
  CHECK_FALSE(rig.sub.wants_requests());
  // Disconnecting is not dropping.
  CHECK(rig.sub.dropped_total() == 0);
  CHECK(rig.broker.topic_stats("t")->dropped == 0);
}

TEST_CASE("disconnect wakes the writer when it overflows with an empty queue", "[subscriber][disconnect]") {
  Rig rig(1, frames_limit(1, OverflowPolicy::disconnect));
  rig.publish("t");
  OutboundRef writing = rig.sub.pop();  // queue empty, one in flight
  int ready_before = rig.ready;
  rig.publish("t");  // 2 > 1
  CHECK(rig.sub.overflowed());
  CHECK(rig.ready > ready_before);      // the writer must come for the error
  CHECK(rig.sub.queued_frames() == 2);  // the in-flight frame and the error
  CHECK_FALSE(rig.sub.idle());
  rig.sub.written(*writing);
  CHECK(rig.take() == Strings{"slow"});
  CHECK(rig.sub.idle());
}

TEST_CASE("disconnect enforces the byte bound", "[subscriber][disconnect][bytes]") {
  Rig rig(GENERATE(1u, 2u), bytes_limit(25, OverflowPolicy::disconnect));
  rig.events.width = 10;
  rig.publish("t", 2);
  CHECK_FALSE(rig.sub.overflowed());
  rig.publish("t");  // 30 bytes > 25
  CHECK(rig.sub.overflowed());
  CHECK(rig.take() == Strings{"slow"});
}

// ------------------------------------------------------------------ the decision

TEST_CASE("the overflow decision is reported once per subscriber; disconnect frees its subscriptions at once",
          "[subscriber][disconnect][drop_oldest]") {
  const auto policy = GENERATE(OverflowPolicy::drop_oldest, OverflowPolicy::disconnect);
  const std::size_t shards = GENERATE(1u, 2u);
  TestFrames frames;
  TestEvents events;
  Broker broker(BrokerOptions{100, shards, frames_limit(2, policy)}, frames);
  for (std::size_t i = 0; i < shards; ++i) broker.shard(i).set_wake([] {});
  std::vector<OverflowPolicy> decisions;
  TestSubscriber slow(broker, shards - 1, [] {}, [&](OverflowPolicy p) { decisions.push_back(p); });
  TestSubscriber healthy(broker, shards - 1, [] {});
  for (const char* t : {"t", "u"}) {
    broker.create_topic(t);
    broker.subscribe(slow, t, 0, false);
    broker.subscribe(healthy, t, 0, false);
  }
  REQUIRE(broker.subscription_count() == 4);
  for (int i = 0; i < 10; ++i) {
    broker.publish(0, i % 2 ? "t" : "u", false, events);
    broker.shard(shards - 1).drain();
    while (OutboundRef f = healthy.pop()) healthy.written(*f);  // healthy keeps up
  }
  CHECK(decisions == std::vector<OverflowPolicy>{policy});
  if (policy == OverflowPolicy::disconnect) {
    CHECK(slow.overflowed());
    CHECK(slow.topic_count() == 0);
    CHECK(broker.subscription_count() == 2);  // only the healthy one is left
    CHECK(broker.topic_stats("t")->subscribers == 1);
  } else {
    CHECK_FALSE(slow.overflowed());
    CHECK(slow.topic_count() == 2);
    CHECK(broker.subscription_count() == 4);
    CHECK(slow.dropped_total() == 8);
  }
}
