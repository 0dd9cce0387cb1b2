// End-to-end: pubsub-bench against the real pubsubd. Its report must match
// what the server saw, and it must notice what it is there to notice.
#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cstdlib>

#include "e2e/harness.h"

using namespace pubsub::e2e;
namespace json = boost::json;

namespace {

std::string bench_binary() {
  const char* path = std::getenv("PUBSUB_BENCH");
  REQUIRE(path != nullptr);
  return path;
}

json::object run_bench(const ServerProcess& server, std::vector<std::string> args) {
  args.insert(args.end(), {"--port", std::to_string(server.port()), "--server-pid", std::to_string(server.pid()),
                           "--json", "--warmup", "0.3", "--duration", "1"});
  auto r = run_program(bench_binary(), args, {}, 60s);
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out).as_object();
}

// Every publish reached each of the `subscribers` of its topic once, in order.
void check_streams_whole(const json::object& r, std::int64_t subscribers) {
  const std::int64_t published = r.at("published").as_int64();
  CHECK(published > 0);
  CHECK(r.at("expected").as_int64() == published * subscribers);
  CHECK(r.at("delivered").as_int64() == r.at("expected").as_int64());
  CHECK(r.at("gaps").as_int64() == 0);
  CHECK(r.at("duplicates").as_int64() == 0);
  CHECK(r.at("reordered").as_int64() == 0);
  CHECK(r.at("errors").as_int64() == 0);
  CHECK(r.at("latency_ms").at("p50").to_number<double>() > 0);
  CHECK(r.at("server_cpu_us_per_delivery").to_number<double>() > 0);
}

// Queues deep enough that a subscriber of a loaded machine (a sanitizer
// build, a busy CI host) that falls behind for a moment at max rate is not
// dropped: these tests are about whole streams, not the slow-consumer policy.
const std::vector<std::string> deep_queues = {"--max-queue", "100000", "--max-queue-bytes", "1073741824"};

std::vector<std::string> with_deep_queues(std::vector<std::string> args) {
  args.insert(args.end(), deep_queues.begin(), deep_queues.end());
  return args;
}

}  // namespace

TEST_CASE("throughput mode: every publish reaches every subscriber, as the server counts") {
  ServerProcess server(with_deep_queues({"--threads", "2"}));
  auto r = run_bench(server, {"--topics", "2", "--subscribers", "10", "--publishers", "2", "--payload", "200"});
  CHECK(r.at("client_style").as_string() == "batched");
  check_streams_whole(r, 10);
  const std::int64_t published = r.at("published").as_int64();
  // The server counted the same publishes.
  auto stats = http(server.port(), "GET", "/stats").json().at("topics").as_object();
  CHECK(stats.at("bench-0").at("messages").as_int64() + stats.at("bench-1").at("messages").as_int64() == published);
}

TEST_CASE("over TLS (--tls) both client styles run on wss:// and every stream arrives whole and in order") {
  const Certificate certificate("pubsub-bench");
  ServerProcess server(
      with_deep_queues({"--threads", "2", "--tls-cert", certificate.cert, "--tls-key", certificate.key}));
  for (const char* style : {"batched", "per-frame"}) {
    INFO("client style " << style);
    auto r = run_bench(server, {"--tls", "--client-style", style, "--topics", "3", "--subscribers", "4", "--publishers",
                                "2", "--payload", "3000", "--topic-prefix", style});
    CHECK(r.at("tls").as_bool());
    check_streams_whole(r, 4);
  }
  // Without --tls the same port refuses to speak WebSocket: the run fails.
  auto plain = run_program(bench_binary(), {"--port", std::to_string(server.port()), "--duration", "0.5"}, {}, 60s);
  CHECK(plain.exit_code != 0);
}

TEST_CASE("a fixed rate is honoured, and slow subscribers are left out of the count") {
  ServerProcess server;
  auto r = run_bench(server, {"--subscribers", "20", "--rate", "500", "--slow-fraction", "0.1"});
  CHECK(r.at("slow_subscribers_per_topic").as_int64() == 2);
  // The ceiling proves the pacing (unpaced, this publishes thousands per
  // second); the floor only that it publishes, even on a loaded machine.
  CHECK(r.at("published_per_sec").to_number<double>() > 100);
  CHECK(r.at("published_per_sec").to_number<double>() < 550);
  CHECK(r.at("expected").as_int64() == r.at("published").as_int64() * 18);
  CHECK(r.at("delivered").as_int64() == r.at("expected").as_int64());
}

