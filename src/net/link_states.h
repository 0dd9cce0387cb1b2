// The up/down state of a node's connections to its Valkey/Redis servers,
// one entry per server of the ring, kept where another thread can read it:
// the live feed's connections (cluster_node.h) live on the home shard,
// while GET /health is answered on whichever shard took the request.
//
// set() on the thread that owns the connections; up() and error() on any
// thread. A state changes rarely and /health reads it once per request,
// so one mutex guards it all.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace pubsub::net {

class LinkStates {
 public:
  // `servers` connections, each down with `initial_error` until set().
  LinkStates(std::size_t servers, std::string_view initial_error)
      : entries_(servers, {false, std::string(initial_error)}) {}
  LinkStates(const LinkStates&) = delete;
  LinkStates& operator=(const LinkStates&) = delete;

  // The connection to `server` is up (error empty) or down, and why.
  void set(std::size_t server, bool up, std::string_view error) {
    std::lock_guard lock(mutex_);
    Entry& entry = entries_.at(server);
    entry.up = up;
    entry.error = up ? std::string() : std::string(error);
  }

  bool up(std::size_t server) const {
    std::lock_guard lock(mutex_);
    return entries_.at(server).up;
  }
  // Why the connection to `server` is down; empty while it is up.
  std::string error(std::size_t server) const {
    std::lock_guard lock(mutex_);
    return entries_.at(server).error;
  }
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    bool up = false;
    std::string error;
  };
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
};

}  // namespace pubsub::net
