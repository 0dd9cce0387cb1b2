// A private Valkey (or Redis) server for the Redis client's tests: the
// binary named by $VALKEY_SERVER, on 127.0.0.1 and a free port, without
// persistence, its files in a temporary directory. A test can kill it,
// pause it (SIGSTOP) and start it again on the same port. Without
// $VALKEY_SERVER the constructor throws, failing the test with a message
// that says what to install.
//
// Also: running an io_context until a condition holds, starting a client
// and waiting until it is up, sending a command and waiting for its reply,
// reading INFO's fields, and the URL and connection options the tests use.
//
// Each object belongs to the thread that created it.
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "redis/client.h"
#include "redis/connection.h"
#include "redis/redis_url.h"

namespace pubsub::redis::testing {

using namespace std::chrono_literals;

class ServerProcess {
 public:
  // Starts the server with `extra_args` after the standard ones, and waits
  // until it answers.
  explicit ServerProcess(std::vector<std::string> extra_args = {});
  // Kills the server and removes its directory.
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const { return port_; }
  // The server's process id (-1 while it is killed).
  pid_t pid() const { return pid_; }
  // "redis://" + credentials + "127.0.0.1:port" + path.
  std::string url(const std::string& credentials = {}, const std::string& path = {}) const;

  // SIGKILL, and waits for the exit.
  void kill();
  // Starts it again on the same port (after kill()), empty.
  void restart();
  // SIGSTOP: connections are accepted by the kernel, nothing is answered.
  void pause();
  // SIGCONT.
  void resume();
  // What the server wrote.
  std::string log() const;

 private:
  void launch();
  void wait_until_answering();

  std::string binary_;
  std::vector<std::string> extra_args_;
  std::string directory_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// The parsed form of a URL the test wrote (throws if it does not parse).
RedisUrl url_of(const std::string& text);
// Fast reconnection, so that tests do not wait for the default backoff.
ConnectionOptions quick_options(std::chrono::milliseconds command_timeout = 2000ms);

// Runs `io` until `done()` holds or `timeout` passes; returns done().
bool run_until(boost::asio::io_context& io, const std::function<bool()>& done, std::chrono::milliseconds timeout = 5s);
// Starts `client` and runs `io` until it is up (the test fails, with the
// client's last error, if it is not up within 5 s).
void start_and_wait_up(boost::asio::io_context& io, Client& client);
// Sends one command on `client` and runs `io` until its reply (the test
// fails if none comes within `timeout`).
Reply call(boost::asio::io_context& io, Client& client, std::initializer_list<std::string_view> args,
           std::chrono::milliseconds timeout = 5s);
// The number after "name:" in INFO's text ("total_reads_processed:12").
long long info_field(const std::string& info, const std::string& name);
// Runs `io` for `duration`.
void run_for(boost::asio::io_context& io, std::chrono::milliseconds duration);

}  // namespace pubsub::redis::testing
