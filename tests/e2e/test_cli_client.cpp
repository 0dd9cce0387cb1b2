// End-to-end: `pubsub`, the command-line client, run as a user runs it
// against the real pubsubd: topics, publishing (argument, standard input,
// HTTP), subscribing with reconnects and resumes, credentials, TLS, and
// the exit statuses of each outcome.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "e2e/harness.h"
#include "protocol/messages.h"
#include "support/jwt_signer.h"

extern char** environ;

using namespace pubsub::e2e;
using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::StartsWith;
namespace json = boost::json;
namespace signer = pubsub::testing;

namespace {

std::string binary(const char* variable) {
  const char* path = std::getenv(variable);
  REQUIRE(path != nullptr);
  return path;
}

std::string cli_binary() { return binary("PUBSUB_CLI"); }

std::string url_of(std::uint16_t port, const std::string& scheme = "ws") {
  return scheme + "://127.0.0.1:" + std::to_string(port);
}

// Runs `pubsub --url URL args...` to completion.
ProcessResult pubsub_cli(std::uint16_t port, std::vector<std::string> args,
                         std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), {"--url", url_of(port)});
  return run_program(cli_binary(), std::move(args), std::move(env), 30s);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Each line of `text` parsed as JSON (a line that is not JSON fails the test).
std::vector<json::object> json_lines(const std::string& text) {
  std::vector<json::object> out;
  for (const std::string& line : lines_of(text)) {
    INFO("line: " << line);
    boost::system::error_code ec;
    json::value value = json::parse(line, ec);
    REQUIRE_FALSE(ec);
    REQUIRE(value.is_object());
    out.push_back(value.as_object());
  }
  return out;
}

std::vector<std::int64_t> event_seqs(const std::vector<json::object>& events) {
  std::vector<std::int64_t> out;
  for (const auto& event : events) out.push_back(event.at("seq").as_int64());
  return out;
}

std::vector<std::int64_t> seqs(std::int64_t first, std::int64_t last) {
  std::vector<std::int64_t> out;
  for (std::int64_t s = first; s <= last; ++s) out.push_back(s);
  return out;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string temp_path(const char* prefix) {
  std::string path = std::string("/tmp/") + prefix + "-XXXXXX";
  const int fd = mkstemp(path.data());
  REQUIRE(fd >= 0);
  ::close(fd);
  return path;
}

// A program running in the background, its output kept in files: a
// `pubsub sub` the test watches, or a pubsubd on a port of the test's
// choosing. The destructor kills it if it still runs.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::string& path, std::vector<std::string> args, const std::string& input = "/dev/null")
      : out_path_(temp_path("pubsub-cli-out")), err_path_(temp_path("pubsub-cli-err")) {
    args.insert(args.begin(), path);
    std::vector<std::string> envs;
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::strncmp(*e, "PUBSUB_", 7) != 0) envs.emplace_back(*e);
    }
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, input.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path_.c_str(), O_WRONLY | O_TRUNC, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path_.c_str(), O_WRONLY | O_TRUNC, 0);
    const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(rc == 0);
  }
  ~BackgroundProcess() {
    if (!exit_code_) {
      kill(pid_, SIGCONT);
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    std::remove(out_path_.c_str());
    std::remove(err_path_.c_str());
  }
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int number) const { kill(pid_, number); }
  std::string out() const { return read_text(out_path_); }
  std::string err() const { return read_text(err_path_); }

  // Waits up to `timeout` for the exit; its code (128+N if killed by
  // signal N), or nullopt if it still runs.
  std::optional<int> wait(std::chrono::milliseconds timeout = 30s) {
    if (exit_code_) return exit_code_;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return exit_code_;
      }
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(10ms);
    }
  }

 private:
  pid_t pid_ = -1;
  std::string out_path_;
  std::string err_path_;
  std::optional<int> exit_code_;
};

// A port no one listens on now.
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t size = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

// pubsubd on `port`, ready once it says it listens.
std::unique_ptr<BackgroundProcess> server_on(std::uint16_t port) {
  auto server = std::make_unique<BackgroundProcess>(
      binary("PUBSUBD"),
      std::vector<std::string>{"--host", "127.0.0.1", "--port", std::to_string(port), "--heartbeat-interval", "0"});
  REQUIRE(eventually([&] { return server->out().starts_with("listening on"); }, 20s));
  return server;
}

