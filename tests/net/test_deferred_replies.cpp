// Tests of DeferredReplies (deferred_replies.h): replies leave in request
// order, a ready reply waits behind a place still waiting, and a place
// filled twice or never held changes nothing.
#include "net/deferred_replies.h"

#include <catch2/catch_test_macros.hpp>
#include <string>
#include <vector>

using pubsub::net::DeferredReplies;
using Strings = std::vector<std::string>;

namespace {

Strings take(DeferredReplies& line) {
  Strings out;
  line.take_ready([&](std::string_view frame) { out.emplace_back(frame); });
  return out;
}

}  // namespace

TEST_CASE("replies leave in request order, whatever order their answers come in", "[deferred_replies]") {
  DeferredReplies line;
  CHECK(line.empty());
  const auto first = line.reserve();
  const auto second = line.reserve();
  line.append("pong");  // made now, behind both
  const auto third = line.reserve();
  CHECK(line.size() == 4);
  line.fill(second, "ack 2");
  CHECK(take(line).empty());  // the first still waits
  line.fill(first, "ack 1");
  CHECK(take(line) == Strings{"ack 1", "ack 2", "pong"});
  CHECK(line.size() == 1);
  line.fill(third, "ack 3");
  CHECK(take(line) == Strings{"ack 3"});
  CHECK(line.empty());
}

TEST_CASE("filling a place that left the line, or was never held, changes nothing", "[deferred_replies]") {
  DeferredReplies line;
  const auto gone = line.reserve();
  line.fill(gone, "ack");
  CHECK(take(line) == Strings{"ack"});
  line.fill(gone, "again");
  line.fill(gone + 5, "never held");
  CHECK(line.empty());
  const auto next = line.reserve();
  CHECK(next == gone + 1);
  line.fill(next, "ack 2");
  CHECK(take(line) == Strings{"ack 2"});
}
