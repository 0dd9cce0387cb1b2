// Process control and Beast-based clients for the end-to-end tests; see
// harness.h.
#include "e2e/harness.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <catch2/catch_test_macros.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace pubsub::e2e {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

std::string server_binary() {
  const char* path = std::getenv("PUBSUBD");
  if (path == nullptr || *path == '\0') throw std::runtime_error("PUBSUBD is not set (run the tests with meson test)");
  return path;
}

std::string temp_file(const char* prefix) {
  std::string path = std::string("/tmp/") + prefix + "-XXXXXX";
  int fd = mkstemp(path.data());
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  ::close(fd);
  return path;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The environment for a child: ours without PUBSUB_* (so that the machine's
// settings cannot leak into a test), plus `extra`.
std::vector<std::string> child_environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "PUBSUB_", 7) != 0) out.emplace_back(*e);
  }
  for (const auto& [k, v] : extra) out.push_back(k + "=" + v);
  return out;
}

// `log` without UndefinedBehaviorSanitizer's vptr reports on memory it could
// not probe: a "runtime error: member access within address" line followed,
// within three lines, by "invalid vptr" and then "<memory cannot be
// printed>". Other reports, and vptr reports on memory it probed, stay.
std::string without_unprobed_vptr_reports(const std::string& log) {
  std::vector<std::string> lines;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find("runtime error: member access within address") != std::string::npos) {
      std::size_t end = i + 1;
      bool invalid_vptr = false;
      while (end < lines.size() && end <= i + 3 && lines[end].find("<memory cannot be printed>") == std::string::npos) {
        invalid_vptr = invalid_vptr || lines[end].find("invalid vptr") != std::string::npos;
        ++end;
      }
      if (invalid_vptr && end < lines.size() && end <= i + 3) {
        i = end;  // the whole report
        continue;
      }
    }
    out += lines[i] + "\n";
  }
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Spawns args[0] with stdout to `stdout_fd` and stderr to `stderr_path`.
pid_t spawn_program(std::vector<std::string> args, const std::map<std::string, std::string>& env, int stdout_fd,
                    const std::string& stderr_path) {
  auto envs = child_environment(env);
  auto argv = c_strings(args);
  auto envp = c_strings(envs);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, stdout_fd, STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(rc));
  return pid;
}

// Spawns pubsubd with `args`.
pid_t spawn(std::vector<std::string> args, const std::map<std::string, std::string>& env, int stdout_fd,
            const std::string& stderr_path) {
  args.insert(args.begin(), server_binary());
  return spawn_program(std::move(args), env, stdout_fd, stderr_path);
}

// Waits for `pid` up to `timeout`; returns its status or nullopt.
std::optional<int> wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(10ms);
  }
}

// True if `args` or `env` set --heartbeat-interval.
bool sets_heartbeat(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
  if (env.contains("PUBSUB_HEARTBEAT_INTERVAL")) return true;
  for (const std::string& arg : args) {
    if (arg.starts_with("--heartbeat-interval")) return true;
  }
  return false;
}

// The message of the exception `error` holds.
std::string describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

// Runs `ioc` until `done` or `timeout`; returns `done`.
bool run_until(asio::io_context& ioc, const bool& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    ioc.restart();
    ioc.run_one_for(deadline - now);
  }
  return true;
}

}  // namespace

// ------------------------------------------------------------------ processes