// Writes `text` to a file of the test's own; removed when destroyed.
struct InputFile {
  std::string path = temp_path("pubsub-cli-in");
  explicit InputFile(const std::string& text) { std::ofstream(path, std::ios::binary) << text; }
  ~InputFile() { std::remove(path.c_str()); }
};

const std::string kSecret = "an-e2e-secret-that-is-32-bytes-long!";

std::string token(const std::string& grants) {
  return signer::hs256_token(kSecret, R"({"sub":"cli","exp":)" + std::to_string(signer::now_seconds() + 3600) +
                                          R"(,"pubsub":)" + grants + "}");
}

}  // namespace

// ------------------------------------------------------------------ topics

TEST_CASE("topics create, list, get and delete print the server's JSON; refusals exit 1") {
  ServerProcess server;
  auto created = pubsub_cli(server.port(), {"topics", "create", "orders"});
  CHECK(created.exit_code == 0);
  CHECK(created.err.empty());
  CHECK(json::parse(created.out) == json::parse(R"({"status":"created","topic":"orders"})"));
  CHECK(lines_of(created.out).size() == 1);

  auto again = pubsub_cli(server.port(), {"topics", "create", "orders"});
  CHECK(again.exit_code == 1);
  CHECK(again.out.empty());
  CHECK_THAT(again.err, StartsWith("pubsub: TOPIC_EXISTS: "));

  auto listed = pubsub_cli(server.port(), {"topics"});
  CHECK(listed.exit_code == 0);
  CHECK(json::parse(listed.out).at("topics").at(0).at("name") == "orders");
  CHECK(pubsub_cli(server.port(), {"topics", "list"}).out == listed.out);

  auto got = pubsub_cli(server.port(), {"topics", "get", "orders"});
  CHECK(got.exit_code == 0);
  CHECK(json::parse(got.out).at("name") == "orders");
  CHECK(json::parse(got.out).as_object().contains("epoch"));
  auto pretty = pubsub_cli(server.port(), {"topics", "get", "orders", "--pretty"});
  CHECK_THAT(pretty.out, ContainsSubstring("\n  \"name\": \"orders\""));
  CHECK(json::parse(pretty.out) == json::parse(got.out));

  auto deleted = pubsub_cli(server.port(), {"topics", "delete", "orders"});
  CHECK(deleted.exit_code == 0);
  CHECK(json::parse(deleted.out) == json::parse(R"({"status":"deleted","topic":"orders"})"));

  auto missing = pubsub_cli(server.port(), {"topics", "get", "orders"});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, StartsWith("pubsub: TOPIC_NOT_FOUND: "));
  CHECK(pubsub_cli(server.port(), {"topics", "delete", "orders"}).exit_code == 1);

  auto bad_name = pubsub_cli(server.port(), {"topics", "create", "no spaces"});
  CHECK(bad_name.exit_code == 1);
  CHECK_THAT(bad_name.err, StartsWith("pubsub: BAD_REQUEST: "));
  // The name goes into the path percent-encoded: the server reads it back.
  CHECK(pubsub_cli(server.port(), {"topics", "get", "no spaces"}).exit_code == 1);
}

TEST_CASE("stats and health print the server's JSON") {
  ServerProcess server;
  REQUIRE(create_topic(server.port(), "s") == 201);
  auto stats = pubsub_cli(server.port(), {"stats"});
  CHECK(stats.exit_code == 0);
  CHECK(json::parse(stats.out).at("topics").as_object().contains("s"));
  auto health = pubsub_cli(server.port(), {"health"});
  CHECK(health.exit_code == 0);
  CHECK(json::parse(health.out).at("topics") == 1);
}

// ------------------------------------------------------------------ pub

