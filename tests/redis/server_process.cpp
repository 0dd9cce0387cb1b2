// Process control for the Redis client's tests; see server_process.h.
#include "redis/server_process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace pubsub::redis::testing {
namespace {

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

// True if a server on `port` answers a PING (with PONG, or an error such as
// NOAUTH) within 200 ms.
bool answers(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  bool answered = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 && ::write(fd, "PING\r\n", 6) == 6) {
    pollfd watch{fd, POLLIN, 0};
    char first = 0;
    answered = ::poll(&watch, 1, 200) == 1 && ::read(fd, &first, 1) == 1 && (first == '+' || first == '-');
  }
  ::close(fd);
  return answered;
}

}  // namespace

ServerProcess::ServerProcess(std::vector<std::string> extra_args) : extra_args_(std::move(extra_args)) {
  const char* binary = std::getenv("VALKEY_SERVER");
  if (binary == nullptr || *binary == '\0') {
    throw std::runtime_error(
        "VALKEY_SERVER is not set: neither valkey-server nor redis-server was found when the build was configured. "
        "Install one (bash scripts/deps.sh --tests installs valkey-server), then reconfigure "
        "(meson setup --reconfigure <build dir>) and run the tests again.");
  }
  binary_ = binary;
  std::string pattern = (std::filesystem::temp_directory_path() / "pubsub-valkey-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  directory_ = pattern;
  port_ = free_port();
  launch();
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

std::string ServerProcess::url(const std::string& credentials, const std::string& path) const {
  return "redis://" + credentials + "127.0.0.1:" + std::to_string(port_) + path;
}

void ServerProcess::launch() {
  std::vector<std::string> args = {
      binary_, "--port",   std::to_string(port_), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
      "--dir", directory_, "--daemonize",         "no"};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log_path = directory_ + "/server.log";
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const int failed = posix_spawn(&pid_, binary_.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (failed != 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start " + binary_ + ": " + std::strerror(failed));
  }
  wait_until_answering();
}

void ServerProcess::wait_until_answering() {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("the server exited at start:\n" + log());
    }
    if (answers(port_)) return;
    std::this_thread::sleep_for(10ms);
  }
  throw std::runtime_error("the server did not answer within 10 s:\n" + log());
}

void ServerProcess::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void ServerProcess::restart() {
  kill();
  launch();
}

void ServerProcess::pause() { ::kill(pid_, SIGSTOP); }

void ServerProcess::resume() { ::kill(pid_, SIGCONT); }

std::string ServerProcess::log() const {
  std::ifstream in(directory_ + "/server.log", std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool run_until(boost::asio::io_context& io, const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (io.stopped()) io.restart();
    if (io.run_for(5ms) == 0) std::this_thread::sleep_for(1ms);
  }
  return true;
}

void start_and_wait_up(boost::asio::io_context& io, Client& client) {
  client.start();
  INFO(client.last_error());
  REQUIRE(run_until(io, [&] { return client.up(); }));
}

Reply call(boost::asio::io_context& io, Client& client, std::initializer_list<std::string_view> args,
           std::chrono::milliseconds timeout) {
  std::optional<Reply> reply;
  client.command(args, [&reply](Reply r) { reply = std::move(r); });
  REQUIRE(run_until(io, [&] { return reply.has_value(); }, timeout));
  return std::move(*reply);
}

long long info_field(const std::string& info, const std::string& name) {
  const auto at = info.find("\r\n" + name + ":");
  REQUIRE(at != std::string::npos);
  return std::stoll(info.substr(at + name.size() + 3));
}

void run_for(boost::asio::io_context& io, std::chrono::milliseconds duration) {
  const auto deadline = std::chrono::steady_clock::now() + duration;
  run_until(io, [deadline] { return std::chrono::steady_clock::now() >= deadline; }, duration + 1s);
}

RedisUrl url_of(const std::string& text) {
  auto parsed = parse_redis_url(text);
  if (!parsed.url) throw std::runtime_error("a test's Redis URL does not parse: " + parsed.error);
  return *parsed.url;
}

ConnectionOptions quick_options(std::chrono::milliseconds command_timeout) { return {command_timeout, 20ms, 100ms}; }

}  // namespace pubsub::redis::testing