ServerProcess::ServerProcess(std::vector<std::string> args, std::map<std::string, std::string> env) {
  log_path_ = temp_file("pubsubd-log");
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  if (!sets_heartbeat(args, env)) args.insert(args.end(), {"--heartbeat-interval", "0"});
  args.insert(args.begin(), {"--host", "127.0.0.1", "--port", "0"});
  pid_ = spawn(args, env, fds[1], log_path_);
  ::close(fds[1]);

  std::string out;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (out.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd pfd{fds[0], POLLIN, 0};
    if (left.count() <= 0 || poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[256];
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  auto colon = out.rfind(':');
  if (out.rfind("listening on ", 0) != 0 || colon == std::string::npos) {
    stop(SIGKILL, 5s);
    throw std::runtime_error("pubsubd did not start; stdout: '" + out + "'; log: " + log());
  }
  port_ = static_cast<std::uint16_t>(std::stoi(out.substr(colon + 1)));
}

ServerProcess::~ServerProcess() {
  if (!exited_) {
    int status = stop(SIGTERM);
    if (status != 0)
      FAIL_CHECK("pubsubd did not exit cleanly after SIGTERM (status " << status << "); log:\n" << log());
  }
  // A sanitizer report in the server fails the test that ran it.
  std::string text = log();
  if (descriptors_limited_) text = without_unprobed_vptr_reports(text);
  for (const char* marker :
       {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "WARNING: ThreadSanitizer"}) {
    if (text.find(marker) != std::string::npos) FAIL_CHECK("sanitizer report in pubsubd's log:\n" << text);
  }
  std::remove(log_path_.c_str());
}

int ServerProcess::stop(int signal, std::chrono::milliseconds timeout) {
  if (exited_) return -1;
  kill(pid_, signal);
  return wait(timeout);
}

void ServerProcess::signal(int signal) {
  if (!exited_) kill(pid_, signal);
}

int ServerProcess::wait(std::chrono::milliseconds timeout) {
  if (exited_) return -1;
  auto status = wait_exit(pid_, timeout);
  if (!status) {
    kill(pid_, SIGKILL);
    wait_exit(pid_, 5s);
  }
  exited_ = true;
  return status.value_or(-1);
}

long ServerProcess::rss_kib() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

std::string ServerProcess::log() const { return read_file(log_path_); }

void ServerProcess::limit_descriptors(int more) {
  std::set<int> open;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid_) + "/fd")) {
    open.insert(std::stoi(entry.path().filename().string()));
  }
  // A new descriptor takes the lowest free number: the limit leaves `more` free below it.
  int below = 0;
  for (int free = 0; free < more; ++below) {
    if (!open.contains(below)) ++free;
  }
  rlimit limit{};
  if (prlimit(pid_, RLIMIT_NOFILE, nullptr, &limit) != 0) throw std::runtime_error("prlimit failed");
  limit.rlim_cur = static_cast<rlim_t>(below);
  descriptors_limited_ = true;
  if (prlimit(pid_, RLIMIT_NOFILE, &limit, nullptr) != 0) throw std::runtime_error("prlimit failed");
}

ProcessResult run_pubsubd(std::vector<std::string> args, std::map<std::string, std::string> env,
                          std::chrono::milliseconds timeout) {
  args.insert(args.begin(), server_binary());
  return run_program(args[0], {args.begin() + 1, args.end()}, std::move(env), timeout);
}

ProcessResult run_program(const std::string& path, std::vector<std::string> args,
                          std::map<std::string, std::string> env, std::chrono::milliseconds timeout) {
  args.insert(args.begin(), path);
  std::string out_path = temp_file("pubsubd-out");
  std::string err_path = temp_file("pubsubd-err");
  int out_fd = open(out_path.c_str(), O_WRONLY | O_TRUNC);
  pid_t pid = spawn_program(std::move(args), env, out_fd, err_path);
  ::close(out_fd);
  ProcessResult result;
  auto status = wait_exit(pid, timeout);
  if (!status) {
    kill(pid, SIGKILL);
    wait_exit(pid, 5s);
  }
  result.exit_code = status.value_or(-1);
  result.out = read_file(out_path);
  result.err = read_file(err_path);
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  return result;
}

// ------------------------------------------------------------------ TCP

TcpConnection::TcpConnection(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
  if (fd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd_);
    throw std::runtime_error(std::string("connect failed: ") + std::strerror(errno));
  }
}

TcpConnection::~TcpConnection() {
  if (fd_ >= 0) ::close(fd_);
}

TcpConnection::TcpConnection(TcpConnection&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

Listener::Listener() : fd(::socket(AF_INET, SOCK_STREAM, 0)) {
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(fd, 16) == 0);
  socklen_t size = sizeof address;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0);
  port = ntohs(address.sin_port);
}

Listener::~Listener() { ::close(fd); }

// ------------------------------------------------------------------ HTTP

namespace {

// The response `parser` read, with lower-case header names.
HttpResponse response_of(bhttp::response_parser<bhttp::string_body>& parser) {
  auto res = parser.release();
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  out.body = res.body();
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(field.value());
  }
  return out;
}

}  // namespace

std::vector<HttpResponse> raw_http_exchange(std::uint16_t port, const std::vector<RawHttpStep>& steps) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(10s);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  std::vector<HttpResponse> responses;
  beast::flat_buffer buffer;
  for (const RawHttpStep& step : steps) {
    asio::write(stream.socket(), asio::buffer(step.bytes));
    for (std::size_t read = 0; read < step.responses; ++read) {
      bool done = false;
      bhttp::response_parser<bhttp::string_body> parser;
      stream.expires_after(10s);
      bhttp::async_read(stream, buffer, parser, [&](beast::error_code, std::size_t) { done = true; });
      if (!run_until(ioc, done, 10s)) throw std::runtime_error("HTTP response timed out");
      if (!parser.is_done()) return responses;  // the connection ended first
      responses.push_back(response_of(parser));
    }
  }
  return responses;
}

