// Unit tests of the metrics primitives (src/metrics): per-thread counters
// and histograms summed at scrape time, the Prometheus text format, and
// the process figures read from /proc.
#include <unistd.h>

#include <array>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <chrono>
#include <limits>
#include <optional>
#include <thread>

#include "metrics/counter.h"
#include "metrics/exposition.h"
#include "metrics/histogram.h"
#include "metrics/process.h"

using namespace pubsub::metrics;
using Catch::Matchers::ContainsSubstring;

namespace {

constexpr std::array<std::uint64_t, 3> kBounds{10, 100, 1000};

}  // namespace

TEST_CASE("a thread counter sums what its writer adds; readers on other threads see it") {
  ThreadCounter counter;
  std::thread writer([&] {
    for (int i = 0; i < 100000; ++i) counter.add();
    counter.add(5);
  });
  writer.join();
  CHECK(counter.value() == 100005);
}

TEST_CASE("histograms: a value falls in the first bucket whose bound is >= it; snapshots add up") {
  ThreadHistogram a(kBounds), b(kBounds);
  for (std::uint64_t v : {0, 10, 11, 100, 999, 1000, 1001, 5000}) a.observe(v);
  b.observe(50);
  HistogramSnapshot s;
  a.snapshot_into(s);
  REQUIRE(s.upper_bounds == std::vector<std::uint64_t>{10, 100, 1000});
  CHECK(s.counts == std::vector<std::uint64_t>{2, 2, 2, 2});
  CHECK(s.count == 8);
  CHECK(s.sum == 0 + 10 + 11 + 100 + 999 + 1000 + 1001 + 5000);
  b.snapshot_into(s);
  CHECK(s.counts == std::vector<std::uint64_t>{2, 3, 2, 2});
  CHECK(s.count == 9);
}

TEST_CASE("histograms: a tally adds each bucket's run when a value falls elsewhere, the rest when it ends") {
  ThreadHistogram h(kBounds);
  h.observe(7);
  {
    ThreadHistogram::Tally tally(h);
    for (std::uint64_t v : {10, 0, 11, 100, 2000, 5000}) tally.observe(v);
    HistogramSnapshot during;
    h.snapshot_into(during);
    CHECK(during.counts == std::vector<std::uint64_t>{3, 2, 0, 0});  // the run of 2000 and 5000 is not added yet
    CHECK(during.count == 5);
    CHECK(during.sum == 7);  // nor the sum
  }
  HistogramSnapshot after;
  h.snapshot_into(after);
  CHECK(after.counts == std::vector<std::uint64_t>{3, 2, 0, 2});
  CHECK(after.count == 7);
  CHECK(after.sum == 7 + 10 + 0 + 11 + 100 + 2000 + 5000);
  { ThreadHistogram::Tally empty(h); }  // observes nothing, adds nothing
  HistogramSnapshot unchanged;
  h.snapshot_into(unchanged);
  CHECK(unchanged.sum == after.sum);
  CHECK(unchanged.count == 7);
}

TEST_CASE("histograms: a tally puts every value where observe() does, at each bucket's edges") {
  ThreadHistogram one_by_one(kBounds), tallied(kBounds);
  const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  // Each bound, either side of it, the extremes, runs and jumps back and forth.
  const std::vector<std::uint64_t> values{0,    0,   9,   10,   11,   11, 99, 100, 101, 999, 1000,
                                          1001, max, max, 1000, 1001, 10, 11, 0,   500, 500, 1};
  {
    ThreadHistogram::Tally tally(tallied);
    for (std::uint64_t v : values) {
      one_by_one.observe(v);
      tally.observe(v);
    }
  }
  HistogramSnapshot a, b;
  one_by_one.snapshot_into(a);
  tallied.snapshot_into(b);
  CHECK(b.counts == a.counts);
  CHECK(b.count == values.size());
  CHECK(b.sum == a.sum);
}

