// End-to-end test harness: starts the real pubsubd binary on a free port and
// talks to it over real sockets (HTTP and WebSocket clients with timeouts),
// and runs the tests' own threads (TestThread).
// Beast stays in harness.cpp so that test files compile quickly.
//
// Each object belongs to the thread that created it.
#pragma once

#include <sys/types.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace pubsub::e2e {

using namespace std::chrono_literals;
using Headers = std::vector<std::pair<std::string, std::string>>;

// A running pubsubd. The destructor stops it (SIGTERM, then SIGKILL).
class ServerProcess {
 public:
  // Starts pubsubd (path from $PUBSUBD) with `--host 127.0.0.1 --port 0`
  // followed by `args`, and waits for its "listening on" line. Unless the
  // test sets --heartbeat-interval (flag or variable), the server gets
  // `--heartbeat-interval 0`: heartbeats would interleave with the frames
  // a test expects.
  explicit ServerProcess(std::vector<std::string> args = {}, std::map<std::string, std::string> env = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // Sends `signal` and waits up to `timeout` for the exit; returns the exit
  // status (or -1 if it had to be killed, 128+N if killed by signal N).
  int stop(int signal, std::chrono::milliseconds timeout = 15s);
  // Sends `signal` without waiting.
  void signal(int signal);
  // Waits up to `timeout` for an exit that a signal started; returns as
  // stop() does (killing the server past `timeout`).
  int wait(std::chrono::milliseconds timeout = 15s);
  // Resident memory in KiB, from /proc/<pid>/status.
  long rss_kib() const;
  // Lowers the server's soft RLIMIT_NOFILE (prlimit(2) on the running
  // process) so that it can open `more` descriptors beside those it has;
  // accepting past them fails with EMFILE. UndefinedBehaviorSanitizer's
  // vptr check cannot work in a process without descriptors (it probes
  // memory through a pipe), so its "invalid vptr" reports whose memory
  // "cannot be printed" do not fail such a server's test.
  void limit_descriptors(int more);
  // Everything the server wrote to standard error so far.
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string log_path_;
  bool exited_ = false;
  bool descriptors_limited_ = false;
};

// Result of running a binary to completion.
struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// Runs pubsubd with `args` and `env` to completion (at most `timeout`).
ProcessResult run_pubsubd(std::vector<std::string> args, std::map<std::string, std::string> env = {},
                          std::chrono::milliseconds timeout = 10s);
// Runs the program at `path` the same way.
ProcessResult run_program(const std::string& path, std::vector<std::string> args,
                          std::map<std::string, std::string> env = {}, std::chrono::milliseconds timeout = 10s);

struct HttpResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names

  boost::json::value json() const { return boost::json::parse(body); }
};

// A bare TCP connection that sends nothing; closed when destroyed.
class TcpConnection {
 public:
  // Connects to 127.0.0.1:`port`; throws if it cannot.
  explicit TcpConnection(std::uint16_t port);
  ~TcpConnection();
  TcpConnection(TcpConnection&& other) noexcept;
  TcpConnection& operator=(TcpConnection&&) = delete;

  // Gives up the socket: returns its descriptor, which the caller closes.
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

// A listening socket on a free loopback port, and that port; closed when
// destroyed.
struct Listener {
  Listener();
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  int fd = -1;
  std::uint16_t port = 0;
};

// One keep-alive HTTP/1.1 connection: requests go one after another on it.
class HttpConnection {
 public:
  // A `receive_buffer` > 0 sets SO_RCVBUF before connecting, so that the
  // server's write of a large response waits while the client does not read.
  explicit HttpConnection(std::uint16_t port, int receive_buffer = 0);
  ~HttpConnection();
  HttpConnection(HttpConnection&&) noexcept;
  HttpConnection& operator=(HttpConnection&&) = delete;

