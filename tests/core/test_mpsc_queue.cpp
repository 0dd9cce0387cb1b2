// Tests of the lock-free MPSC queue (mpsc_queue.h) and of the broker under
// real threads: several producers against one consumer, and two shard
// threads that publish to one topic while draining each other's events.
//
// Catch2 assertions are not thread-safe: worker threads only record what
// they saw, and the test thread asserts after joining them.
#include "core/mpsc_queue.h"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/broker.h"
#include "core/fakes.h"

using namespace pubsub::core;
using namespace pubsub::core::testing;

namespace {

struct Node : MpscNode {
  int producer = 0;
  int counter = 0;
};

Node* pop_node(MpscQueue& q) { return static_cast<Node*>(q.pop()); }

}  // namespace

TEST_CASE("MpscQueue is FIFO on one thread", "[mpsc]") {
  MpscQueue q;
  CHECK(q.pop() == nullptr);
  std::vector<Node> nodes(5);
  for (int i = 0; i < 5; ++i) nodes[static_cast<std::size_t>(i)].counter = i;

  q.push(&nodes[0]);
  CHECK(pop_node(q) == &nodes[0]);  // a single node comes back out
  CHECK(q.pop() == nullptr);

  for (auto& n : nodes) q.push(&n);
  for (int i = 0; i < 3; ++i) CHECK(pop_node(q)->counter == i);
  q.push(&nodes[0]);  // a popped node may be pushed again
  CHECK(pop_node(q)->counter == 3);
  CHECK(pop_node(q)->counter == 4);
  CHECK(pop_node(q) == &nodes[0]);
  CHECK(q.pop() == nullptr);
  CHECK(q.pop() == nullptr);

  // Alternating pushes and pops through the stub node.
  for (int round = 0; round < 10; ++round) {
    q.push(&nodes[1]);
    q.push(&nodes[2]);
    CHECK(pop_node(q) == &nodes[1]);
    CHECK(pop_node(q) == &nodes[2]);
    CHECK(q.pop() == nullptr);
  }
}

TEST_CASE("MpscQueue delivers every node exactly once, in order per producer", "[mpsc][concurrency]") {
  constexpr int kProducers = 4;
  constexpr int kPerProducer = 100000;
  std::vector<std::unique_ptr<Node[]>> nodes;
  for (int p = 0; p < kProducers; ++p) {
    nodes.push_back(std::make_unique<Node[]>(kPerProducer));
    for (int i = 0; i < kPerProducer; ++i) {
      nodes.back()[i].producer = p;
      nodes.back()[i].counter = i;
    }
  }

  MpscQueue q;
  std::atomic<bool> go{false};
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      for (int i = 0; i < kPerProducer; ++i) q.push(&nodes[static_cast<std::size_t>(p)][i]);
    });
  }

  std::vector<int> next(kProducers, 0);  // the counter expected next from each producer
  long out_of_order = 0;
  long received = 0;
  go.store(true, std::memory_order_release);
  while (received < kProducers * kPerProducer) {
    Node* n = pop_node(q);
    if (n == nullptr) {
      std::this_thread::yield();
      continue;
    }
    ++received;
    int& expected = next[static_cast<std::size_t>(n->producer)];
    if (n->counter != expected) ++out_of_order;
    expected = n->counter + 1;
  }
  for (auto& t : producers) t.join();

  CHECK(out_of_order == 0);
  CHECK(next == std::vector<int>(kProducers, kPerProducer));
  CHECK(q.pop() == nullptr);  // nothing extra
}

namespace {

// What one subscriber saw; written by its shard thread only.
struct Watch {
  Watch(Broker& broker, std::size_t shard) : sub(broker, shard) {}

  // Takes every queued frame and checks it continues the sequence.
  void consume() {
    while (OutboundRef f = sub.pop()) {
      const std::uint64_t seq = f->is_event() ? f->event()->seq() : 0;
      if (!f->is_event() || f->bytes() != "ev:t:" + std::to_string(seq)) ++malformed;
      if (last != 0 && seq != last + 1) ++gaps;
      if (first == 0) first = seq;
      last = seq;
      ++count;
      sub.written(*f);
    }
  }

  TestSubscriber sub;
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  std::uint64_t count = 0;
  long gaps = 0;
  long malformed = 0;
};

}  // namespace

