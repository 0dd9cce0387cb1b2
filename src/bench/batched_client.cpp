// The batched client style; see batched_client.h.
#include "bench/batched_client.h"

#include <array>
#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/client_threads.h"
#include "bench/connection.h"
#include "bench/node_assignment.h"
#include "bench/process_sample.h"
#include "bench/requests.h"
#include "bench/rest_client.h"

namespace pubsub::bench {

using namespace std::chrono_literals;

namespace {

// What the main thread tells the client threads during a run.
struct RunFlags {
  std::atomic<bool> measuring{false};
  std::atomic<bool> stop_publishing{false};
};

// Reads subscriber `id`'s events until its connection ends: counts them,
// checks each publisher's stream, and records latency while measuring.
asio::awaitable<void> subscriber(Connection& c, ThreadStats& stats, std::uint64_t id, const RunFlags& flags) {
  auto on_text = [&](std::string_view text) {
    auto f = read_frame_fields(text);
    if (!f) return stats.errors.add();
    switch (f->kind) {
      case FrameKind::event:
        if (f->sent_ns == 0) return stats.foreign.add();
        stats.delivered.add();
        stats.order.see((id << 20) ^ f->publisher, f->counter);
        if (flags.measuring.load(std::memory_order_relaxed)) stats.latency.record(now_ns() - f->sent_ns);
        return;
      case FrameKind::dropped_info: return stats.dropped_announced.add(f->dropped);
      case FrameKind::error: return stats.errors.add();
      default: return;
    }
  };
  while (co_await c.read(on_text)) {}
}

struct Publisher {
  Connection connection;
  std::uint64_t id;
  std::string topic;
  std::uint64_t next = 0;
  int in_flight = 0;
  asio::steady_timer wake;
  Publisher(asio::io_context& ioc, std::uint64_t i, std::string t)
      : connection(ioc), id(i), topic(std::move(t)), wake(ioc) {}
};

// Reads a publisher's answers until its connection ends: each ack or error
// frees a slot of the window and wakes the writer.
asio::awaitable<void> publisher_reader(Publisher& p, ThreadStats& stats) {
  auto on_text = [&](std::string_view text) {
    auto f = read_frame_fields(text);
    if (f && f->kind == FrameKind::ack) {
      stats.acked.add();
      p.in_flight -= 1;
      p.wake.cancel();
    } else if (f && f->kind == FrameKind::error) {
      stats.errors.add();
      p.in_flight -= 1;
      p.wake.cancel();
    }
  };
  while (co_await p.connection.read(on_text)) {}
}

// Publishes until told to stop: all that the window and the rate allow in
// one write, then a wait for the reader (or 500 us when paced).
asio::awaitable<void> publisher_writer(Publisher& p, ThreadStats& stats, const Options& o, const RunFlags& flags) {
  const double per_publisher_rate = o.rate / o.publishers;
  const auto start = std::chrono::steady_clock::now();
  std::string out;
  PublishFrameBuilder builder(o.payload);
  while (!flags.stop_publishing.load(std::memory_order_relaxed)) {
    std::uint64_t allowed = UINT64_MAX;
    if (per_publisher_rate > 0) {
      double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      allowed = static_cast<std::uint64_t>(elapsed * per_publisher_rate) + 1;
    }
    out.clear();
    while (p.in_flight < o.window && p.next < allowed) {
      builder.append(out, p.topic, p.id, p.next, p.next, now_ns());
      p.next += 1;
      p.in_flight += 1;
      stats.published.add();
    }
    if (!out.empty() && !co_await p.connection.send(out)) co_return;
    // Acks read while the write was pending found no wait to cancel: with
    // the window open again (and no rate to keep), write on at once rather
    // than wait for an ack that may never come.
    if (per_publisher_rate <= 0 && p.in_flight < o.window) continue;
    p.wake.expires_after(per_publisher_rate > 0 ? std::chrono::microseconds(500) : std::chrono::seconds(1));
    co_await p.wake.async_wait(nothrow);
  }
}

// Returns the address of every node, in --port order.
std::vector<tcp::endpoint> node_endpoints(const Options& o) {
  std::vector<tcp::endpoint> out;
  for (std::uint16_t port : o.ports) out.emplace_back(asio::ip::make_address(o.host), port);
  return out;
}

// Counts at one moment: published, delivered, acked.
using WindowCounts = std::array<std::uint64_t, 3>;

// One batched run: its connections and the threads that drive them.
class BatchedRun {
 public:
  explicit BatchedRun(const Options& o)
      : o_(o),
        threads_(o.client_threads),
        servers_(node_endpoints(o)),
        slow_(static_cast<int>(o.slow_fraction * o.subscribers + 0.5)) {}