TEST_CASE("the text format: HELP and TYPE, labels escaped, numbers as Prometheus reads them") {
  ExpositionWriter w;
  w.family("pubsub_disconnects_total", MetricType::counter, "Connections ended, by reason.\nA back\\slash");
  w.sample("pubsub_disconnects_total", {{"reason", "client"}}, std::uint64_t{3});
  w.sample("pubsub_disconnects_total", {{"reason", "a\"b\\c\nd"}, {"x", "y"}}, std::uint64_t{0});
  w.family("pubsub_topics", MetricType::gauge, "Topics.");
  w.sample("pubsub_topics", {}, std::int64_t{-2});
  w.sample("process_cpu_seconds_total", {}, 1.5);
  w.sample("nan", {}, std::numeric_limits<double>::quiet_NaN());
  CHECK(w.text() ==
        "# HELP pubsub_disconnects_total Connections ended, by reason.\\nA back\\\\slash\n"
        "# TYPE pubsub_disconnects_total counter\n"
        "pubsub_disconnects_total{reason=\"client\"} 3\n"
        "pubsub_disconnects_total{reason=\"a\\\"b\\\\c\\nd\",x=\"y\"} 0\n"
        "# HELP pubsub_topics Topics.\n"
        "# TYPE pubsub_topics gauge\n"
        "pubsub_topics -2\n"
        "process_cpu_seconds_total 1.5\n"
        "nan NaN\n");
}

TEST_CASE("the text format: a histogram's buckets are cumulative, scaled, and end with +Inf") {
  ThreadHistogram h(kBounds);
  for (std::uint64_t v : {5, 50, 50, 500, 5000}) h.observe(v);
  HistogramSnapshot s;
  h.snapshot_into(s);
  ExpositionWriter w;
  w.family("latency_seconds", MetricType::histogram, "Latency.");
  w.histogram("latency_seconds", {{"via", "ws"}}, s, 1000);
  CHECK(w.text() ==
        "# HELP latency_seconds Latency.\n"
        "# TYPE latency_seconds histogram\n"
        "latency_seconds_bucket{via=\"ws\",le=\"0.01\"} 1\n"
        "latency_seconds_bucket{via=\"ws\",le=\"0.1\"} 3\n"
        "latency_seconds_bucket{via=\"ws\",le=\"1\"} 4\n"
        "latency_seconds_bucket{via=\"ws\",le=\"+Inf\"} 5\n"
        "latency_seconds_sum{via=\"ws\"} 5.605\n"
        "latency_seconds_count{via=\"ws\"} 5\n");
}

TEST_CASE("process figures: this process's memory, CPU time, descriptors and start time") {
  const auto before = read_process_figures();
  REQUIRE(before);
  CHECK(before->resident_memory_bytes > 1024 * 1024);
  // Three descriptors opened now are counted.
  std::array<int, 2> pipe_ends{};
  REQUIRE(::pipe(pipe_ends.data()) == 0);
  const int third = ::dup(pipe_ends[0]);
  const auto after = read_process_figures();
  REQUIRE(after);
  CHECK(after->open_fds == before->open_fds + 3);
  ::close(pipe_ends[0]);
  ::close(pipe_ends[1]);
  ::close(third);
  // Burning CPU moves the figure (within 10 s, however loaded the machine).
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  volatile std::uint64_t spin = 0;
  std::optional<ProcessFigures> later;
  do {
    for (int i = 0; i < 1000000; ++i) spin = spin + 1;
    later = read_process_figures();
    REQUIRE(later);
  } while (later->cpu_seconds < before->cpu_seconds + 0.1 && std::chrono::steady_clock::now() < give_up);
  CHECK(later->cpu_seconds >= before->cpu_seconds + 0.1);
  // Started within the last hour (tests are short), not in the future.
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(before->start_time_seconds <= now + 1);
  CHECK(before->start_time_seconds > now - 3600);
}
