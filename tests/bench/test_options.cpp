// Tests of pubsub-bench's command line (bench/options.h): one node and one
// sampled process as before, several of each, and what is refused.
#include "bench/options.h"

#include <catch2/catch_test_macros.hpp>
#include <optional>
#include <string>
#include <vector>

using namespace pubsub::bench;

namespace {

struct Parsed {
  std::optional<Options> options;
  int exit_code = -1;
};

Parsed parse(std::vector<std::string> args) {
  args.insert(args.begin(), "pubsub-bench");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  Parsed out;
  out.options = parse_options(static_cast<int>(argv.size()), argv.data(), out.exit_code);
  return out;
}

}  // namespace

TEST_CASE("without --port the one node is 8080, and nothing is sampled") {
  const Parsed p = parse({});
  REQUIRE(p.options);
  CHECK(p.options->ports == std::vector<std::uint16_t>{8080});
  CHECK(p.options->server_pids.empty());
}

TEST_CASE("one --port and one --server-pid are one node and one process") {
  const Parsed p = parse({"--port", "9001", "--server-pid", "1234"});
  REQUIRE(p.options);
  CHECK(p.options->ports == std::vector<std::uint16_t>{9001});
  CHECK(p.options->server_pids == std::vector<int>{1234});
}

TEST_CASE("--port and --server-pid given several times keep every value, in order") {
  const Parsed p = parse({"--port", "9001", "--server-pid", "11", "--port", "9002", "--server-pid", "22",
                          "--server-pid", "33", "--port", "9003"});
  REQUIRE(p.options);
  CHECK(p.options->ports == std::vector<std::uint16_t>{9001, 9002, 9003});
  CHECK(p.options->server_pids == std::vector<int>{11, 22, 33});
}

TEST_CASE("--server-pid 0 samples nothing, as it always did") {
  const Parsed p = parse({"--server-pid", "0"});
  REQUIRE(p.options);
  CHECK(p.options->server_pids.empty());
  const Parsed mixed = parse({"--server-pid", "0", "--server-pid", "7"});
  REQUIRE(mixed.options);
  CHECK(mixed.options->server_pids == std::vector<int>{7});
}

TEST_CASE("a port that is not one is refused with exit code 2") {
  for (const char* bad : {"0", "65536", "http", ""}) {
    CAPTURE(bad);
    const Parsed p = parse({"--port", "9001", "--port", bad});
    CHECK_FALSE(p.options);
    CHECK(p.exit_code == 2);
  }
}

TEST_CASE("--help stops with exit code 0") {
  const Parsed p = parse({"--help"});
  CHECK_FALSE(p.options);
  CHECK(p.exit_code == 0);
}