std::string raw_http_bytes(std::uint16_t port, const std::string& bytes) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(10s);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  asio::write(stream.socket(), asio::buffer(bytes));
  std::string received;
  bool done = false;
  asio::async_read(stream, asio::dynamic_buffer(received), [&](beast::error_code, std::size_t) { done = true; });
  if (!run_until(ioc, done, 10s)) throw std::runtime_error("the server did not close the connection");
  return received;
}

std::vector<HttpResponse> raw_http_responses(std::uint16_t port, const std::string& bytes, std::size_t count) {
  return raw_http_exchange(port, {{bytes, count}});
}

HttpResponse raw_http(std::uint16_t port, const std::string& bytes) {
  std::vector<HttpResponse> responses = raw_http_responses(port, bytes, 1);
  if (responses.empty()) throw std::runtime_error("HTTP response failed: the connection ended");
  return std::move(responses.front());
}

std::optional<double> metric_value(const std::string& page, const std::string& series) {
  std::istringstream lines(page);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

bool health_is(std::uint16_t port, int status, int in_a_row, std::chrono::milliseconds timeout) {
  return eventually(
      [&] {
        for (int i = 0; i < in_a_row; ++i) {
          if (http(port, "GET", "/health").status != status) return false;
        }
        return true;
      },
      timeout);
}

HttpResponse http(std::uint16_t port, const std::string& method, const std::string& target, const std::string& body,
                  const Headers& headers) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(10s);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
  if (req.method() == bhttp::verb::unknown) req.method_string(method);
  req.set(bhttp::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty() || method == "POST") {
    req.set(bhttp::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
  }
  req.keep_alive(false);

  bool done = false;
  beast::error_code error;
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  bhttp::async_write(stream, req, [&](beast::error_code ec, std::size_t) {
    if (ec) {
      // The server may answer before the whole body is sent (413); read on.
      error = ec;
    }
    bhttp::async_read(stream, buffer, parser, [&](beast::error_code rec, std::size_t) {
      if (rec) error = rec;
      done = true;
    });
  });
  if (!run_until(ioc, done, 10s)) throw std::runtime_error("HTTP request timed out: " + method + " " + target);
  if (!parser.is_done()) throw std::runtime_error("HTTP request failed: " + error.message());
  return response_of(parser);
}

int create_topic(std::uint16_t port, const std::string& name, const Headers& headers) {
  boost::json::object body{{"name", name}};
  return http(port, "POST", "/topics", boost::json::serialize(body), headers).status;
}

struct HttpConnection::Impl {
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
};

HttpConnection::HttpConnection(std::uint16_t port, int receive_buffer) : impl_(std::make_unique<Impl>()) {
  impl_->stream.expires_after(10s);
  if (receive_buffer > 0) {
    impl_->stream.socket().open(tcp::v4());
    impl_->stream.socket().set_option(asio::socket_base::receive_buffer_size(receive_buffer));
  }
  impl_->stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
}

HttpConnection::~HttpConnection() = default;
HttpConnection::HttpConnection(HttpConnection&&) noexcept = default;

bool HttpConnection::wait_readable(std::chrono::milliseconds timeout) {
  if (impl_->buffer.size() > 0) return true;
  pollfd pfd{impl_->stream.socket().native_handle(), POLLIN, 0};
  return poll(&pfd, 1, static_cast<int>(timeout.count())) > 0 && (pfd.revents & POLLIN) != 0;
}

bool HttpConnection::send(const std::string& method, const std::string& target, const std::string& body) {
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  req.keep_alive(true);
  if (!body.empty()) {
    req.set(bhttp::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
  }
  beast::error_code error;
  bhttp::write(impl_->stream.socket(), req, error);  // a request fits in the socket's buffer
  return !error;
}

std::optional<HttpResponse> HttpConnection::receive() {
  Impl& s = *impl_;
  bool done = false;
  beast::error_code error;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  s.stream.expires_after(10s);
  bhttp::async_read(s.stream, s.buffer, parser, [&](beast::error_code ec, std::size_t) {
    error = ec;
    done = true;
  });
  run_until(s.ioc, done, 15s);  // the stream's deadline ends the read first
  if (!done || error || !parser.is_done()) return std::nullopt;
  return response_of(parser);
}

std::optional<HttpResponse> HttpConnection::request(const std::string& method, const std::string& target,
                                                    const std::string& body) {
  if (!send(method, target, body)) return std::nullopt;
  return receive();
}

std::optional<std::chrono::milliseconds> time_until_closed(std::uint16_t port, const std::string& bytes,
                                                           std::chrono::milliseconds timeout) {
  asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  asio::write(socket, asio::buffer(bytes));
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    auto left =
        timeout - std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    pollfd pfd{socket.native_handle(), POLLIN, 0};
    if (left.count() <= 0 || poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
    char buf[4096];
    ssize_t n = ::recv(socket.native_handle(), buf, sizeof buf, 0);
    if (n <= 0) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    }
  }
}

std::int64_t health_subscribers(std::uint16_t port) {
  return http(port, "GET", "/health").json().at("subscribers").as_int64();
}

// ------------------------------------------------------------------ WebSocket

struct WsClient::Impl {
  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buffer;
  bool read_pending = false;
  bool read_done = false;
  beast::error_code read_error;

  // Connects and upgrades; returns the HTTP status (101 on success).
  int connect(std::uint16_t port, const std::string& target, const Headers& headers, int receive_buffer = 0) {
    auto& lowest = beast::get_lowest_layer(ws);
    lowest.expires_after(10s);
    if (receive_buffer > 0) {
      lowest.socket().open(tcp::v4());
      lowest.socket().set_option(asio::socket_base::receive_buffer_size(receive_buffer));
    }
    lowest.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    // As browsers and WebSocket libraries do: Beast writes a masked frame
    // in pieces, and without it the last piece waits for the server's
    // delayed ACK (40 ms a frame of a few KiB).
    lowest.socket().set_option(tcp::no_delay(true));
    ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
      for (const auto& [k, v] : headers) req.set(k, v);
    }));
    ws.read_message_max(256 * 1024 * 1024);
    websocket::response_type response;
    beast::error_code ec;
    ws.handshake(response, "127.0.0.1", target, ec);
    lowest.expires_never();
    if (ec) return static_cast<int>(response.result_int() == 0 ? 0 : response.result_int());
    return 101;
  }
};

