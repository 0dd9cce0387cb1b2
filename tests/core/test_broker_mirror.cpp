// Tests of the broker's mirror mode (broker.h, --engine redis): topics
// loaded in a given life, events applied by their external seq (applied,
// duplicate, gap, other life, not loaded), gaps announced with their exact
// count to the subscribers that held the topic before them, lives ended,
// and a topic released only while nobody holds it; and Epoch::parse,
// which reads an epoch another node made.
//
// Shard threads are simulated as in test_broker.cpp: the test drains them.
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <string>
#include <vector>

#include "core/broker.h"
#include "core/fakes.h"

using namespace pubsub::core;
using namespace pubsub::core::testing;

namespace {

using Strings = std::vector<std::string>;

struct Mirror {
  explicit Mirror(std::size_t shards, std::size_t history = 5) : broker(options(shards, history), frames) {
    for (std::size_t i = 0; i < shards; ++i) broker.shard(i).set_wake([] {});
  }
  BrokerOptions options(std::size_t shards, std::size_t history) {
    BrokerOptions out;
    out.history_size = history;
    out.shards = shards;
    out.on_unheld = [this](std::string_view topic) { unheld.emplace_back(topic); };
    return out;
  }
  // Loads `topic` in life `epoch` at `seq`, retaining seqs first..seq.
  bool load(std::string_view topic, const Epoch& epoch, std::uint64_t seq, std::uint64_t first) {
    std::vector<MirroredEvent> history;
    for (std::uint64_t s = first; s <= seq && s > 0; ++s) history.push_back({s, &events});
    return broker.mirror_load(0, topic, epoch, seq, history);
  }
  MirrorOutcome event(std::string_view topic, const Epoch& epoch, std::uint64_t seq) {
    const MirrorOutcome outcome = broker.mirror_event(0, topic, epoch.text(), seq, events);
    broker.shard(0).wake_receivers();
    return outcome;
  }
  void settle() {
    for (std::size_t i = 0; i < broker.shard_count(); ++i) broker.shard(i).drain();
  }

  TestFrames frames;
  TestEvents events;
  Strings unheld;
  Broker broker;
};

const Epoch kLife{42};
const Epoch kOtherLife{43};

}  // namespace

TEST_CASE("an epoch reads back from its text, and nothing else does", "[mirror][epoch]") {
  const Epoch made = Epoch::make();
  REQUIRE(Epoch::parse(made.text()).has_value());
  CHECK(*Epoch::parse(made.text()) == made);
  CHECK(Epoch::parse(kLife.text()) == kLife);
  CHECK_FALSE(Epoch::parse("").has_value());
  CHECK_FALSE(Epoch::parse("AAAAAAAAAA").has_value());    // 10 characters
  CHECK_FALSE(Epoch::parse("AAAAAAAAAAAA").has_value());  // 12
  CHECK_FALSE(Epoch::parse("AAAAA+AAAAA").has_value());   // not base64url
  CHECK_FALSE(Epoch::parse(std::string("AAAAA\0AAAAA", 11)).has_value());
  // The last character carries 4 bits only: one past them is no epoch.
  CHECK(Epoch::parse("AAAAAAAAAAP").has_value());
  CHECK_FALSE(Epoch::parse("AAAAAAAAAAQ").has_value());
}

TEST_CASE("a loaded topic answers subscribes with its life, seq and history", "[mirror]") {
  Mirror m(1);
  CHECK(m.load("t", kLife, 7, 3));        // 3..7 retained
  CHECK_FALSE(m.load("t", kLife, 7, 3));  // the same life: kept
  TestSubscriber sub(m.broker, 0);
  auto r = m.broker.subscribe(sub, SubscribeRequest{"t", 0, 4, std::string(kLife.text()), false});
  REQUIRE(r.status == SubscribeStatus::subscribed);
  CHECK(r.epoch == kLife);
  CHECK(r.seq == 7);
  CHECK(r.recovered == true);
  CHECK(bytes_of(r.replay) == Strings{"ev:t:5", "ev:t:6", "ev:t:7"});
  const auto position = m.broker.mirror_position("t");
  REQUIRE(position.has_value());
  CHECK(position->first == kLife);
  CHECK(position->second == 7);
  CHECK_FALSE(m.broker.mirror_position("other").has_value());
}

TEST_CASE("events apply by their seq: the next one only; duplicates, gaps and other lives are told apart", "[mirror]") {
  Mirror m(GENERATE(1u, 2u));
  m.load("t", kLife, 2, 1);
  TestSubscriber sub(m.broker, m.broker.shard_count() - 1);
  REQUIRE(m.broker.subscribe(sub, "t", 0, false).status == SubscribeStatus::subscribed);
  CHECK(m.event("t", kLife, 3) == MirrorOutcome::applied);
  CHECK(m.event("t", kLife, 3) == MirrorOutcome::duplicate);
  CHECK(m.event("t", kLife, 2) == MirrorOutcome::duplicate);
  std::uint64_t seq = 0;
  CHECK(m.broker.mirror_event(0, "t", kLife.text(), 6, m.events, &seq) == MirrorOutcome::gap);
  CHECK(seq == 3);  // nothing applied past the gap
  CHECK(m.event("t", kOtherLife, 4) == MirrorOutcome::other_life);
  CHECK(m.event("nope", kLife, 1) == MirrorOutcome::not_loaded);
  CHECK(m.event("t", kLife, 4) == MirrorOutcome::applied);
  m.settle();
  CHECK(take(sub) == Strings{"ev:t:3", "ev:t:4"});
}

