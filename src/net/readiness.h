// The readiness of a shard's WebSocket sockets, watched by the shard's own
// epoll set (edge-triggered, input and output) instead of one reactor
// operation per socket: the io_context waits on the set's descriptor, and
// each time it is ready the shard drains it and tells each ready
// connection (WsEndpoint::on_readiness). A connection is registered once,
// when its WebSocket session starts, so an idle one holds no operation and
// no reactor state of its own.
//
// Shard thread only.
#pragma once

#include <cstdint>

#include "net/asio_support.h"

namespace pubsub::net {

class WsEndpoint;

class Readiness {
 public:
  explicit Readiness(asio::io_context& ioc);
  ~Readiness();
  Readiness(const Readiness&) = delete;
  Readiness& operator=(const Readiness&) = delete;

  // Watches the socket `descriptor` for `endpoint`; false (with errno set)
  // if the set refused it.
  bool add(int descriptor, WsEndpoint& endpoint);
  // Stops watching `descriptor`.
  void remove(int descriptor);

 private:
  // Waits for the set to have ready sockets, then dispatches them.
  void arm();
  void dispatch();

  int epoll_fd_;
  asio::posix::basic_stream_descriptor<shard_executor> watch_;
  std::size_t watched_ = 0;
  bool armed_ = false;  // a wait on the set is pending
};

}  // namespace pubsub::net