TEST_CASE("pub sends JSON as JSON and other text as a string; history shows them in order") {
  ServerProcess server;
  REQUIRE(create_topic(server.port(), "t") == 201);
  auto first = pubsub_cli(server.port(), {"pub", "t", R"({"text":"hi"})"});
  CHECK(first.exit_code == 0);
  CHECK(first.out.empty());
  CHECK(first.err.empty());
  CHECK(pubsub_cli(server.port(), {"pub", "t", "hello"}).exit_code == 0);
  CHECK(pubsub_cli(server.port(), {"pub", "t", "42", "--raw-string"}).exit_code == 0);
  auto with_seq = pubsub_cli(server.port(), {"pub", "t", "7", "--print-seq"});
  CHECK(with_seq.exit_code == 0);
  CHECK(with_seq.out == "4\n");
  auto verbose = pubsub_cli(server.port(), {"pub", "-v", "t", "null"});
  CHECK(verbose.exit_code == 0);
  const auto acks = json_lines(verbose.out);
  REQUIRE(acks.size() == 1);
  CHECK(acks[0].at("type") == "ack");
  CHECK(acks[0].at("seq") == 5);
  auto over_http = pubsub_cli(server.port(), {"pub", "--http", "t", "[1, 2]", "--print-seq"});
  CHECK(over_http.exit_code == 0);
  CHECK(over_http.out == "6\n");

  auto history = pubsub_cli(server.port(), {"history", "t"});
  REQUIRE(history.exit_code == 0);
  REQUIRE(lines_of(history.out).size() == 1);
  const auto messages = json::parse(history.out).at("messages").as_array();
  REQUIRE(messages.size() == 6);
  const std::vector<json::value> payloads = {
      json::parse(R"({"text":"hi"})"), "hello", "42", 7, nullptr, json::parse("[1,2]")};
  std::set<std::string> ids;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    CHECK(messages[i].at("payload") == payloads[i]);
    CHECK(messages[i].at("seq") == static_cast<std::int64_t>(i + 1));
    const std::string id(messages[i].at("id").as_string());
    CHECK(pubsub::protocol::is_uuid(id));
    CHECK(id[14] == '4');
    ids.insert(id);
  }
  CHECK(ids.size() == 6);

  auto page = pubsub_cli(server.port(), {"history", "t", "--since-seq", "4", "--limit", "1"});
  CHECK(page.exit_code == 0);
  const auto paged = json::parse(page.out).at("messages").as_array();
  REQUIRE(paged.size() == 1);
  CHECK(paged[0].at("seq") == 5);
}

TEST_CASE("pub to a topic that does not exist exits 1 with the server's error") {
  ServerProcess server;
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"pub", "nope", "1"}, {"pub", "--http", "nope", "1"}}) {
    auto r = pubsub_cli(server.port(), args);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, StartsWith("pubsub: TOPIC_NOT_FOUND: "));
    CHECK(r.out.empty());
  }
  auto history = pubsub_cli(server.port(), {"history", "nope"});
  CHECK(history.exit_code == 1);
  CHECK_THAT(history.err, StartsWith("pubsub: TOPIC_NOT_FOUND: "));
}

TEST_CASE("pub publishes each line of standard input, in order, with consecutive seqs") {
  ServerProcess server;
  REQUIRE(create_topic(server.port(), "lines") == 201);
  WsClient watcher(server.port());
  watcher.subscribe("lines");
  std::string input;
  for (int i = 1; i <= 100; ++i)
    input += i % 2 == 0 ? R"({"n":)" + std::to_string(i) + "}\n" : "line " + std::to_string(i) + "\n";
  const InputFile file(input);
  const bool over_http = GENERATE(false, true);
  std::vector<std::string> args = {"--url", url_of(server.port()), "pub", "lines", "--print-seq"};
  if (over_http) args.push_back("--http");
  BackgroundProcess pub(cli_binary(), args, file.path);
  REQUIRE(pub.wait() == 0);
  INFO(pub.err());
  CHECK(pub.err().empty());
  std::vector<std::string> expected_seqs;
  for (int i = 1; i <= 100; ++i) expected_seqs.push_back(std::to_string(i));
  CHECK(lines_of(pub.out()) == expected_seqs);
  for (int i = 1; i <= 100; ++i) {
    auto event = watcher.next();
    REQUIRE(event.at("type") == "event");
    CHECK(event.at("seq") == i);
    const json::value expected =
        i % 2 == 0 ? json::value(json::object{{"n", i}}) : json::value("line " + std::to_string(i));
    CHECK(event.at("message").at("payload") == expected);
  }
  CHECK(watcher.silent_for(200ms));
}

