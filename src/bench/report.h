// pubsub-bench's output: a run's result as text for people or as one JSON
// object per line for scripts, whichever client drove the run.
//
// Main thread only (it writes to standard output).
#pragma once

#include <cstdint>
#include <vector>

#include "bench/options.h"
#include "bench/process_sample.h"
#include "bench/stats.h"

namespace pubsub::bench {

// What a throughput run measured. Rates and CPU per delivery cover the
// measured window only; the totals cover the whole run, drain included.
struct ThroughputResult {
  int slow_per_topic = 0;        // subscribers per topic that never read
  double seconds = 0;            // the measured window
  double published_per_sec = 0;  // acknowledged publishes in the window
  double delivered_per_sec = 0;
  std::uint64_t window_deliveries = 0;
  std::uint64_t published = 0;  // acknowledged publishes, whole run
  std::uint64_t expected = 0;   // published x healthy subscribers per topic
  std::uint64_t delivered = 0;
  std::uint64_t dropped_announced = 0;
  std::uint64_t gaps = 0, duplicates = 0, reordered = 0, errors = 0;
  Histogram latency;                  // publish to delivery, measured window only
  double server_cpu_seconds = 0;      // in the window, all --server-pid processes together
  double server_user_seconds = 0;     // of which in user space
  long server_rss_kib = 0;            // at the window's end, all --server-pid processes together
  std::vector<ProcessUsage> servers;  // each --server-pid process, in the order given
  double client_cpu_seconds = 0;      // in the window

  // Keeps `usage` (one per --server-pid) as `servers` and its sums as
  // server_cpu_seconds, server_user_seconds and server_rss_kib.
  void set_servers(std::vector<ProcessUsage> usage);

  // Returns true if no stream had a gap, duplicate or step back, and no
  // error came.
  bool clean() const { return gaps == 0 && duplicates == 0 && reordered == 0 && errors == 0; }
  // Returns CPU seconds per delivery of the window, in microseconds.
  double us_per_delivery(double cpu_seconds) const;
  // Returns CPU seconds per acknowledged publish of the window, in microseconds.
  double us_per_publish(double cpu_seconds) const;
};

// What a connections run measured.
struct ConnectionsResult {
  int held = 0, failed = 0, sources = 0;
  double open_seconds = 0;
  long server_rss_before_kib = 0, server_rss_held_kib = 0, server_rss_after_hold_kib = 0;

  // Returns the server's RSS growth per held connection.
  double kib_per_connection() const;
};

// What a topics run measured.
struct TopicsResult {
  int topics = 0;
  std::uint64_t created = 0;
  double create_seconds = 0;
  std::uint64_t retained = 0;   // events retained over all filled topics
  std::size_t frame_bytes = 0;  // the WebSocket frame of one retained event
  long rss_before_kib = 0, rss_topics_kib = 0, rss_retained_kib = 0;
  bool failed = false;

  double topics_per_sec() const { return create_seconds > 0 ? static_cast<double>(created) / create_seconds : 0; }
  double bytes_per_topic() const;
  double bytes_per_retained_event() const;
};

// What an HTTP publish run measured (the measured window only).
struct HttpPublishResult {
  std::uint64_t published = 0;  // answered 201
  std::uint64_t refused = 0;    // answered otherwise
  double seconds = 0;
  double server_cpu_seconds = 0, client_cpu_seconds = 0;
  bool failed = false;

  double per_sec() const { return seconds > 0 ? static_cast<double>(published) / seconds : 0; }
  double us_per_publish(double cpu_seconds) const {
    return published ? cpu_seconds * 1e6 / static_cast<double>(published) : 0;
  }
};

// Prints `r` for the run `o` described: one JSON object if o.json, else text.
void print_throughput(const Options& o, const ThroughputResult& r);
void print_connections(const Options& o, const ConnectionsResult& r);
void print_topics(const Options& o, const TopicsResult& r);
void print_http_publish(const Options& o, const HttpPublishResult& r);

}  // namespace pubsub::bench