TEST_CASE("two shard threads publish to one topic and every subscriber sees every seq in order",
          "[broker][concurrency]") {
  // true: a shard drains only when woken, which also tests the wake protocol.
  const bool drain_only_when_woken = GENERATE(false, true);
  constexpr std::size_t kShards = 2;
  constexpr int kBatches = 1000;
  constexpr int kBatchSize = 10;
  constexpr std::uint64_t kTotal = kShards * kBatches * kBatchSize;

  TestFrames frames;
  TestEvents events;
  Broker broker(BrokerOptions{16, kShards, QueueLimits{kTotal * 2, 1u << 30, OverflowPolicy::drop_oldest}}, frames);
  std::atomic<bool> woken[kShards] = {false, false};
  std::atomic<int> wake_calls{0};
  for (std::size_t i = 0; i < kShards; ++i) {
    broker.shard(i).set_wake([&woken, &wake_calls, i] {
      wake_calls.fetch_add(1, std::memory_order_relaxed);
      woken[i].store(true, std::memory_order_release);
    });
  }
  REQUIRE(broker.create_topic("t"));

  // Subscribed before the threads start (thread creation orders it).
  std::vector<std::unique_ptr<Watch>> early;
  for (std::size_t i = 0; i < kShards; ++i) {
    for (int k = 0; k < 2; ++k) {
      early.push_back(std::make_unique<Watch>(broker, i));
      REQUIRE(broker.subscribe(early.back()->sub, "t", 0, false).status == SubscribeStatus::subscribed);
    }
  }
  // Joined by each shard thread half way through, on its own thread.
  std::vector<std::unique_ptr<Watch>> late(kShards);
  std::atomic<int> publishers_done{0};
  std::atomic<bool> stalled{false};

  auto shard_thread = [&](std::size_t me) {
    std::vector<Watch*> mine;
    for (auto& w : early) {
      if (w->sub.shard_index() == me) mine.push_back(w.get());
    }
    auto catch_up = [&] {
      broker.shard(me).wake_receivers();  // the end of this shard's pass
      if (!drain_only_when_woken || woken[me].exchange(false, std::memory_order_acq_rel)) broker.shard(me).drain();
      for (Watch* w : mine) w->consume();
    };
    for (int b = 0; b < kBatches; ++b) {
      for (int k = 0; k < kBatchSize; ++k) broker.publish(me, "t", false, events);
      catch_up();
      if (b == kBatches / 2) {
        late[me] = std::make_unique<Watch>(broker, me);
        Watch& w = *late[me];
        auto result = broker.subscribe(w.sub, "t", 5, false);
        // Like the server: the replay goes first, then live events follow.
        for (const EventRef& e : result.replay) w.sub.push_replay(OutboundRef(Outbound::of_event(e)));
        w.consume();
        mine.push_back(&w);
      }
    }
    publishers_done.fetch_add(1, std::memory_order_acq_rel);
    // Keep draining until every local subscriber has the last seq.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);  // a hang guard only
    for (;;) {
      catch_up();
      bool all_done = publishers_done.load(std::memory_order_acquire) == static_cast<int>(kShards);
      for (Watch* w : mine) all_done = all_done && w->last == kTotal;
      if (all_done) break;
      if (std::chrono::steady_clock::now() > deadline) {
        stalled.store(true);
        break;
      }
      std::this_thread::yield();
    }
  };

  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < kShards; ++i) threads.emplace_back(shard_thread, i);
  for (auto& t : threads) t.join();

  CAPTURE(drain_only_when_woken);
  REQUIRE_FALSE(stalled.load());
  for (auto& w : early) {
    CHECK(w->first == 1);
    CHECK(w->last == kTotal);
    CHECK(w->count == kTotal);
    CHECK(w->gaps == 0);
    CHECK(w->malformed == 0);
  }
  for (auto& w : late) {
    REQUIRE(w);
    CHECK(w->first > 1);  // joined mid-stream, with a replay
    CHECK(w->last == kTotal);
    CHECK(w->count == kTotal - w->first + 1);
    CHECK(w->gaps == 0);
    CHECK(w->malformed == 0);
    CHECK(w->sub.dropped_total() == 0);
  }
  auto stats = broker.topic_stats("t");
  REQUIRE(stats.has_value());
  CHECK(stats->messages == kTotal);
  CHECK(stats->subscribers == static_cast<std::int64_t>(early.size() + late.size()));
  CHECK(stats->dropped == 0);
  CHECK(wake_calls.load() > 0);  // events did cross shards
  late.clear();                  // destroyed after their threads are gone: joined, so ordered
  early.clear();
  CHECK(broker.subscription_count() == 0);
}