TEST_CASE("pub from standard input stops at the first refusal and names its line") {
  ServerProcess server;
  const InputFile file("1\n2\n3\n");
  BackgroundProcess pub(cli_binary(), {"--url", url_of(server.port()), "pub", "missing"}, file.path);
  REQUIRE(pub.wait() == 1);
  CHECK_THAT(pub.err(), StartsWith("pubsub: TOPIC_NOT_FOUND: "));
  CHECK_THAT(pub.err(), ContainsSubstring("(line 1)"));
}

// ------------------------------------------------------------------ sub

TEST_CASE("sub --count prints what pub sends, as JSON lines, and exits 0") {
  ServerProcess server;
  REQUIRE(create_topic(server.port(), "chat") == 201);
  BackgroundProcess sub(cli_binary(), {"--url", url_of(server.port()), "sub", "chat", "--count", "3"});
  REQUIRE(eventually([&] { return health_subscribers(server.port()) == 1; }));
  CHECK(pubsub_cli(server.port(), {"pub", "chat", R"({"text":"hi"})"}).exit_code == 0);
  CHECK(pubsub_cli(server.port(), {"pub", "chat", "hello"}).exit_code == 0);
  CHECK(pubsub_cli(server.port(), {"pub", "chat", "3"}).exit_code == 0);
  REQUIRE(sub.wait() == 0);
  INFO(sub.err());
  const auto events = json_lines(sub.out());
  REQUIRE(events.size() == 3);
  const std::vector<json::value> payloads = {json::parse(R"({"text":"hi"})"), "hello", 3};
  for (std::size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i].at("type") == "event");
    CHECK(events[i].at("topic") == "chat");
    CHECK(events[i].at("seq") == static_cast<std::int64_t>(i + 1));
    CHECK(events[i].at("message").at("payload") == payloads[i]);
    CHECK(pubsub::protocol::is_uuid(std::string(events[i].at("message").at("id").as_string())));
    CHECK(events[i].at("ts").is_string());
  }
  CHECK(sub.err().empty());
}

TEST_CASE("sub --last-n replays the newest events first; several topics at once") {
  ServerProcess server;
  REQUIRE(create_topic(server.port(), "a") == 201);
  REQUIRE(create_topic(server.port(), "b") == 201);
  for (int i = 1; i <= 5; ++i) REQUIRE(pubsub_cli(server.port(), {"pub", "a", std::to_string(i)}).exit_code == 0);
  REQUIRE(pubsub_cli(server.port(), {"pub", "b", "only"}).exit_code == 0);
  auto r = pubsub_cli(server.port(), {"sub", "a", "b", "--last-n", "2", "--count", "3"});
  REQUIRE(r.exit_code == 0);
  const auto events = json_lines(r.out);
  REQUIRE(events.size() == 3);
  std::vector<std::pair<std::string, std::int64_t>> got;
  for (const auto& e : events) got.emplace_back(std::string(e.at("topic").as_string()), e.at("seq").as_int64());
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::pair<std::string, std::int64_t>>{{"a", 4}, {"a", 5}, {"b", 1}});
}

