// A TCP proxy in front of a Valkey/Redis server that can hold back what
// the server sends on the connections that subscribed (a SUBSCRIBE went
// through them), while every other connection flows: a node's live feed
// that lags while its publishes are still answered.
//
// Create, hold and destroy it on the test's thread; it forwards on a
// thread of its own.
#pragma once

#include <atomic>
#include <cstdint>
#include <stop_token>
#include <string>
#include <thread>

#include "e2e/harness.h"

namespace pubsub::e2e {

class HoldingProxy {
 public:
  // Listens on a free loopback port and forwards each connection to
  // 127.0.0.1:`target`.
  explicit HoldingProxy(std::uint16_t target);
  // Stops forwarding and closes every connection.
  ~HoldingProxy();
  HoldingProxy(const HoldingProxy&) = delete;
  HoldingProxy& operator=(const HoldingProxy&) = delete;

  std::uint16_t port() const { return listener_.port; }
  // The URL a node is given to reach the server through the proxy.
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port()); }
  // While held, the proxy does not read what the server sends on the
  // subscribed connections: it waits in the sockets until released.
  void hold_subscribers(bool held) { held_.store(held); }

 private:
  void run(std::stop_token stop);

  Listener listener_;
  std::uint16_t target_;
  std::atomic<bool> held_{false};
  std::jthread thread_;  // last: stopped and joined first
};

}  // namespace pubsub::e2e
