// pubsub-bench's output; see report.h.
#include "bench/report.h"

#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>

#include "protocol/json_scan.h"

namespace pubsub::bench {

namespace {

double ms(std::uint64_t ns) { return static_cast<double>(ns) / 1e6; }

unsigned long long ull(std::uint64_t v) { return static_cast<unsigned long long>(v); }

void print_json_field(std::ostream& out, const char* key, double value, bool last = false) {
  out << "\"" << key << "\":" << value << (last ? "" : ",");
}

// Appends "servers":[...], each --server-pid process's share, and a comma.
void print_servers_json(std::ostream& out, const ThroughputResult& r) {
  out << "\"servers\":[";
  for (std::size_t i = 0; i < r.servers.size(); ++i) {
    const ProcessUsage& s = r.servers[i];
    std::string name;
    protocol::append_json_string(name, s.name);
    out << (i ? "," : "") << "{\"pid\":" << s.pid << ",\"name\":" << name << ",";
    print_json_field(out, "cpu_us_per_delivery", r.us_per_delivery(s.cpu_seconds));
    print_json_field(out, "cpu_us_per_publish", r.us_per_publish(s.cpu_seconds));
    out << "\"rss_kib\":" << s.rss_kib << "}";
  }
  out << "],";
}

// Prints a line per --server-pid process, when there are several.
void print_servers_text(const Options& o, const ThroughputResult& r) {
  if (o.server_pids.size() < 2) return;
  for (const ProcessUsage& s : r.servers) {
    std::printf("    pid %-8d %-16s %.3f us CPU per delivery (%.3f per publish), RSS %ld KiB\n", s.pid, s.name.c_str(),
                r.us_per_delivery(s.cpu_seconds), r.us_per_publish(s.cpu_seconds), s.rss_kib);
  }
}

void print_throughput_json(const Options& o, const ThroughputResult& r) {
  std::ostringstream out;
  out << "{\"mode\":\"throughput\",\"client_style\":\"" << o.client_style << "\",\"tls\":" << (o.tls ? "true" : "false")
      << ",";
  if (o.client_style == "per-frame") out << "\"poll_interval_us\":" << o.poll_interval_us << ",";
  out << "\"topics\":" << o.topics << ",\"subscribers_per_topic\":" << o.subscribers
      << ",\"publishers\":" << o.publishers << ",\"payload_bytes\":" << o.payload << ",\"rate\":" << o.rate
      << ",\"window\":" << o.window << ",\"slow_subscribers_per_topic\":" << r.slow_per_topic << ",";
  print_json_field(out, "seconds", r.seconds);
  print_json_field(out, "published_per_sec", r.published_per_sec);
  print_json_field(out, "delivered_per_sec", r.delivered_per_sec);
  out << "\"published\":" << r.published << ",\"expected\":" << r.expected << ",\"delivered\":" << r.delivered
      << ",\"dropped_announced\":" << r.dropped_announced << ",\"gaps\":" << r.gaps
      << ",\"duplicates\":" << r.duplicates << ",\"reordered\":" << r.reordered << ",\"errors\":" << r.errors << ",";
  const Histogram& l = r.latency;
  out << "\"latency_ms\":{\"p50\":" << ms(l.quantile(0.5)) << ",\"p90\":" << ms(l.quantile(0.9))
      << ",\"p99\":" << ms(l.quantile(0.99)) << ",\"p999\":" << ms(l.quantile(0.999)) << ",\"max\":" << ms(l.max())
      << "},";
  if (!o.server_pids.empty()) {
    print_json_field(out, "server_cpu_us_per_delivery", r.us_per_delivery(r.server_cpu_seconds));
    print_json_field(out, "server_user_cpu_us_per_delivery", r.us_per_delivery(r.server_user_seconds));
    print_json_field(out, "server_cpu_us_per_publish", r.us_per_publish(r.server_cpu_seconds));
    out << "\"server_rss_kib\":" << r.server_rss_kib << ",";
  }
  if (o.server_pids.size() > 1) print_servers_json(out, r);
  print_json_field(out, "client_cpu_us_per_delivery", r.us_per_delivery(r.client_cpu_seconds), true);
  out << "}\n";
  std::cout << out.str();
}

void print_throughput_text(const Options& o, const ThroughputResult& r) {
  std::printf("pubsub-bench throughput: %d topic(s) x %d subscribers, %d publisher(s), %zu B payload, %s\n", o.topics,
              o.subscribers, o.publishers, o.payload,
              o.rate > 0 ? (std::to_string(static_cast<long>(o.rate)) + " msg/s").c_str()
                         : ("max rate, window " + std::to_string(o.window)).c_str());
  if (o.client_style == "per-frame") {
    std::printf("  client style    per-frame: one thread, one send() per publish, polls at most every %d us\n",
                o.poll_interval_us);
  } else {
    std::printf("  client style    batched: %d thread(s), each publisher writes its window at once\n",
                o.client_threads);
  }
  if (o.tls) std::printf("  transport       TLS (wss://)\n");
  if (r.slow_per_topic > 0) {
    std::printf("  slow            %d subscriber(s) per topic never read (not counted below)\n", r.slow_per_topic);
  }
  std::printf("  measured        %.2f s (after %.1f s warm-up)\n", r.seconds, o.warmup);
  std::printf("  published/s     %.0f\n", r.published_per_sec);
  std::printf("  delivered/s     %.0f\n", r.delivered_per_sec);
  std::printf("  expected        %llu   delivered %llu   dropped (announced) %llu\n", ull(r.expected), ull(r.delivered),
              ull(r.dropped_announced));
  std::printf("  order           gaps %llu   duplicates %llu   reordered %llu   errors %llu\n", ull(r.gaps),
              ull(r.duplicates), ull(r.reordered), ull(r.errors));
  const Histogram& l = r.latency;
  std::printf("  latency (ms)    p50 %.3f   p90 %.3f   p99 %.3f   p99.9 %.3f   max %.3f\n", ms(l.quantile(0.5)),
              ms(l.quantile(0.9)), ms(l.quantile(0.99)), ms(l.quantile(0.999)), ms(l.max()));
  if (!o.server_pids.empty()) {
    std::printf("  server          %.3f us CPU per delivery (%.3f per publish), RSS %ld KiB\n",
                r.us_per_delivery(r.server_cpu_seconds), r.us_per_publish(r.server_cpu_seconds), r.server_rss_kib);
    print_servers_text(o, r);
  }
  std::printf("  client          %.3f us CPU per delivery\n", r.us_per_delivery(r.client_cpu_seconds));
}

}  // namespace

void ThroughputResult::set_servers(std::vector<ProcessUsage> usage) {
  servers = std::move(usage);
  server_cpu_seconds = 0;
  server_user_seconds = 0;
  server_rss_kib = 0;
  for (const ProcessUsage& s : servers) {
    server_cpu_seconds += s.cpu_seconds;
    server_user_seconds += s.user_seconds;
    server_rss_kib += s.rss_kib;
  }
}

double ThroughputResult::us_per_delivery(double cpu_seconds) const {
  return window_deliveries ? cpu_seconds * 1e6 / static_cast<double>(window_deliveries) : 0.0;
}

double ThroughputResult::us_per_publish(double cpu_seconds) const {
  const double publishes = published_per_sec * seconds;
  return publishes > 0 ? cpu_seconds * 1e6 / publishes : 0.0;
}

double ConnectionsResult::kib_per_connection() const {
  return held > 0 ? static_cast<double>(server_rss_held_kib - server_rss_before_kib) / held : 0;
}

void print_throughput(const Options& o, const ThroughputResult& r) {
  if (o.json) {
    print_throughput_json(o, r);
  } else {
    print_throughput_text(o, r);
  }
}

void print_connections(const Options& o, const ConnectionsResult& r) {
  if (o.json) {
    std::cout << "{\"mode\":\"connections\",\"requested\":" << o.connections << ",\"held\":" << r.held
              << ",\"failed\":" << r.failed << ",\"open_seconds\":" << r.open_seconds
              << ",\"server_rss_before_kib\":" << r.server_rss_before_kib
              << ",\"server_rss_held_kib\":" << r.server_rss_held_kib
              << ",\"server_rss_after_hold_kib\":" << r.server_rss_after_hold_kib
              << ",\"kib_per_connection\":" << r.kib_per_connection() << "}\n";
    return;
  }
  std::printf("pubsub-bench connections: %d requested, %d held, %d failed (%.1f s to open, %d source addresses)\n",
              o.connections, r.held, r.failed, r.open_seconds, r.sources);
  if (!o.server_pids.empty()) {
    std::printf("  server RSS      %ld KiB before, %ld KiB held, %ld KiB after %.0f s\n", r.server_rss_before_kib,
                r.server_rss_held_kib, r.server_rss_after_hold_kib, o.duration);
    std::printf("  per connection  %.2f KiB\n", r.kib_per_connection());
  }
}

double TopicsResult::bytes_per_topic() const {
  return created > 0 ? static_cast<double>(rss_topics_kib - rss_before_kib) * 1024 / static_cast<double>(created) : 0;
}

double TopicsResult::bytes_per_retained_event() const {
  return retained > 0 ? static_cast<double>(rss_retained_kib - rss_topics_kib) * 1024 / static_cast<double>(retained)
                      : 0;
}

void print_topics(const Options& o, const TopicsResult& r) {
  if (o.json) {
    std::cout << "{\"mode\":\"topics\",\"topics\":" << r.topics << ",\"created\":" << r.created
              << ",\"create_seconds\":" << r.create_seconds << ",\"topics_per_sec\":" << r.topics_per_sec()
              << ",\"server_rss_before_kib\":" << r.rss_before_kib << ",\"server_rss_topics_kib\":" << r.rss_topics_kib
              << ",\"bytes_per_topic\":" << r.bytes_per_topic() << ",\"retained\":" << r.retained
              << ",\"frame_bytes\":" << r.frame_bytes << ",\"server_rss_retained_kib\":" << r.rss_retained_kib
              << ",\"bytes_per_retained_event\":" << r.bytes_per_retained_event()
              << ",\"failed\":" << (r.failed ? "true" : "false") << "}\n";
    return;
  }
  std::printf("pubsub-bench topics: %llu of %d created in %.2f s (%.0f topics/s, %d connection(s), window %d)\n",
              ull(r.created), r.topics, r.create_seconds, r.topics_per_sec(), o.publishers, o.window);
  if (!o.server_pids.empty()) {
    std::printf("  server RSS      %ld KiB before, %ld KiB with the topics: %.0f bytes per topic\n", r.rss_before_kib,
                r.rss_topics_kib, r.bytes_per_topic());
    if (r.retained > 0) {
      std::printf("  retained        %llu events of %zu-byte frames: %ld KiB, %.0f bytes per event\n", ull(r.retained),
                  r.frame_bytes, r.rss_retained_kib, r.bytes_per_retained_event());
    }
  }
  if (r.failed) std::printf("  FAILED          a request failed or was refused\n");
}

void print_http_publish(const Options& o, const HttpPublishResult& r) {
  if (o.json) {
    std::cout << "{\"mode\":\"http-publish\",\"topics\":" << o.topics << ",\"connections\":" << o.publishers
              << ",\"window\":" << o.window << ",\"payload_bytes\":" << o.payload << ",\"seconds\":" << r.seconds
              << ",\"published\":" << r.published << ",\"refused\":" << r.refused
              << ",\"published_per_sec\":" << r.per_sec();
    if (!o.server_pids.empty())
      std::cout << ",\"server_cpu_us_per_publish\":" << r.us_per_publish(r.server_cpu_seconds);
    std::cout << ",\"client_cpu_us_per_publish\":" << r.us_per_publish(r.client_cpu_seconds)
              << ",\"failed\":" << (r.failed ? "true" : "false") << "}\n";
    return;
  }
  std::printf("pubsub-bench http-publish: %d connection(s), window %d, %d topic(s), %zu B payload\n", o.publishers,
              o.window, o.topics, o.payload);
  std::printf("  measured        %.2f s (after %.1f s warm-up)\n", r.seconds, o.warmup);
  std::printf("  published/s     %.0f   (refused %llu)\n", r.per_sec(), ull(r.refused));
  if (!o.server_pids.empty())
    std::printf("  server          %.3f us CPU per publish\n", r.us_per_publish(r.server_cpu_seconds));
  std::printf("  client          %.3f us CPU per publish\n", r.us_per_publish(r.client_cpu_seconds));
  if (r.failed) std::printf("  FAILED          a connection failed\n");
}

}  // namespace pubsub::bench