TEST_CASE("sub --all-frames prints acks too; SIGTERM and --duration end it with 0") {
  ServerProcess server;
  REQUIRE(create_topic(server.port(), "f") == 201);
  BackgroundProcess sub(cli_binary(), {"--url", url_of(server.port()), "sub", "f", "--all-frames"});
  REQUIRE(eventually([&] { return sub.out().find("\"ack\"") != std::string::npos; }));
  sub.signal(SIGTERM);
  REQUIRE(sub.wait() == 0);
  const auto frames = json_lines(sub.out());
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].at("type") == "ack");
  CHECK(frames[0].at("topic") == "f");

  const auto start = std::chrono::steady_clock::now();
  auto timed = pubsub_cli(server.port(), {"sub", "f", "--duration", "0.5"});
  CHECK(timed.exit_code == 0);
  CHECK(timed.out.empty());
  CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("sub reports dropped events on standard error, one line each, and carries on") {
  ServerProcess server({"--max-queue", "4", "--history-size", "10"});
  REQUIRE(create_topic(server.port(), "fast") == 201);
  BackgroundProcess sub(cli_binary(), {"--url", url_of(server.port()), "sub", "fast"});
  REQUIRE(eventually([&] { return health_subscribers(server.port()) == 1; }));
  sub.signal(SIGSTOP);  // reads nothing: the kernel's buffers fill, then the queue overflows
  std::string input;
  const std::string payload(64 * 1024, 'x');
  for (int i = 0; i < 300; ++i) input += payload + "\n";
  const InputFile file(input);
  BackgroundProcess pub(cli_binary(), {"--url", url_of(server.port()), "pub", "fast"}, file.path);
  REQUIRE(pub.wait() == 0);
  const auto dropped = [&] {
    return http(server.port(), "GET", "/stats").json().at("topics").at("fast").at("dropped").as_int64();
  };
  REQUIRE(eventually([&] { return dropped() > 0; }));
  sub.signal(SIGCONT);
  REQUIRE(eventually([&] { return sub.err().find(" dropped by the server") != std::string::npos; }));
  REQUIRE(eventually([&] { return lines_of(sub.out()).size() + static_cast<std::size_t>(dropped()) == 300; }));
  sub.signal(SIGINT);
  REQUIRE(sub.wait() == 0);
  const auto events = json_lines(sub.out());
  for (std::size_t i = 1; i < events.size(); ++i)
    CHECK(events[i].at("seq").as_int64() > events[i - 1].at("seq").as_int64());
  for (const std::string& line : lines_of(sub.err())) {
    CHECK_THAT(line, StartsWith("pubsub: fast: "));
    CHECK_THAT(line, ContainsSubstring(" event(s) dropped by the server: this subscriber read too slowly"));
  }
}

TEST_CASE("sub reports topic_deleted on standard error and exits 1 once no topic is left") {
  ServerProcess server;
  REQUIRE(create_topic(server.port(), "gone") == 201);
  BackgroundProcess sub(cli_binary(), {"--url", url_of(server.port()), "sub", "gone"});
  REQUIRE(eventually([&] { return health_subscribers(server.port()) == 1; }));
  REQUIRE(pubsub_cli(server.port(), {"topics", "delete", "gone"}).exit_code == 0);
  REQUIRE(sub.wait() == 1);
  CHECK(sub.out().empty());
  CHECK_THAT(sub.err(), ContainsSubstring("pubsub: gone: the topic was deleted\n"));
}

TEST_CASE("sub refused at the start exits 1; with no server it exits 3") {
  ServerProcess server;
  auto missing = pubsub_cli(server.port(), {"sub", "nope", "--count", "1"});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, StartsWith("pubsub: TOPIC_NOT_FOUND: "));
  const std::uint16_t closed = free_port();
  auto nothing = run_program(cli_binary(), {"--url", url_of(closed), "sub", "t"}, {}, 30s);
  CHECK(nothing.exit_code == 3);
  CHECK_THAT(nothing.err, StartsWith("pubsub: cannot connect to 127.0.0.1:" + std::to_string(closed)));
  CHECK(run_program(cli_binary(), {"--url", url_of(closed), "stats"}).exit_code == 3);
}

TEST_CASE("sub survives a server restart: it resumes with recovered false and prints the new life's events") {
  const std::uint16_t port = free_port();
  auto server = server_on(port);
  REQUIRE(create_topic(port, "chat") == 201);
  BackgroundProcess sub(cli_binary(), {"--url", url_of(port), "sub", "chat", "--count", "3"});
  REQUIRE(eventually([&] { return health_subscribers(port) == 1; }));
  REQUIRE(pubsub_cli(port, {"pub", "chat", "before"}).exit_code == 0);
  REQUIRE(eventually([&] { return lines_of(sub.out()).size() == 1; }));

  server.reset();  // SIGKILL: the connection drops without a close frame
  server = server_on(port);
  // The subscriber may come back before the topic does: it tries again.
  REQUIRE(create_topic(port, "chat") == 201);
  REQUIRE(eventually([&] { return health_subscribers(port) == 1; }, 20s));
  REQUIRE(pubsub_cli(port, {"pub", "chat", "after-1"}).exit_code == 0);
  REQUIRE(pubsub_cli(port, {"pub", "chat", "after-2"}).exit_code == 0);
  REQUIRE(sub.wait() == 0);
  INFO(sub.err());
  const auto events = json_lines(sub.out());
  REQUIRE(events.size() == 3);
  CHECK(events[0].at("message").at("payload") == "before");
  CHECK(events[1].at("message").at("payload") == "after-1");
  CHECK(events[2].at("message").at("payload") == "after-2");
  CHECK(event_seqs(events) == std::vector<std::int64_t>{1, 1, 2});  // the new life counts from 1
  CHECK_THAT(sub.err(), ContainsSubstring("pubsub: reconnected to " + url_of(port) +
                                          "; chat resumed after seq 1 (recovered: false): messages may have been "
                                          "missed\n"));
}

