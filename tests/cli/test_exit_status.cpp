// Exit statuses: HTTP answers, refusals and failures, each mapped and
// reported as users of redis-cli and nats expect.
#include <catch2/catch_test_macros.hpp>
#include <string>
#include <vector>

#include "cli/exit_status.h"

using namespace pubsub::cli;

namespace {

struct Reported {
  ExitStatus status;
  std::vector<std::string> lines;
};

Reported run(const std::function<ExitStatus()>& command) {
  Reported out{};
  out.status = run_reporting_failures(command, [&](std::string_view line) { out.lines.emplace_back(line); });
  return out;
}

}  // namespace

TEST_CASE("the exit codes") {
  CHECK(exit_code(ExitStatus::success) == 0);
  CHECK(exit_code(ExitStatus::refused) == 1);
  CHECK(exit_code(ExitStatus::usage) == 2);
  CHECK(exit_code(ExitStatus::unreachable) == 3);
  CHECK(exit_code(ExitStatus::interrupted) == 130);
}

TEST_CASE("2xx succeeds; every 4xx and 5xx is a refusal") {
  for (unsigned status : {200u, 201u, 204u}) CHECK(status_for_http(status) == ExitStatus::success);
  for (unsigned status : {301u, 400u, 401u, 403u, 404u, 409u, 413u, 429u, 500u, 503u}) {
    CHECK(status_for_http(status) == ExitStatus::refused);
  }
}

TEST_CASE("a refusal says the contract's code and message, or the HTTP status") {
  const ServerRefusal known =
      refusal_from_http(404, R"({"error":{"code":"TOPIC_NOT_FOUND","message":"topic 'x' does not exist"}})");
  CHECK(std::string(known.what()) == "TOPIC_NOT_FOUND: topic 'x' does not exist");
  CHECK(known.http_status() == 404);
  CHECK(known.code() == "TOPIC_NOT_FOUND");
  CHECK(std::string(refusal_from_http(502, "<html>bad gateway</html>").what()) == "HTTP 502");
  CHECK(std::string(refusal_from_http(503, R"({"status":"shutting_down"})").what()) == "HTTP 503");
  CHECK(std::string(ServerRefusal(0, "FORBIDDEN", "").what()) == "FORBIDDEN");
}

TEST_CASE("each failure is reported once on its own line with its status") {
  const Reported ok = run([] { return ExitStatus::success; });
  CHECK(ok.status == ExitStatus::success);
  CHECK(ok.lines.empty());

  const Reported refused = run([]() -> ExitStatus { throw ServerRefusal(401, "UNAUTHORIZED", "missing API key"); });
  CHECK(refused.status == ExitStatus::refused);
  CHECK(refused.lines == std::vector<std::string>{"pubsub: UNAUTHORIZED: missing API key"});

  const Reported usage = run([]() -> ExitStatus { throw UsageError("unknown command 'x'"); });
  CHECK(usage.status == ExitStatus::usage);
  CHECK(usage.lines == std::vector<std::string>{"pubsub: unknown command 'x' (see pubsub --help)"});

  const Reported unreachable =
      run([]() -> ExitStatus { throw ConnectionFailure("cannot connect to 127.0.0.1:1: Connection refused"); });
  CHECK(unreachable.status == ExitStatus::unreachable);
  CHECK(unreachable.lines == std::vector<std::string>{"pubsub: cannot connect to 127.0.0.1:1: Connection refused"});

  const Reported interrupted = run([]() -> ExitStatus { throw Interrupted(); });
  CHECK(interrupted.status == ExitStatus::interrupted);
  CHECK(interrupted.lines.empty());

  const Reported other = run([]() -> ExitStatus { throw std::runtime_error("set_option: Bad file descriptor"); });
  CHECK(other.status == ExitStatus::unreachable);
}

TEST_CASE("a wait that ran out says how long it waited") {
  CHECK(no_answer_within("h:1", std::chrono::milliseconds(10000)) == "no answer from h:1 within 10 s");
  CHECK(no_answer_within("h:1", std::chrono::milliseconds(2500)) == "no answer from h:1 within 2.5 s");
}
