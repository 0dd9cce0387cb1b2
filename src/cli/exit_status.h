// How a run of pubsub ends: the exit statuses users of redis-cli and nats
// expect, the failures that lead to each, and the one place that turns a
// failure into its message on standard error and its status.
//
//   0    success
//   1    the server refused: an HTTP 4xx/5xx answer or an `error` frame
//   2    usage: unknown command or option, bad argument
//   3    cannot connect, TLS certificate not trusted, connection lost, or
//        no answer within --timeout
//   130  interrupted by SIGINT or SIGTERM (`sub` ends with 0 instead)
//
// Pure; any thread.
#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace pubsub::cli {

enum class ExitStatus : int {
  success = 0,
  refused = 1,
  usage = 2,
  unreachable = 3,
  interrupted = 130,
};

// A command line that cannot run: what() says what is wrong with it.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The server answered with a refusal. what() is "CODE: message" (the
// contract's error code and message) or "HTTP 502" when the answer had no
// error body.
class ServerRefusal : public std::runtime_error {
 public:
  ServerRefusal(unsigned http_status, std::string code, std::string message);
  unsigned http_status() const { return http_status_; }  // 0 for an `error` frame
  const std::string& code() const { return code_; }

 private:
  unsigned http_status_;
  std::string code_;
};

// The server could not be reached, or the connection to it failed.
// `permanent` when trying again cannot help (its TLS certificate is not
// trusted): commands that reconnect by themselves give up on it.
class ConnectionFailure : public std::runtime_error {
 public:
  explicit ConnectionFailure(const std::string& what, bool permanent = false)
      : std::runtime_error(what), permanent_(permanent) {}
  bool permanent() const { return permanent_; }

 private:
  bool permanent_;
};

// SIGINT or SIGTERM arrived.
class Interrupted : public std::exception {
 public:
  const char* what() const noexcept override { return "interrupted"; }
};

// The exit status of a REST answer with `http_status`: success for 2xx,
// refused for anything else.
ExitStatus status_for_http(unsigned http_status);

// The refusal that an HTTP answer with `http_status` and `body` stands for:
// its {"error":{"code":...,"message":...}} if it has one, else "HTTP N".
ServerRefusal refusal_from_http(unsigned http_status, std::string_view body);

// Runs `command` and returns its status; a failure it throws is written to
// `errors` as "pubsub: <what>" and mapped to its status (UsageError also
// points to --help).
ExitStatus run_reporting_failures(const std::function<ExitStatus()>& command,
                                  const std::function<void(std::string_view)>& errors);

// "no answer from `peer` within N s": the failure of a wait for an answer
// that took longer than `timeout`.
std::string no_answer_within(const std::string& peer, std::chrono::milliseconds timeout);

// The process exit code of `status`.
inline int exit_code(ExitStatus status) { return static_cast<int>(status); }

}  // namespace pubsub::cli
