// The Asio client threads of pubsub-bench: one io_context per thread, each
// with its own counters and measurements, summed or merged by the main
// thread.
//
// ClientThreads is made, started, summed and stopped by the main thread.
// A thread's ThreadStats is written only by its io_context thread; its
// Counters may be read from any thread, its Histogram and StreamChecker
// only once the threads are stopped.
#pragma once

#include <atomic>
#include <boost/asio.hpp>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "bench/stats.h"

namespace pubsub::bench {

namespace asio = boost::asio;

// Single-writer counters that other threads may read.
struct Counter {
  std::atomic<std::uint64_t> value{0};
  void add(std::uint64_t n = 1) { value.store(value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  std::uint64_t get() const { return value.load(std::memory_order_relaxed); }
};

// Per client thread.
struct ThreadStats {
  Counter published, acked, delivered, dropped_announced, errors, foreign;
  Histogram latency;
  StreamChecker order;  // merged view: one stream per (subscriber, publisher)
};

class ClientThreads {
 public:
  // Makes `threads` io_contexts, not yet running.
  explicit ClientThreads(int threads);

  // Runs each io_context on its own thread, until stop().
  void start();
  // Stops every io_context and joins the threads.
  void stop();

  std::size_t size() const { return contexts_.size(); }
  asio::io_context& context(std::size_t i) { return *contexts_[i]; }
  ThreadStats& stats(std::size_t i) { return *stats_[i]; }
  const std::vector<std::unique_ptr<ThreadStats>>& all_stats() const { return stats_; }

  // Returns the sum over the threads of f(ThreadStats).
  template <typename F>
  std::uint64_t sum(F f) const {
    std::uint64_t total = 0;
    for (const auto& s : stats_) total += f(*s);
    return total;
  }

 private:
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<std::unique_ptr<ThreadStats>> stats_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
};

}  // namespace pubsub::bench
