// The network server: one TCP listener serving REST (HTTP/1.1) and the
// WebSocket endpoint /ws, on `threads` I/O threads, each the home of one
// broker shard. Beast and Asio stay inside server.cpp.
//
// Construct, run() and destroy on one thread; request_stop() from any
// thread (signals are handled internally).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "auth/jwt.h"
#include "core/subscriber.h"
#include "redis/redis_url.h"

namespace pubsub::net {

// Where topics live (contract section 15): in this process, or in
// Valkey/Redis servers shared by every node.
enum class Engine : std::uint8_t { memory, redis };

struct ServerOptions {
  std::string host = "0.0.0.0";
  std::uint16_t port = 8080;
  std::size_t threads = 1;
  // Each loop pass's socket writes go to the kernel together, through
  // io_uring (send_batch.h), where the kernel allows it.
  bool io_uring = true;
  std::size_t history_size = 100;
  core::QueueLimits queue;
  std::chrono::milliseconds heartbeat_interval{30'000};  // 0: no heartbeat info
  std::chrono::milliseconds idle_timeout{60'000};        // 0: never time out
  std::size_t max_message_bytes = 1024 * 1024;
  bool require_uuid = true;
  bool auto_create_topics = false;
  std::vector<std::string> api_keys;             // any of them is accepted; none: no API key
  std::shared_ptr<const auth::JwtVerifier> jwt;  // null: no tokens accepted
  std::size_t max_connections = 100'000;
  std::size_t max_subscriptions = 1000;  // per connection
  std::size_t max_topics = 100'000;
  std::uint32_t max_publish_rate = 0;        // per connection and second; 0: no limit
  std::vector<std::string> allowed_origins;  // empty: any
  // PEM files; both set: the port serves TLS (HTTPS and wss://), reloaded on SIGHUP.
  std::string tls_certificate;
  std::string tls_key;
  bool metrics_topics = false;  // GET /metrics reports each topic too
  std::chrono::milliseconds shutdown_timeout{10'000};
  Engine engine = Engine::memory;
  // --engine redis: the servers that keep the topics, in placement order
  // (engine/store_ring.h); at least one.
  std::vector<redis::RedisUrl> redis_urls;
};

class Server {
 public:
  // Throws std::runtime_error if the TLS certificate or key cannot be used.
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listener, prints "listening on HOST:PORT" to standard output,
  // serves until SIGINT/SIGTERM or request_stop() (SIGHUP reloads the TLS
  // certificate and key), then shuts down gracefully. Returns the process exit code (0 after a clean shutdown).
  // Throws std::system_error if the address cannot be bound.
  int run();

  // Starts the graceful shutdown. Any thread.
  void request_stop();

  struct Impl;  // defined in server.cpp only

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace pubsub::net