  // Sends a request and reads its response, within 10 s; nullopt if the
  // connection ended (or failed) first.
  std::optional<HttpResponse> request(const std::string& method, const std::string& target,
                                      const std::string& body = {});
  // Sends a request only; false if the connection failed.
  bool send(const std::string& method, const std::string& target, const std::string& body = {});
  // Reads the next response, within 10 s; nullopt if the connection ended
  // (or failed) first.
  std::optional<HttpResponse> receive();
  // Waits up to `timeout` for the first bytes of a response, without
  // reading them; false if none arrived.
  bool wait_readable(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One HTTP/1.1 request on a fresh connection.
HttpResponse http(std::uint16_t port, const std::string& method, const std::string& target,
                  const std::string& body = {}, const Headers& headers = {});
// Sends `bytes` as they are on a fresh connection and reads one response
// (a 101's header, or a status, headers and body).
HttpResponse raw_http(std::uint16_t port, const std::string& bytes);
// Sends `bytes` as they are, in one write, on a fresh connection and reads
// up to `count` responses (fewer if the connection ends first).
std::vector<HttpResponse> raw_http_responses(std::uint16_t port, const std::string& bytes, std::size_t count);
// Sends `bytes` as they are on a fresh connection and returns every byte
// the server writes until it closes the connection (within 10 s), not
// parsed: for answers whose framing is under test.
std::string raw_http_bytes(std::uint16_t port, const std::string& bytes);
// What raw_http_exchange sends, and how many responses it reads then.
struct RawHttpStep {
  std::string bytes;
  std::size_t responses = 0;
};
// Sends each step's bytes as they are, in one write, on one fresh
// connection, and after each reads the responses the step names (a 1xx
// counts as one), each within 10 s; stops early if the connection ends.
// Returns every response read, in order.
std::vector<HttpResponse> raw_http_exchange(std::uint16_t port, const std::vector<RawHttpStep>& steps);
// The value of the sample of a Prometheus text page written exactly as
// `series` (name and labels as the server orders them), or nullopt if
// there is none.
std::optional<double> metric_value(const std::string& page, const std::string& series);
// True once GET /health answers `status` to `in_a_row` requests in a row
// within `timeout`: with at least as many requests as the server has I/O
// threads, each thread answered it (connections go to the threads in turn).
bool health_is(std::uint16_t port, int status, int in_a_row, std::chrono::milliseconds timeout = 20s);
// Convenience: POST /topics {"name":...}; returns the status.
int create_topic(std::uint16_t port, const std::string& name, const Headers& headers = {});

// What a WebSocket read produced.
struct Received {
  enum class Kind { text, binary, timeout, closed, error } kind = Kind::timeout;
  std::string data;
  int close_code = 0;  // when closed: the code the server sent
};

class WsClient {
 public:
  // Connects and upgrades; throws std::runtime_error (with the HTTP status
  // in `handshake_status` available through try_connect) on failure.
  // A `receive_buffer` > 0 sets SO_RCVBUF before connecting, so that the
  // server's writes back up after a few KiB when the client does not read
  // (shrinking it after the handshake would stall TCP instead).
  explicit WsClient(std::uint16_t port, const std::string& target = "/ws", const Headers& headers = {},
                    int receive_buffer = 0);
  ~WsClient();
  WsClient(WsClient&&) noexcept;
  WsClient& operator=(WsClient&&) noexcept;

  // Attempts an upgrade; returns the HTTP status of the refusal, or 101.
  static int try_connect(std::uint16_t port, const std::string& target, const Headers& headers = {});

  void send(const std::string& text);
  void send_json(const boost::json::value& value) { send(boost::json::serialize(value)); }
  void send_binary(const std::string& data);
  // Sends raw bytes on the TCP socket, bypassing the WebSocket framing.
  void send_raw(const std::string& bytes);

  Received receive(std::chrono::milliseconds timeout = 15s);
  // Next text message parsed as JSON; throws on timeout, close or error.
  boost::json::object next(std::chrono::milliseconds timeout = 15s);
  // Next message that is not a heartbeat info.
  boost::json::object next_skipping_heartbeats(std::chrono::milliseconds timeout = 15s);
  // True if nothing arrives within `window`.
  bool silent_for(std::chrono::milliseconds window);
  // Reads until the server closes; returns the close code (0 on timeout).
  int wait_closed(std::chrono::milliseconds timeout = 10s);

  // Subscribes and consumes the ack. Throws if the reply is not an ack.
  void subscribe(const std::string& topic, std::optional<int> last_n = std::nullopt);
  // Publishes and returns the ack (events before it are returned in `events`).
  boost::json::object publish(const std::string& topic, const boost::json::value& payload,
                              std::vector<boost::json::object>* events = nullptr);

  // Closes with a close frame.
  void close();
  // Drops the TCP connection without a close frame.
  void abort();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A thread of an end-to-end test; its function may take a std::stop_token.
// The destructor asks it to stop and joins it, so that a REQUIRE failing
// in the test's thread ends the test, not the binary (a joinable
// std::thread would call std::terminate). What the function throws is
// kept: join() rethrows it in the test's thread, and the destructor
// reports it as a failure if join() did not.
class TestThread {
 public:
  template <typename Function>
  explicit TestThread(Function function);
  ~TestThread();
  TestThread(TestThread&&) noexcept = default;
  TestThread& operator=(TestThread&&) = delete;

  // Asks the function to stop (through its stop_token).
  void request_stop() { thread_.request_stop(); }
  // Waits for the thread to end, then rethrows what its function threw.
  void join();

 private:
  std::unique_ptr<std::exception_ptr> error_ = std::make_unique<std::exception_ptr>();
  std::jthread thread_;  // after error_: joined before error_ goes
};

// A fresh UUID string (random, version 4).
std::string uuid();
// A JSON publish request.
boost::json::object publish_request(const std::string& topic, const boost::json::value& payload,
                                    std::optional<std::string> request_id = std::nullopt);

// Waits until `predicate` is true or `timeout` passes; returns the predicate.
// Timeouts here only bound failures: generous, so that a loaded CI machine
// does not fail a correct server.
template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout = 15s);

// Opens a plain TCP connection, sends `bytes`, and waits up to `timeout`
// for the server to close it. Returns the time it took, or nullopt.
std::optional<std::chrono::milliseconds> time_until_closed(std::uint16_t port, const std::string& bytes,
                                                           std::chrono::milliseconds timeout);

// GET /health's "subscribers".
std::int64_t health_subscribers(std::uint16_t port);

// A self-signed certificate for 127.0.0.1 named `name`, made by the openssl
// command ($OPENSSL), in a directory of the test's own that the destructor
// removes.
struct Certificate {
  std::string dir;
  std::string cert;
  std::string key;

  explicit Certificate(const std::string& name);
  ~Certificate();
  Certificate(const Certificate&) = delete;
  Certificate& operator=(const Certificate&) = delete;

  // Makes a new pair for `name` at the paths `cert` and `key`.
  static void make(const std::string& name, const std::string& cert, const std::string& key);
};

}  // namespace pubsub::e2e

#include "harness_inl.h"