TEST_CASE("sub resumes with recovered true when the server drops it and stays up") {
  // The server closes a connection silent for a second: a stopped
  // subscriber is one.
  ServerProcess server({"--idle-timeout", "1"});
  REQUIRE(create_topic(server.port(), "t") == 201);
  BackgroundProcess sub(cli_binary(), {"--url", url_of(server.port()), "sub", "t", "--count", "5"});
  REQUIRE(eventually([&] { return health_subscribers(server.port()) == 1; }));
  for (int i = 1; i <= 2; ++i) REQUIRE(pubsub_cli(server.port(), {"pub", "t", std::to_string(i)}).exit_code == 0);
  REQUIRE(eventually([&] { return lines_of(sub.out()).size() == 2; }));
  // Still subscribed after several idle periods: it answers the server's pings.
  std::this_thread::sleep_for(2500ms);
  REQUIRE(health_subscribers(server.port()) == 1);

  sub.signal(SIGSTOP);
  REQUIRE(pubsub_cli(server.port(), {"pub", "t", "3"}).exit_code == 0);
  REQUIRE(eventually([&] { return health_subscribers(server.port()) == 0; }, 20s));
  for (int i = 4; i <= 5; ++i) REQUIRE(pubsub_cli(server.port(), {"pub", "t", std::to_string(i)}).exit_code == 0);
  sub.signal(SIGCONT);
  REQUIRE(sub.wait() == 0);
  INFO(sub.err());
  const auto events = json_lines(sub.out());
  CHECK(event_seqs(events) == seqs(1, 5));  // nothing missing, nothing twice
  CHECK_THAT(sub.err(),
             ContainsSubstring("pubsub: reconnected to " + url_of(server.port()) + "; t resumed after seq "));
  CHECK_THAT(sub.err(), ContainsSubstring("(recovered: true)\n"));
  CHECK(sub.err().find("recovered: false") == std::string::npos);
}

// ------------------------------------------------------------------ credentials

TEST_CASE("with --api-key on the server, requests without the key exit 1 and with it 0") {
  ServerProcess server({"--api-key", "s3cret"});
  auto refused = pubsub_cli(server.port(), {"topics", "create", "k"});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, StartsWith("pubsub: UNAUTHORIZED"));
  CHECK(pubsub_cli(server.port(), {"topics", "create", "k", "--api-key", "s3cret"}).exit_code == 0);
  CHECK(pubsub_cli(server.port(), {"topics"}, {{"PUBSUB_API_KEY", "s3cret"}}).exit_code == 0);
  // A flag beats its variable.
  CHECK(pubsub_cli(server.port(), {"topics", "--api-key", "s3cret"}, {{"PUBSUB_API_KEY", "wrong"}}).exit_code == 0);
  CHECK(pubsub_cli(server.port(), {"topics", "--api-key", "wrong"}, {{"PUBSUB_API_KEY", "s3cret"}}).exit_code == 1);

  auto pub_refused = pubsub_cli(server.port(), {"pub", "k", "1"});  // the upgrade gets 401
  CHECK(pub_refused.exit_code == 1);
  CHECK_THAT(pub_refused.err, StartsWith("pubsub: UNAUTHORIZED"));
  CHECK(pubsub_cli(server.port(), {"pub", "k", "1", "--api-key", "s3cret"}).exit_code == 0);
  CHECK(pubsub_cli(server.port(), {"sub", "k", "--count", "1"}).exit_code == 1);
  auto sub = pubsub_cli(server.port(), {"sub", "k", "--last-n", "1", "--count", "1"}, {{"PUBSUB_API_KEY", "s3cret"}});
  CHECK(sub.exit_code == 0);
  CHECK(json_lines(sub.out).size() == 1);
  CHECK(pubsub_cli(server.port(), {"health"}).exit_code == 0);  // needs no key
}

