// Tests of the frames pubsub-bench sends (bench/requests.h): the publish
// frame builder against the bytes pubsub-bench has always sent, and what a
// subscriber reads back out of it.
#include "bench/requests.h"

#include <catch2/catch_test_macros.hpp>
#include <cstdio>
#include <string>

#include "bench/stats.h"
#include "protocol/client_frames.h"

using namespace pubsub::bench;

namespace {

// The publish frame as earlier versions built it, with string operations.
std::string reference_publish(const std::string& topic, std::uint64_t p, std::uint64_t n, std::uint64_t t,
                              std::size_t payload) {
  char id[40];
  std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012llx",
                static_cast<unsigned long long>(((p & 0xFFFF) << 32) | (n & 0xFFFFFFFF)));
  std::string body = R"({"type":"publish","topic":")" + topic + R"(","message":{"id":")" + id +
                     R"(","payload":{"bp":)" + std::to_string(p) + R"(,"bn":)" + std::to_string(n) + R"(,"bt":)" +
                     std::to_string(t) + R"(,"pad":")";
  std::size_t payload_so_far = body.size() - body.find(R"({"bp")") + 3;
  if (payload > payload_so_far) body.append(payload - payload_so_far, 'x');
  body += "\"}}}";
  std::string out;
  append_request_frame(out, body);
  return out;
}

}  // namespace

TEST_CASE("publish frames are the bytes pubsub-bench has always sent, at every size") {
  struct Case {
    std::string topic;
    std::uint64_t p, n, t;
    std::size_t payload;
  };
  const Case cases[] = {
      {"bench-0", 0, 0, 1, 100},
      {"bench-17", 3, 123456, 987654321012345, 100},
      {"t", 65535, 4294967295u, 18446744073709551615u, 0},
      {"bench-999", 70000, 5000000000u, 42, 16384},
      {"long-topic-name-" + std::string(200, 'n'), 7, 8, 9, 70000},
  };
  for (const Case& c : cases) {
    CAPTURE(c.topic.size(), c.p, c.n, c.payload);
    PublishFrameBuilder sized(c.payload);
    std::string out = "before";
    sized.append(out, c.topic, c.p, c.n, c.n, c.t);
    CHECK(out == "before" + reference_publish(c.topic, c.p, c.n, c.t, c.payload));
  }
}

TEST_CASE("a publish's id follows the publisher's own count, its bn the number given") {
  PublishFrameBuilder builder(100);
  std::string out;
  builder.append(out, "bench-4", 2, 0x1234, 7, 555);
  auto frame = pubsub::protocol::read_server_frame(out);
  REQUIRE(frame);
  CHECK(frame->masked);
  const std::string_view body = frame->payload;  // the zero key leaves it readable
  CHECK(body.find(R"("id":"00000000-0000-4000-8000-000200001234")") != std::string_view::npos);
  CHECK(body.find(R"("topic":"bench-4")") != std::string_view::npos);
  // What a subscriber reads out of the event that carries this payload.
  const std::string payload(body.substr(body.find(R"({"bp")"), body.size() - body.find(R"({"bp")") - 2));
  auto fields = read_frame_fields(R"({"type":"event","topic":"bench-4","message":{"id":"x","payload":)" + payload +
                                  R"(},"seq":1,"ts":"2025-01-01T00:00:00.000Z"})");
  REQUIRE(fields);
  CHECK(fields->kind == FrameKind::event);
  CHECK(fields->publisher == 2);
  CHECK(fields->counter == 7);
  CHECK(fields->sent_ns == 555);
}
