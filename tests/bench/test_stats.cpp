// Tests of pubsub-bench's measurement pieces (bench/stats.h).
#include "bench/stats.h"

#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <random>

using namespace pubsub::bench;

TEST_CASE("histogram quantiles are within 1.6 % of the exact values") {
  Histogram h;
  std::vector<std::uint64_t> values;
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(11.0, 1.5);  // around 60 us, long tail
  for (int i = 0; i < 100000; ++i) {
    auto v = static_cast<std::uint64_t>(dist(rng));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  CHECK(h.count() == values.size());
  CHECK(h.max() == values.back());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    double exact = static_cast<double>(values[static_cast<std::size_t>(q * (values.size() - 1))]);
    double got = static_cast<double>(h.quantile(q));
    INFO("q " << q << " exact " << exact << " got " << got);
    CHECK(got >= exact * 0.984);
    CHECK(got <= exact * 1.016 + 1);
  }
  CHECK(h.quantile(1.0) == values.back());
}

TEST_CASE("histogram small values are exact; merge adds counts") {
  Histogram a, b;
  for (std::uint64_t v = 0; v < 64; ++v) a.record(v);
  b.record(1'000'000);
  a.merge(b);
  CHECK(a.count() == 65);
  CHECK(a.quantile(0.0) == 0);
  CHECK(a.quantile(0.5) == 32);
  CHECK(a.max() == 1'000'000);
  CHECK(Histogram{}.quantile(0.99) == 0);
}

TEST_CASE("stream checker counts gaps, duplicates and re-ordering per stream") {
  StreamChecker c;
  for (std::uint64_t n : {0, 1, 2, 3}) c.see(1, n);
  for (std::uint64_t n : {10, 11}) c.see(2, n);  // a stream may start anywhere
  CHECK(c.gaps() == 0);
  CHECK(c.duplicates() == 0);
  CHECK(c.reordered() == 0);
  c.see(1, 6);  // 4 and 5 missing
  CHECK(c.gaps() == 2);
  c.see(1, 6);
  CHECK(c.duplicates() == 1);
  c.see(1, 2);
  CHECK(c.reordered() == 1);
  c.see(2, 12);
  CHECK(c.gaps() == 2);
}

TEST_CASE("frame fields are read wherever the server puts them") {
  auto ours = read_frame_fields(
      R"({"type":"event","topic":"t","message":{"id":"x","payload":{"bp":3,"bn":42,"bt":123456789,"pad":"xx"}},"seq":43,"ts":"z"})");
  REQUIRE(ours);
  CHECK(ours->kind == FrameKind::event);
  CHECK(ours->publisher == 3);
  CHECK(ours->counter == 42);
  CHECK(ours->sent_ns == 123456789);
  auto reordered = read_frame_fields(R"({"seq":1,"message":{"payload":{"bt":9,"bn":8,"bp":7}},"type": "event"})");
  REQUIRE(reordered);
  CHECK(reordered->publisher == 7);
  CHECK(reordered->counter == 8);
  CHECK(read_frame_fields(R"({"type":"ack","topic":"t","status":"ok"})")->kind == FrameKind::ack);
  CHECK(read_frame_fields(R"({"type":"error","error":{"code":"X"}})")->kind == FrameKind::error);
  auto dropped = read_frame_fields(R"({"type":"info","topic":"t","msg":"dropped","dropped":17})");
  CHECK(dropped->kind == FrameKind::dropped_info);
  CHECK(dropped->dropped == 17);
  CHECK(read_frame_fields(R"({"type":"info","msg":"ping"})")->kind == FrameKind::other);
  CHECK_FALSE(read_frame_fields("garbage"));
  auto foreign = read_frame_fields(R"({"type":"event","message":{"payload":1}})");
  CHECK(foreign->sent_ns == 0);
}