  // Opens and subscribes every subscriber (at most 30 s); false if some could not.
  bool start_subscribers();
  void start_publishers();
  // Warms up, then measures the window into `r`.
  void measure(ThroughputResult& r);
  // Stops publishing and waits for what was acknowledged to arrive.
  void drain();
  // Stops the client threads and adds the totals to `r`.
  void finish(ThroughputResult& r);

 private:
  WindowCounts window_counts() const;
  // Starts subscriber `s`'s coroutine: open, subscribe, count itself
  // ready or failed, then read (unless slow).
  void spawn_subscriber(int s);

  const Options& o_;
  ClientThreads threads_;
  const std::vector<tcp::endpoint> servers_;  // one per --port
  const int slow_;                            // per topic
  RunFlags flags_;
  std::atomic<int> ready_{0}, failed_{0};  // subscribers
  std::vector<std::unique_ptr<Connection>> subscribers_;
  std::vector<std::unique_ptr<Publisher>> publishers_;
};

void BatchedRun::spawn_subscriber(int s) {
  auto& ioc = threads_.context(static_cast<std::size_t>(s % o_.client_threads));
  auto& stats = threads_.stats(static_cast<std::size_t>(s % o_.client_threads));
  // The first `slow_` subscribers of each topic subscribe and then never
  // read (with a small receive buffer, so that the server's queue fills).
  bool is_slow = s / o_.topics < slow_;
  const std::size_t node = subscriber_node(s, o_.topics, servers_.size());
  subscribers_.push_back(std::make_unique<Connection>(ioc));
  asio::co_spawn(
      ioc,
      [&, c = subscribers_.back().get(), s, is_slow, node]() -> asio::awaitable<void> {
        if (!co_await c->open(o_, servers_[node], std::nullopt, is_slow ? 4096 : 0) ||
            !co_await subscribe(*c, topic_name(o_, s % o_.topics))) {
          failed_++;
          co_return;
        }
        ready_++;
        if (!is_slow) co_await subscriber(*c, stats, static_cast<std::uint64_t>(s), flags_);
      },
      asio::detached);
}

bool BatchedRun::start_subscribers() {
  const int subscriber_count = o_.topics * o_.subscribers;
  for (int s = 0; s < subscriber_count; ++s) spawn_subscriber(s);
  threads_.start();
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (ready_ + failed_ < subscriber_count && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  if (ready_ < subscriber_count) {
    std::cerr << "pubsub-bench: only " << ready_ << " of " << subscriber_count << " subscribers are ready\n";
    threads_.stop();
    return false;
  }
  return true;
}

void BatchedRun::start_publishers() {
  for (int p = 0; p < o_.publishers; ++p) {
    auto& ioc = threads_.context(static_cast<std::size_t>(p % o_.client_threads));
    auto& stats = threads_.stats(static_cast<std::size_t>(p % o_.client_threads));
    publishers_.push_back(
        std::make_unique<Publisher>(ioc, static_cast<std::uint64_t>(p), topic_name(o_, p % o_.topics)));
    asio::co_spawn(
        ioc,
        [&, pub = publishers_.back().get(),
         server = servers_[publisher_node(p, servers_.size())]]() -> asio::awaitable<void> {
          if (!co_await pub->connection.open(o_, server, std::nullopt)) co_return;
          asio::co_spawn(co_await asio::this_coro::executor, publisher_reader(*pub, stats), asio::detached);
          co_await publisher_writer(*pub, stats, o_, flags_);
        },
        asio::detached);
  }
}

WindowCounts BatchedRun::window_counts() const {
  return {threads_.sum([](auto& s) { return s.published.get(); }),
          threads_.sum([](auto& s) { return s.delivered.get(); }), threads_.sum([](auto& s) { return s.acked.get(); })};
}

void BatchedRun::measure(ThroughputResult& r) {
  std::this_thread::sleep_for(std::chrono::duration<double>(o_.warmup));
  WindowCounts before = window_counts();
  const std::vector<ProcSample> servers_before = sample_processes(o_.server_pids);
  double client_before = client_cpu_seconds();
  auto t0 = std::chrono::steady_clock::now();
  flags_.measuring = true;
  std::this_thread::sleep_for(std::chrono::duration<double>(o_.duration));
  flags_.measuring = false;
  auto t1 = std::chrono::steady_clock::now();
  WindowCounts after = window_counts();
  const std::vector<ProcSample> servers_after = sample_processes(o_.server_pids);
  double client_after = client_cpu_seconds();
  r.seconds = std::chrono::duration<double>(t1 - t0).count();
  r.published_per_sec = static_cast<double>(after[2] - before[2]) / r.seconds;
  r.delivered_per_sec = static_cast<double>(after[1] - before[1]) / r.seconds;
  r.window_deliveries = after[1] - before[1];
  r.set_servers(usage_between(o_.server_pids, servers_before, servers_after));
  r.client_cpu_seconds = client_after - client_before;
}

void BatchedRun::drain() {
  flags_.stop_publishing = true;
  for (auto& p : publishers_) asio::post(p->wake.get_executor(), [t = &p->wake] { t->cancel(); });
  const auto healthy = static_cast<std::uint64_t>(o_.subscribers - slow_);
  auto acked = [&] { return threads_.sum([](auto& s) { return s.acked.get(); }); };
  auto accounted = [&] {
    return threads_.sum([](auto& s) { return s.delivered.get(); }) +
           threads_.sum([](auto& s) { return s.dropped_announced.get(); });
  };
  auto drain_deadline = std::chrono::steady_clock::now() + 5s;
  std::uint64_t last_acked = 0;
  while (std::chrono::steady_clock::now() < drain_deadline) {
    std::uint64_t now_acked = acked();
    if (now_acked == last_acked && accounted() >= now_acked * healthy) break;
    last_acked = now_acked;
    std::this_thread::sleep_for(50ms);
  }
}

void BatchedRun::finish(ThroughputResult& r) {
  threads_.stop();
  for (const auto& s : threads_.all_stats()) {
    r.latency.merge(s->latency);
    r.gaps += s->order.gaps();
    r.duplicates += s->order.duplicates();
    r.reordered += s->order.reordered();
  }
  r.slow_per_topic = slow_;
  r.published = threads_.sum([](auto& s) { return s.acked.get(); });
  r.expected = r.published * static_cast<std::uint64_t>(o_.subscribers - slow_);
  r.delivered = threads_.sum([](auto& s) { return s.delivered.get(); });
  r.dropped_announced = threads_.sum([](auto& s) { return s.dropped_announced.get(); });
  r.errors = threads_.sum([](auto& s) { return s.errors.get(); });
}

}  // namespace

std::optional<ThroughputResult> run_batched(const Options& o) {
  BatchedRun run(o);
  if (!run.start_subscribers()) return std::nullopt;
  run.start_publishers();
  ThroughputResult r;
  run.measure(r);
  run.drain();
  run.finish(r);
  return r;
}

}  // namespace pubsub::bench