TEST_CASE("a subscriber awaits an event of a held topic until its shard delivers it, or the gap that lost it",
          "[mirror][await]") {
  Mirror m(2);  // the events come in on shard 0; the subscriber is on shard 1
  m.load("t", kLife, 2, 1);
  TestSubscriber sub(m.broker, 1);
  const SubscriptionIndex& index = m.broker.shard(1).subscriptions();
  CHECK_FALSE(index.awaits_event(sub, "t", 3));  // not held
  REQUIRE(m.broker.subscribe(sub, "t", 0, false).seq == 2);
  CHECK_FALSE(index.awaits_event(sub, "t", 2));  // before its subscription: it came by replay, or not at all
  CHECK(index.awaits_event(sub, "t", 3));
  CHECK_FALSE(index.awaits_event(sub, "other", 3));

  CHECK(m.event("t", kLife, 3) == MirrorOutcome::applied);
  CHECK(index.awaits_event(sub, "t", 3));  // applied by the mirror, not yet delivered on shard 1
  m.broker.shard(1).drain();
  CHECK_FALSE(index.awaits_event(sub, "t", 3));
  CHECK(index.awaits_event(sub, "t", 4));

  // Lost in a gap: the dropped info reaches it in the event's place.
  CHECK(m.broker.mirror_skip("t", kLife.text(), 6) == 3);
  CHECK(index.awaits_event(sub, "t", 5));
  m.settle();
  CHECK_FALSE(index.awaits_event(sub, "t", 5));
  CHECK(take(sub) == Strings{"ev:t:3", "dropped:t:3"});
}

TEST_CASE("a gap the history cannot fill reaches each subscriber that held the topic as its exact count", "[mirror]") {
  Mirror m(GENERATE(1u, 2u));
  m.load("t", kLife, 4, 1);
  TestSubscriber before(m.broker, m.broker.shard_count() - 1);
  REQUIRE(m.broker.subscribe(before, "t", 0, false).status == SubscribeStatus::subscribed);
  CHECK(m.broker.mirror_skip("t", kLife.text(), 9) == 5);  // 5..9 lost
  // Subscribed after the skip: it starts past the gap and is told nothing.
  TestSubscriber after(m.broker, 0);
  REQUIRE(m.broker.subscribe(after, "t", 0, false).seq == 9);
  CHECK(m.event("t", kLife, 10) == MirrorOutcome::applied);
  m.settle();
  CHECK(take(before) == Strings{"dropped:t:5", "ev:t:10"});
  CHECK(take(after) == Strings{"ev:t:10"});
  // Nothing to skip: not mirrored, another life, or already past it.
  CHECK(m.broker.mirror_skip("nope", kLife.text(), 20) == 0);
  CHECK(m.broker.mirror_skip("t", kOtherLife.text(), 20) == 0);
  CHECK(m.broker.mirror_skip("t", kLife.text(), 10) == 0);
}

TEST_CASE("a life ends with topic_deleted for its subscribers; another life replaces it", "[mirror]") {
  Mirror m(1);
  m.load("t", kLife, 1, 1);
  TestSubscriber sub(m.broker, 0);
  m.broker.subscribe(sub, "t", 0, false);
  CHECK_FALSE(m.broker.mirror_end("t", kOtherLife.text()));  // not the mirror's life
  CHECK(m.broker.mirror_end("t", kLife.text()));
  m.settle();
  CHECK(take(sub) == Strings{"deleted:t"});
  CHECK(m.unheld == Strings{"t"});  // its last subscriber left
  CHECK_FALSE(m.broker.mirror_position("t").has_value());

  // Loading another life over a held one ends the held one first.
  m.load("u", kLife, 0, 1);
  TestSubscriber held(m.broker, 0);
  m.broker.subscribe(held, "u", 0, false);
  CHECK(m.load("u", kOtherLife, 3, 1));
  m.settle();
  CHECK(take(held) == Strings{"deleted:u"});
  CHECK(m.broker.mirror_position("u")->first == kOtherLife);
}

TEST_CASE("a topic is released only while no subscription holds it", "[mirror]") {
  Mirror m(2);
  m.load("t", kLife, 0, 1);
  TestSubscriber sub(m.broker, 1);
  m.broker.subscribe(sub, "t", 0, false);
  CHECK_FALSE(m.broker.mirror_release("t"));
  CHECK(m.unheld.empty());
  m.broker.unsubscribe(sub, "t");
  CHECK(m.unheld == Strings{"t"});
  CHECK(m.broker.mirror_release("t"));
  CHECK_FALSE(m.broker.mirror_position("t").has_value());
  CHECK_FALSE(m.broker.mirror_release("t"));
  // Not loaded any more: a subscribe says so, for the node to load it again.
  CHECK(m.broker.subscribe(sub, "t", 0, false).status == SubscribeStatus::topic_not_found);
}