TEST_CASE("connections mode holds subscribed connections and reports memory per connection") {
  ServerProcess server;
  auto r = run_bench(server, {"--mode", "connections", "--connections", "300", "--sources", "3"});
  CHECK(r.at("held").as_int64() == 300);
  CHECK(r.at("failed").as_int64() == 0);
  CHECK(r.at("kib_per_connection").to_number<double>() > 0);
  CHECK(eventually([&] { return health_subscribers(server.port()) == 0; }));  // all closed after
}

TEST_CASE("per-frame style: publishers round robin over many topics, and every stream arrives whole and in order") {
  ServerProcess server(with_deep_queues({"--threads", "2"}));
  const int topics = 20;
  auto r = run_bench(server, {"--client-style", "per-frame", "--topics", std::to_string(topics), "--subscribers", "3",
                              "--publishers", "4"});
  CHECK(r.at("client_style").as_string() == "per-frame");
  CHECK(r.at("poll_interval_us").as_int64() == 250);
  check_streams_whole(r, 3);
  CHECK(r.at("dropped_announced").as_int64() == 0);
  const std::int64_t published = r.at("published").as_int64();
  // The server counted the same publishes, spread round robin: each of
  // the 4 publishers sent every topic its count / 20, give or take one.
  auto stats = http(server.port(), "GET", "/stats").json().at("topics").as_object();
  std::vector<std::int64_t> per_topic;
  for (int t = 0; t < topics; ++t)
    per_topic.push_back(stats.at("bench-" + std::to_string(t)).at("messages").as_int64());
  CAPTURE(per_topic);
  std::int64_t sum = 0;
  for (auto m : per_topic) sum += m;
  CHECK(sum == published);
  auto [fewest, most] = std::minmax_element(per_topic.begin(), per_topic.end());
  CHECK(*fewest > 0);
  CHECK(*most - *fewest <= 4);
}

TEST_CASE("per-frame style: a fixed rate is honoured, and slow subscribers are left out of the count") {
  ServerProcess server;
  auto r = run_bench(server, {"--client-style", "per-frame", "--subscribers", "20", "--rate", "500", "--slow-fraction",
                              "0.1", "--publishers", "2"});
  CHECK(r.at("slow_subscribers_per_topic").as_int64() == 2);
  // As for the batched style: the ceiling proves the pacing, the floor
  // only that it publishes.
  CHECK(r.at("published_per_sec").to_number<double>() > 100);
  CHECK(r.at("published_per_sec").to_number<double>() < 550);
  CHECK(r.at("expected").as_int64() == r.at("published").as_int64() * 18);
  CHECK(r.at("delivered").as_int64() == r.at("expected").as_int64());
  CHECK(r.at("errors").as_int64() == 0);
}

TEST_CASE("per-frame style: server pings are answered, so quiet subscribers stay connected") {
  // Subscribers send nothing but pongs: unanswered, the 1 s idle timeout
  // would close them during the run (a lost connection counts as an error).
  ServerProcess server({"--idle-timeout", "1", "--heartbeat-interval", "0.2"});
  auto r = run_bench(server, {"--client-style", "per-frame", "--topics", "2", "--subscribers", "5", "--rate", "200"});
  CHECK(r.at("seconds").to_number<double>() >= 1);
  CHECK(r.at("errors").as_int64() == 0);
  CHECK(r.at("delivered").as_int64() == r.at("expected").as_int64());
  CHECK(r.at("published").as_int64() > 0);
}

TEST_CASE("per-frame style refuses what it cannot do: several client threads, connections mode") {
  for (const auto& extra :
       {std::vector<std::string>{"--client-threads", "2"}, std::vector<std::string>{"--mode", "connections"},
        std::vector<std::string>{"--poll-interval-us", "-1"}}) {
    std::vector<std::string> args{"--client-style", "per-frame"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run_program(bench_binary(), args, {}, 10s);
    CAPTURE(extra, r.err);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Matchers::ContainsSubstring("pubsub-bench:"));
  }
  auto unknown = run_program(bench_binary(), {"--client-style", "pipelined"}, {}, 10s);
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Matchers::ContainsSubstring("--client-style"));
}
