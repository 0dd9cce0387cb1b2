// End-to-end: pubsub-bench against two pubsubd nodes sharing a private
// valkey-server (--engine redis), given every node with --port and every
// process with --server-pid. Subscribers of each topic and publishers are
// spread over both nodes; every stream must still arrive whole and in
// order, and the report must give each process's share beside their sum.

#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "e2e/harness.h"
#include "redis/server_process.h"

using namespace pubsub::e2e;
namespace json = boost::json;
using Valkey = pubsub::redis::testing::ServerProcess;

namespace {

std::string bench_binary() {
  const char* path = std::getenv("PUBSUB_BENCH");
  REQUIRE(path != nullptr);
  return path;
}

// The runs are at max rate, where acks pace the publishers and not the
// subscribers: queues above the default 1 000 frames keep a subscriber
// that falls behind for a moment (as under a sanitizer) from being a slow
// consumer whose drops would be counted as gaps (scripts/bench.sh does the
// same).
std::vector<std::string> node_args(const Valkey& valkey) {
  return {"--engine", "redis",     "--redis-url", valkey.url(),  "--auto-create-topics",
          "true",     "--threads", "2",           "--max-queue", "20000"};
}

// Returns the "subscribers" of GET `target` (/health, /topics/{name}): on
// the node at `port` only.
std::int64_t subscribers_on(std::uint16_t port, const std::string& target) {
  const HttpResponse res = http(port, "GET", target);
  INFO(target << " -> " << res.body);
  return res.json().at("subscribers").as_int64();
}

// Runs pubsub-bench with `args` against nodes `a` and `b` (in that order)
// and returns its JSON report; the run must exit 0.
json::object run_bench(const ServerProcess& a, const ServerProcess& b, std::vector<std::string> args) {
  args.insert(args.end(), {"--port", std::to_string(a.port()), "--port", std::to_string(b.port()), "--json", "--warmup",
                           "0.3", "--duration", "1"});
  auto r = run_program(bench_binary(), args, {}, 90s);
  INFO("stdout: " << r.out << "\nstderr: " << r.err << "\nnode a: " << a.log() << "\nnode b: " << b.log());
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out).as_object();
}

}  // namespace

TEST_CASE("spread over two nodes, every publish reaches every subscriber once, in order, with both client styles",
          "[cluster][bench]") {
  Valkey valkey;
  ServerProcess a(node_args(valkey));
  ServerProcess b(node_args(valkey));
  const int valkey_process = valkey.pid();
  for (const char* style : {"batched", "per-frame"}) {
    INFO("client style " << style);
    // Four topics: with subscriber s on node s % 2, each topic's
    // subscribers would all sit on one node.
    auto r = run_bench(a, b,
                       {"--client-style", style, "--topics", "4", "--subscribers", "6", "--publishers", "3",
                        "--topic-prefix", style, "--server-pid", std::to_string(a.pid()), "--server-pid",
                        std::to_string(b.pid()), "--server-pid", std::to_string(valkey_process)});
    const std::int64_t published = r.at("published").as_int64();
    CHECK(published > 0);
    CHECK(r.at("expected").as_int64() == published * 6);
    CHECK(r.at("delivered").as_int64() == r.at("expected").as_int64());
    CHECK(r.at("gaps").as_int64() == 0);
    CHECK(r.at("duplicates").as_int64() == 0);
    CHECK(r.at("reordered").as_int64() == 0);
    CHECK(r.at("errors").as_int64() == 0);

    // Each process's share, in the order given, and their sum.
    const json::array& servers = r.at("servers").as_array();
    REQUIRE(servers.size() == 3);
    const std::vector<std::int64_t> pids = {a.pid(), b.pid(), valkey_process};
    const std::vector<std::string> names = {"pubsubd", "pubsubd", "valkey-server"};
    double cpu_sum = 0;
    std::int64_t rss_sum = 0;
    for (std::size_t i = 0; i < servers.size(); ++i) {
      const json::object& s = servers[i].as_object();
      CHECK(s.at("pid").as_int64() == pids[i]);
      CHECK(s.at("name").as_string() == names[i]);
      // Both nodes serve subscribers and publishers; Valkey carries every publish.
      CHECK(s.at("cpu_us_per_delivery").to_number<double>() > 0);
      CHECK(s.at("rss_kib").as_int64() > 0);
      cpu_sum += s.at("cpu_us_per_delivery").to_number<double>();
      rss_sum += s.at("rss_kib").as_int64();
    }
    const double total = r.at("server_cpu_us_per_delivery").to_number<double>();
    CHECK(std::abs(cpu_sum - total) <= total * 1e-3);
    CHECK(r.at("server_rss_kib").as_int64() == rss_sum);
  }
}

TEST_CASE("connections are split over the nodes: each holds its share of the subscribers", "[cluster][bench]") {
  Valkey valkey;
  ServerProcess a(node_args(valkey));
  ServerProcess b(node_args(valkey));
  ProcessResult result;
  TestThread bench([&] {
    result =
        run_program(bench_binary(),
                    {"--mode", "connections", "--connections", "40", "--topics", "4", "--sources", "1", "--duration",
                     "3", "--port", std::to_string(a.port()), "--port", std::to_string(b.port()), "--json"},
                    {}, 60s);
  });
  // While they are held: 20 on each node, and of the 10 on each topic 5 on
  // each node (connection i on node i % 2 would put a topic on one node).
  CHECK(
      eventually([&] { return subscribers_on(a.port(), "/health") + subscribers_on(b.port(), "/health") == 40; }, 10s));
  for (int t = 0; t < 4; ++t) {
    const std::string topic = "/topics/bench-" + std::to_string(t);
    CAPTURE(topic);
    CHECK(subscribers_on(a.port(), topic) == 5);
    CHECK(subscribers_on(b.port(), topic) == 5);
  }
  CHECK(subscribers_on(a.port(), "/health") == 20);
  bench.join();
  INFO("stdout: " << result.out << "\nstderr: " << result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(json::parse(result.out).at("held").as_int64() == 40);
}
