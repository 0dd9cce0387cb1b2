// Tests of the subscriber's FIFO (frame_queue.h): order through pops,
// compaction and erasure, and no memory held once drained.
#include "core/frame_queue.h"

#include <catch2/catch_test_macros.hpp>

#include <string>
#include <vector>

#include "core/event.h"
#include "core/topic.h"

using namespace pubsub::core;

namespace {

QueuedFrame frame(int n) { return {Outbound::control(std::to_string(n)), false}; }

std::vector<std::string> contents(const FrameQueue& queue) {
  std::vector<std::string> out;
  for (const QueuedFrame& f : queue) out.emplace_back(f.frame->bytes());
  return out;
}

}  // namespace

TEST_CASE("Frames leave in the order they came, across many compactions") {
  FrameQueue queue;
  int pushed = 0, popped = 0;
  // Keep 10 frames queued while 1000 pass through: the consumed prefix is
  // reclaimed again and again without a full drain.
  for (; pushed < 10; ++pushed) queue.push_back(frame(pushed));
  for (; pushed < 1000; ++pushed) {
    queue.push_back(frame(pushed));
    REQUIRE(queue.front().frame->bytes() == std::to_string(popped++));
    queue.pop_front();
    REQUIRE(queue.size() == 10);
  }
  while (!queue.empty()) {
    REQUIRE(queue.front().frame->bytes() == std::to_string(popped++));
    queue.pop_front();
  }
  CHECK(popped == 1000);
}

TEST_CASE("Erasing from the middle keeps the others in order") {
  FrameQueue queue;
  for (int i = 0; i < 5; ++i) queue.push_back(frame(i));
  queue.pop_front();  // 0
  auto it = queue.begin();
  ++it;  // 2
  queue.erase(it);
  CHECK(contents(queue) == std::vector<std::string>{"1", "3", "4"});
  CHECK(queue.size() == 3);
}

TEST_CASE("Erasing the front is a pop") {
  FrameQueue queue;
  for (int i = 0; i < 3; ++i) queue.push_back(frame(i));
  auto next = queue.erase(queue.begin());
  REQUIRE(next != queue.end());
  CHECK(next->frame->bytes() == "1");
  CHECK(contents(queue) == std::vector<std::string>{"1", "2"});
  queue.erase(queue.begin());
  queue.erase(queue.begin());
  CHECK(queue.empty());
  queue.push_back(frame(9));
  CHECK(contents(queue) == std::vector<std::string>{"9"});
}

TEST_CASE("A popped slot releases its frame; a cleared queue is empty and reusable") {
  FrameQueue queue;
  TopicRef topic = Topic::make("t", 0, 1);
  EventRef watched = Event::make(topic, 1, "watched");
  queue.push_back({OutboundRef(Outbound::of_event(watched)), false});
  for (int i = 0; i < 5000; ++i) queue.push_back(frame(i));
  CHECK(watched->references() == 2);
  queue.pop_front();
  CHECK(watched->references() == 1);  // a popped slot does not keep its frame
  queue.clear();
  CHECK(queue.empty());
  CHECK(queue.begin() == queue.end());
  queue.push_back(frame(7));
  CHECK(contents(queue) == std::vector<std::string>{"7"});
}