TEST_CASE("with tokens on the server, --token or PUBSUB_TOKEN is sent as a bearer token") {
  ServerProcess server({"--jwt-secret", kSecret});
  const std::string chat = token(R"({"subscribe":["chat.*"],"publish":["chat.*"],"admin":true})");
  auto refused = pubsub_cli(server.port(), {"topics", "create", "chat.x"});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, StartsWith("pubsub: UNAUTHORIZED"));
  CHECK(pubsub_cli(server.port(), {"topics", "create", "chat.x", "--token", chat}).exit_code == 0);
  CHECK(pubsub_cli(server.port(), {"topics", "create", "other", "--token", chat}).exit_code == 0);
  CHECK(pubsub_cli(server.port(), {"pub", "chat.x", "hi", "--token", chat}).exit_code == 0);
  CHECK(pubsub_cli(server.port(), {"pub", "chat.x", "hi"}, {{"PUBSUB_TOKEN", chat}}).exit_code == 0);
  CHECK(pubsub_cli(server.port(), {"pub", "chat.x", "hi", "--token", chat + "x"}).exit_code == 1);
  auto forbidden = pubsub_cli(server.port(), {"pub", "other", "hi", "--token", chat});
  CHECK(forbidden.exit_code == 1);
  CHECK_THAT(forbidden.err, StartsWith("pubsub: FORBIDDEN"));
  auto sub_forbidden = pubsub_cli(server.port(), {"sub", "other", "--token", chat});
  CHECK(sub_forbidden.exit_code == 1);
  CHECK_THAT(sub_forbidden.err, StartsWith("pubsub: FORBIDDEN"));
  auto sub = pubsub_cli(server.port(), {"sub", "chat.x", "--last-n", "2", "--count", "2", "--token", chat});
  CHECK(sub.exit_code == 0);
  CHECK(event_seqs(json_lines(sub.out)) == seqs(1, 2));
}

// ------------------------------------------------------------------ TLS

TEST_CASE("wss:// and https:// check the certificate: --ca-file trusts it, --insecure skips it, else exit 3") {
  const Certificate certificate("pubsub-cli");
  ServerProcess server({"--tls-cert", certificate.cert, "--tls-key", certificate.key});
  const std::string wss = url_of(server.port(), "wss");
  const std::string https = url_of(server.port(), "https");
  auto run = [&](std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    return run_program(cli_binary(), std::move(args), std::move(env), 30s);
  };
  CHECK(run({"--url", https, "--ca-file", certificate.cert, "topics", "create", "t"}).exit_code == 0);
  CHECK(run({"--url", wss, "--insecure", "pub", "t", "one"}).exit_code == 0);
  CHECK(run({"--url", wss, "pub", "t", "two"}, {{"PUBSUB_CA_FILE", certificate.cert}}).exit_code == 0);
  auto sub = run({"--url", wss, "--ca-file", certificate.cert, "sub", "t", "--last-n", "2", "--count", "2"});
  CHECK(sub.exit_code == 0);
  CHECK(event_seqs(json_lines(sub.out)) == seqs(1, 2));
  auto history = run({"--url", https, "--insecure", "history", "t"});
  CHECK(history.exit_code == 0);
  CHECK(json::parse(history.out).at("messages").as_array().size() == 2);

  for (const std::string& url : {wss, https}) {
    auto untrusted = run({"--url", url, "health"});
    CHECK(untrusted.exit_code == 3);
    CHECK_THAT(untrusted.err, ContainsSubstring("certificate"));
    CHECK_THAT(untrusted.err, ContainsSubstring("not trusted"));
  }
  auto untrusted_sub = run({"--url", wss, "sub", "t"});
  CHECK(untrusted_sub.exit_code == 3);
  // Trusted, but for 127.0.0.1 only: another host name fails the check.
  auto wrong_name = run(
      {"--url", "wss://localhost:" + std::to_string(server.port()), "--ca-file", certificate.cert, "pub", "t", "x"});
  CHECK(wrong_name.exit_code == 3);
  CHECK_THAT(wrong_name.err, ContainsSubstring("not trusted"));
  CHECK(run({"--url", wss, "--ca-file", "/nonexistent.pem", "health"}).exit_code == 2);
}