WsClient::WsClient(std::uint16_t port, const std::string& target, const Headers& headers, int receive_buffer)
    : impl_(std::make_unique<Impl>()) {
  int status = impl_->connect(port, target, headers, receive_buffer);
  if (status != 101) throw std::runtime_error("WebSocket upgrade refused with HTTP " + std::to_string(status));
}

WsClient::~WsClient() = default;
WsClient::WsClient(WsClient&&) noexcept = default;
WsClient& WsClient::operator=(WsClient&&) noexcept = default;

int WsClient::try_connect(std::uint16_t port, const std::string& target, const Headers& headers) {
  Impl impl;
  try {
    return impl.connect(port, target, headers);
  } catch (const boost::system::system_error&) {
    return 0;  // refused or reset before any HTTP answer
  }
}

void WsClient::send(const std::string& text) {
  bool done = false;
  beast::error_code error;
  impl_->ws.text(true);
  impl_->ws.async_write(asio::buffer(text), [&](beast::error_code ec, std::size_t) {
    error = ec;
    done = true;
  });
  if (!run_until(impl_->ioc, done, 10s)) throw std::runtime_error("WebSocket send timed out");
  if (error) throw std::runtime_error("WebSocket send failed: " + error.message());
}

void WsClient::send_binary(const std::string& data) {
  impl_->ws.binary(true);
  bool done = false;
  beast::error_code error;
  impl_->ws.async_write(asio::buffer(data), [&](beast::error_code ec, std::size_t) {
    error = ec;
    done = true;
  });
  if (!run_until(impl_->ioc, done, 10s)) throw std::runtime_error("WebSocket send timed out");
  impl_->ws.text(true);
  if (error) throw std::runtime_error("WebSocket send failed: " + error.message());
}

void WsClient::send_raw(const std::string& bytes) {
  asio::write(beast::get_lowest_layer(impl_->ws).socket(), asio::buffer(bytes));
}

Received WsClient::receive(std::chrono::milliseconds timeout) {
  Impl& s = *impl_;
  if (!s.read_pending) {
    s.read_pending = true;
    s.read_done = false;
    s.ws.async_read(s.buffer, [&s](beast::error_code ec, std::size_t) {
      s.read_error = ec;
      s.read_done = true;
    });
  }
  // A read that does not finish in time stays pending for the next call.
  if (!run_until(s.ioc, s.read_done, timeout)) return {Received::Kind::timeout, {}, 0};
  s.read_pending = false;
  Received out;
  if (s.read_error == websocket::error::closed) {
    out.kind = Received::Kind::closed;
    out.close_code = s.ws.reason().code;
    return out;
  }
  if (s.read_error) {
    out.kind = Received::Kind::error;
    out.data = s.read_error.message();
    return out;
  }
  out.kind = s.ws.got_text() ? Received::Kind::text : Received::Kind::binary;
  out.data = beast::buffers_to_string(s.buffer.data());
  s.buffer.consume(s.buffer.size());
  return out;
}

