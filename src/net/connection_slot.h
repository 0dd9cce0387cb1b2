// One open TCP connection, counted for --max-connections and /stats for as
// long as the slot lives: through its HTTP session, its WebSocket session
// and its lingering close, each of which hands the slot to the next.
//
// Shard thread of the connection; the counter it updates is atomic.
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

namespace pubsub::net {

class ConnectionSlot {
 public:
  explicit ConnectionSlot(std::atomic<std::int64_t>& open) : open_(&open) {
    open_->fetch_add(1, std::memory_order_relaxed);
  }
  ConnectionSlot(ConnectionSlot&& other) noexcept : open_(std::exchange(other.open_, nullptr)) {}
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ~ConnectionSlot() {
    if (open_) open_->fetch_sub(1, std::memory_order_relaxed);
  }

 private:
  std::atomic<std::int64_t>* open_;  // null once handed on
};

}  // namespace pubsub::net