// ------------------------------------------------------------------ usage

TEST_CASE("usage errors exit 2; --help, help COMMAND and --version exit 0") {
  auto none = run_program(cli_binary(), {});
  CHECK(none.exit_code == 2);
  CHECK_THAT(none.err, StartsWith("pubsub: no command given"));
  CHECK(run_program(cli_binary(), {"publish", "t"}).exit_code == 2);
  CHECK(run_program(cli_binary(), {"stats", "--bogus"}).exit_code == 2);
  CHECK(run_program(cli_binary(), {"sub", "t", "--count", "many"}).exit_code == 2);
  CHECK(run_program(cli_binary(), {"--url", "localhost:8080", "stats"}).exit_code == 2);
  CHECK(run_program(cli_binary(), {"stats"}, {{"PUBSUB_URL", "nope"}}).exit_code == 2);

  auto help = run_program(cli_binary(), {"--help"});
  CHECK(help.exit_code == 0);
  for (const char* word : {"topics create NAME", "pub TOPIC [PAYLOAD]", "sub TOPIC...", "history TOPIC", "--url",
                           "--api-key", "--token", "--ca-file", "--insecure", "Exit status"}) {
    CHECK_THAT(help.out, ContainsSubstring(word));
  }
  auto sub_help = run_program(cli_binary(), {"help", "sub"});
  CHECK(sub_help.exit_code == 0);
  CHECK_THAT(sub_help.out, StartsWith("usage: pubsub [OPTIONS] sub TOPIC..."));
  CHECK(run_program(cli_binary(), {"pub", "--help"}).out == run_program(cli_binary(), {"help", "pub"}).out);
  auto version = run_program(cli_binary(), {"--version"});
  CHECK(version.exit_code == 0);
  CHECK_THAT(version.out, StartsWith("pubsub "));
}

TEST_CASE("a server that never answers: --timeout ends the wait with exit 3") {
  // A listening socket that never accepts: the connection is made, the
  // upgrade and the request are never answered.
  const Listener listener;
  const std::uint16_t port = listener.port;
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"stats"}, {"pub", "t", "1"}, {"sub", "t"}}) {
    args.insert(args.begin(), {"--url", url_of(port), "--timeout", "0.5"});
    const auto start = std::chrono::steady_clock::now();
    auto r = run_program(cli_binary(), args, {}, 30s);
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, StartsWith("pubsub: no answer from 127.0.0.1:" + std::to_string(port) + " within 0.5 s"));
    CHECK(std::chrono::steady_clock::now() - start < 5s);
  }
}

TEST_CASE("another HTTP server at the URL: health, stats and topics exit 3 asking whether it is a pubsub server") {
  // Answers every request with 200 and a body that is not pubsubd's.
  const Listener listener;
  const std::uint16_t port = listener.port;
  std::thread answering([fd = listener.fd]() noexcept {
    for (;;) {
      const int client = ::accept(fd, nullptr, nullptr);
      if (client < 0) return;  // the listener was shut down
      char request[4096];
      (void)::recv(client, request, sizeof request, 0);
      static constexpr std::string_view kAnswer =
          "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
      (void)::send(client, kAnswer.data(), kAnswer.size(), MSG_NOSIGNAL);
      ::close(client);
    }
  });
  std::vector<ProcessResult> results;
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{{"health"}, {"stats"}, {"topics"}}) {
    args.insert(args.begin(), {"--url", url_of(port), "--timeout", "5"});
    results.push_back(run_program(cli_binary(), args, {}, 30s));
  }
  ::shutdown(listener.fd, SHUT_RDWR);
  answering.join();
  for (const ProcessResult& r : results) {
    CHECK(r.exit_code == 3);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, ContainsSubstring("a pubsub server?"));
  }
}