boost::json::object WsClient::next(std::chrono::milliseconds timeout) {
  Received r = receive(timeout);
  switch (r.kind) {
    case Received::Kind::text: return boost::json::parse(r.data).as_object();
    case Received::Kind::timeout: throw std::runtime_error("no message within the timeout");
    case Received::Kind::closed:
      throw std::runtime_error("connection closed with code " + std::to_string(r.close_code));
    case Received::Kind::binary: throw std::runtime_error("unexpected binary message");
    case Received::Kind::error: throw std::runtime_error("read failed: " + r.data);
  }
  throw std::runtime_error("unreachable");
}

boost::json::object WsClient::next_skipping_heartbeats(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto message = next(std::max(left, 1ms));
    if (!(message.at("type") == "info" && message.contains("msg") && message.at("msg") == "ping")) return message;
  }
}

bool WsClient::silent_for(std::chrono::milliseconds window) {
  Received r = receive(window);
  return r.kind == Received::Kind::timeout;
}

int WsClient::wait_closed(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return 0;
    Received r = receive(left);
    if (r.kind == Received::Kind::closed) return r.close_code;
    if (r.kind == Received::Kind::error) {
      UNSCOPED_INFO("read failed before a close frame: " << r.data);
      return -1;
    }
    if (r.kind == Received::Kind::timeout) return 0;
  }
}

void WsClient::subscribe(const std::string& topic, std::optional<int> last_n) {
  boost::json::object request{{"type", "subscribe"}, {"topic", topic}, {"client_id", "test"}};
  if (last_n) request["last_n"] = *last_n;
  send_json(request);
  auto reply = next_skipping_heartbeats();
  if (reply.at("type") != "ack") throw std::runtime_error("subscribe failed: " + boost::json::serialize(reply));
}

boost::json::object WsClient::publish(const std::string& topic, const boost::json::value& payload,
                                      std::vector<boost::json::object>* events) {
  send_json(publish_request(topic, payload));
  for (;;) {
    auto message = next_skipping_heartbeats();
    if (message.at("type") == "event") {
      if (events != nullptr) events->push_back(message);
      continue;
    }
    return message;
  }
}

void WsClient::close() {
  beast::error_code ec;
  bool done = false;
  impl_->ws.async_close(websocket::close_code::normal, [&](beast::error_code e) {
    ec = e;
    done = true;
  });
  run_until(impl_->ioc, done, 5s);
}

void WsClient::abort() {
  beast::error_code ec;
  beast::get_lowest_layer(impl_->ws).socket().close(ec);
}

// ------------------------------------------------------------------ threads

TestThread::~TestThread() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
  if (error_ && *error_) FAIL_CHECK("a test thread failed: " << describe(*error_));
}

void TestThread::join() {
  thread_.join();
  if (std::exception_ptr error = std::exchange(*error_, nullptr)) std::rethrow_exception(error);
}

// ------------------------------------------------------------------ helpers

std::string uuid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<int> hex(0, 15);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx";
  for (char& c : out) {
    if (c == 'x') c = kDigits[hex(rng)];
  }
  return out;
}

boost::json::object publish_request(const std::string& topic, const boost::json::value& payload,
                                    std::optional<std::string> request_id) {
  boost::json::object request{
      {"type", "publish"}, {"topic", topic}, {"message", boost::json::object{{"id", uuid()}, {"payload", payload}}}};
  if (request_id) request["request_id"] = *request_id;
  return request;
}

Certificate::Certificate(const std::string& name) {
  static int count = 0;
  const auto path = std::filesystem::temp_directory_path() /
                    ("pubsub-e2e-tls-" + std::to_string(::getpid()) + "-" + std::to_string(++count));
  std::filesystem::create_directories(path);
  dir = path.string();
  cert = (path / "cert.pem").string();
  key = (path / "key.pem").string();
  make(name, cert, key);
}

Certificate::~Certificate() { std::filesystem::remove_all(dir); }

void Certificate::make(const std::string& name, const std::string& cert, const std::string& key) {
  const char* openssl = std::getenv("OPENSSL");
  REQUIRE(openssl != nullptr);
  const ProcessResult made = run_program(
      openssl, {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                "-out", cert, "-days", "1", "-subj", "/CN=" + name, "-addext", "subjectAltName=IP:127.0.0.1"});
  REQUIRE(made.exit_code == 0);
}

}  // namespace pubsub::e2e
