// The per-frame client style; see per_frame_client.h.
#include "bench/per_frame_client.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "bench/node_assignment.h"
#include "bench/process_sample.h"
#include "bench/raw_connection.h"
#include "bench/requests.h"
#include "bench/rest_client.h"
#include "bench/stats.h"

namespace pubsub::bench {

namespace {

using Clock = std::chrono::steady_clock;

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// One connection of the loop.
struct Peer {
  RawConnection connection;
  std::size_t index = 0;  // in the run's peers, and its epoll data
  std::uint64_t id = 0;   // subscriber number, or publisher number
  bool publisher = false;
  bool lost = false;             // the connection ended during the run
  bool watching_writes = false;  // EPOLLOUT is asked for
  // Publishers only.
  std::uint64_t sent = 0;             // publishes so far: k of the next one
  int in_flight = 0;                  // sent, not yet acknowledged
  std::vector<std::uint64_t> next_n;  // per topic: "bn" of the next publish there
};

// Plain counters: only the loop's thread touches them.
struct Counts {
  std::uint64_t published = 0, acked = 0, delivered = 0, dropped_announced = 0, errors = 0, foreign = 0;
};

enum class Phase { warmup, measuring, draining, done };

class PerFrameRun {
 public:
  explicit PerFrameRun(const Options& o);
  ~PerFrameRun();
  PerFrameRun(const PerFrameRun&) = delete;
  PerFrameRun& operator=(const PerFrameRun&) = delete;

  // Opens every subscriber, then every publisher; false (after saying which
  // on standard error) if one could not be set up.
  bool open_connections();
  // Runs the loop through warm-up, the measured window (into `r`) and the drain.
  void run(ThroughputResult& r);
  // Adds the run's totals to `r`.
  void finish(ThroughputResult& r) const;

 private:
  bool open_subscriber(int s, const std::vector<ServerAddress>& servers);
  bool open_publisher(int p, const std::vector<ServerAddress>& servers);
  bool watch(Peer& peer);

  void handle_ready(std::size_t index, std::uint32_t events);
  void on_subscriber_text(const Peer& s, std::string_view text, std::uint64_t received_ns);
  void on_publisher_text(Peer& p, std::string_view text);
  void fill_window(Peer& p);
  void fill_all_windows();
  void publish_one(Peer& p);
  std::uint64_t allowed() const;
  void update_write_interest(Peer& peer);
  void lose(Peer& peer);

  void advance_phase(ThroughputResult& r);
  void begin_window();
  void end_window(ThroughputResult& r);
  bool drained() const;

  const Options& o_;
  const int slow_;               // per topic
  const std::uint64_t healthy_;  // per topic
  const Clock::duration poll_interval_, warmup_, duration_;
  std::vector<std::string> topics_;
  std::vector<Peer> peers_;  // subscribers, then publishers
  std::size_t first_publisher_ = 0;
  int epoll_fd_ = -1;
  std::size_t watched_ = 0;
  ReadBuffer read_buffer_;
  PublishFrameBuilder builder_;
  std::string frame_;  // the publish being sent
  Counts counts_;
  Histogram latency_;
  StreamChecker order_;  // one stream per (subscriber, publisher)
  Phase phase_ = Phase::warmup;
  Clock::time_point start_, pass_now_, window_start_, drain_deadline_;
  Counts before_;
  std::vector<ProcSample> servers_before_;
  double client_before_ = 0;
};

PerFrameRun::PerFrameRun(const Options& o)
    : o_(o),
      slow_(static_cast<int>(o.slow_fraction * o.subscribers + 0.5)),
      healthy_(static_cast<std::uint64_t>(o.subscribers - slow_)),
      poll_interval_(std::chrono::microseconds(o.poll_interval_us)),
      warmup_(seconds(o.warmup)),
      duration_(seconds(o.duration)),
      builder_(o.payload) {
  for (int t = 0; t < o.topics; ++t) topics_.push_back(topic_name(o, t));
}

PerFrameRun::~PerFrameRun() {
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

// ------------------------------------------------------------------ set-up

bool PerFrameRun::open_connections() {
  raise_fd_limit();
  std::vector<ServerAddress> servers;
  for (std::uint16_t port : o_.ports) {
    auto server = resolve_server(o_, port);
    if (!server) {
      std::cerr << "pubsub-bench: --host must be a numeric address\n";
      return false;
    }
    servers.push_back(*server);
  }
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    std::cerr << "pubsub-bench: epoll_create1 failed\n";
    return false;
  }
  const int subscribers = o_.topics * o_.subscribers;
  peers_.reserve(static_cast<std::size_t>(subscribers + o_.publishers));
  for (int s = 0; s < subscribers; ++s) {
    if (!open_subscriber(s, servers)) {
      std::cerr << "pubsub-bench: only " << s << " of " << subscribers << " subscribers are ready\n";
      return false;
    }
  }
  first_publisher_ = peers_.size();
  for (int p = 0; p < o_.publishers; ++p) {
    if (!open_publisher(p, servers)) {
      std::cerr << "pubsub-bench: publisher " << p << " cannot connect\n";
      return false;
    }
  }
  return true;
}

bool PerFrameRun::open_subscriber(int s, const std::vector<ServerAddress>& servers) {
  // The first `slow_` subscribers of each topic subscribe and then never
  // read (with a small receive buffer, so that the server's queue fills).
  const bool slow = s / o_.topics < slow_;
  Peer& peer = peers_.emplace_back();
  peer.index = peers_.size() - 1;
  peer.id = static_cast<std::uint64_t>(s);
  if (!peer.connection.open(o_, servers[subscriber_node(s, o_.topics, servers.size())], slow ? 4096 : 0) ||
      !peer.connection.subscribe(topics_[static_cast<std::size_t>(s % o_.topics)], read_buffer_) ||
      !peer.connection.set_nonblocking()) {
    return false;
  }
  return slow || watch(peer);
}

bool PerFrameRun::open_publisher(int p, const std::vector<ServerAddress>& servers) {
  Peer& peer = peers_.emplace_back();
  peer.index = peers_.size() - 1;
  peer.id = static_cast<std::uint64_t>(p);
  peer.publisher = true;
  peer.next_n.assign(topics_.size(), 0);
  return peer.connection.open(o_, servers[publisher_node(p, servers.size())]) && peer.connection.set_nonblocking() &&
         watch(peer);
}

bool PerFrameRun::watch(Peer& peer) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = peer.index;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, peer.connection.fd(), &event) != 0) return false;
  watched_ += 1;
  return true;
}

// ------------------------------------------------------------------ the loop

void PerFrameRun::run(ThroughputResult& r) {
  std::vector<epoll_event> events(std::max<std::size_t>(watched_, 1));
  start_ = pass_now_ = Clock::now();
  fill_all_windows();
  while (phase_ != Phase::done) {
    const int ready = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), 1);
    pass_now_ = Clock::now();
    for (int i = 0; i < ready; ++i) handle_ready(static_cast<std::size_t>(events[i].data.u64), events[i].events);
    fill_all_windows();
    advance_phase(r);
    if (ready > 0 && poll_interval_ > Clock::duration::zero())
      std::this_thread::sleep_until(pass_now_ + poll_interval_);
  }
}

void PerFrameRun::handle_ready(std::size_t index, std::uint32_t events) {
  Peer& peer = peers_[index];
  if (peer.lost) return;
  if ((events & EPOLLOUT) && !peer.connection.flush()) return lose(peer);
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
    const bool open =
        peer.publisher
            ? peer.connection.read_available(
                  read_buffer_, [&](std::string_view text, std::uint64_t) { on_publisher_text(peer, text); })
            : peer.connection.read_available(read_buffer_, [&](std::string_view text, std::uint64_t received_ns) {
                on_subscriber_text(peer, text, received_ns);
              });
    if (!open) return lose(peer);
  }
  if (!peer.lost) update_write_interest(peer);
}

void PerFrameRun::on_subscriber_text(const Peer& s, std::string_view text, std::uint64_t received_ns) {
  auto f = read_frame_fields(text);
  if (!f) {
    counts_.errors += 1;
    return;
  }
  switch (f->kind) {
    case FrameKind::event:
      if (f->sent_ns == 0) {
        counts_.foreign += 1;
        return;
      }
      counts_.delivered += 1;
      order_.see((s.id << 20) ^ f->publisher, f->counter);
      if (phase_ == Phase::measuring) latency_.record(received_ns - f->sent_ns);
      return;
    case FrameKind::dropped_info: counts_.dropped_announced += f->dropped; return;
    case FrameKind::error: counts_.errors += 1; return;
    default: return;
  }
}

void PerFrameRun::on_publisher_text(Peer& p, std::string_view text) {
  auto f = read_frame_fields(text);
  if (!f || (f->kind != FrameKind::ack && f->kind != FrameKind::error)) return;
  if (f->kind == FrameKind::ack) {
    counts_.acked += 1;
  } else {
    counts_.errors += 1;
  }
  p.in_flight -= 1;
  fill_window(p);
}

// Returns how many publishes each publisher may have sent by now: no limit
// at full rate, else its share of --rate since the loop started, plus one.
std::uint64_t PerFrameRun::allowed() const {
  if (o_.rate <= 0) return UINT64_MAX;
  const double elapsed = std::chrono::duration<double>(pass_now_ - start_).count();
  return static_cast<std::uint64_t>(elapsed * o_.rate / o_.publishers) + 1;
}

void PerFrameRun::fill_window(Peer& p) {
  if (phase_ == Phase::draining || phase_ == Phase::done) return;
  const std::uint64_t limit = allowed();
  while (!p.lost && p.in_flight < o_.window && p.sent < limit) publish_one(p);
}

void PerFrameRun::fill_all_windows() {
  for (std::size_t i = first_publisher_; i < peers_.size(); ++i) {
    Peer& p = peers_[i];
    fill_window(p);
    if (!p.lost) update_write_interest(p);
  }
}

// Sends `p`'s next publish, to the next topic of its round, in one send().
void PerFrameRun::publish_one(Peer& p) {
  const std::size_t t = static_cast<std::size_t>((p.id + p.sent) % topics_.size());
  frame_.clear();
  builder_.append(frame_, topics_[t], p.id, p.sent, p.next_n[t]++, now_ns());
  p.sent += 1;
  p.in_flight += 1;
  counts_.published += 1;
  if (!p.connection.send_frame(frame_)) lose(p);
}

void PerFrameRun::update_write_interest(Peer& peer) {
  const bool wants = peer.connection.wants_write();
  if (wants == peer.watching_writes) return;
  epoll_event event{};
  event.events = EPOLLIN | (wants ? EPOLLOUT : 0u);
  event.data.u64 = peer.index;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, peer.connection.fd(), &event);
  peer.watching_writes = wants;
}

// A connection the run did not close ended: counted as an error; a lost
// publisher's unacknowledged publishes are no longer waited for.
void PerFrameRun::lose(Peer& peer) {
  if (peer.lost) return;
  peer.lost = true;
  peer.in_flight = 0;
  peer.connection.close();
  counts_.errors += 1;
}

// ------------------------------------------------------------------ phases

void PerFrameRun::advance_phase(ThroughputResult& r) {
  switch (phase_) {
    case Phase::warmup:
      if (pass_now_ - start_ >= warmup_) begin_window();
      return;
    case Phase::measuring:
      if (pass_now_ - window_start_ >= duration_) end_window(r);
      return;
    case Phase::draining:
      if (drained() || pass_now_ >= drain_deadline_) phase_ = Phase::done;
      return;
    case Phase::done: return;
  }
}

void PerFrameRun::begin_window() {
  before_ = counts_;
  servers_before_ = sample_processes(o_.server_pids);
  client_before_ = client_cpu_seconds();
  window_start_ = Clock::now();
  phase_ = Phase::measuring;
}

// Ends the window: rates and CPU into `r`; publishing stops and the drain starts.
void PerFrameRun::end_window(ThroughputResult& r) {
  const auto end = Clock::now();
  const Counts after = counts_;
  const std::vector<ProcSample> servers_after = sample_processes(o_.server_pids);
  const double client_after = client_cpu_seconds();
  r.seconds = std::chrono::duration<double>(end - window_start_).count();
  r.published_per_sec = static_cast<double>(after.acked - before_.acked) / r.seconds;
  r.delivered_per_sec = static_cast<double>(after.delivered - before_.delivered) / r.seconds;
  r.window_deliveries = after.delivered - before_.delivered;
  r.set_servers(usage_between(o_.server_pids, servers_before_, servers_after));
  r.client_cpu_seconds = client_after - client_before_;
  phase_ = Phase::draining;
  drain_deadline_ = end + std::chrono::seconds(5);
}

// True once no publish waits for its ack and every acknowledged publish
// reached (or was announced dropped to) every healthy subscriber.
bool PerFrameRun::drained() const {
  for (std::size_t i = first_publisher_; i < peers_.size(); ++i) {
    if (peers_[i].in_flight > 0) return false;
  }
  return counts_.delivered + counts_.dropped_announced >= counts_.acked * healthy_;
}

void PerFrameRun::finish(ThroughputResult& r) const {
  r.slow_per_topic = slow_;
  r.published = counts_.acked;
  r.expected = counts_.acked * healthy_;
  r.delivered = counts_.delivered;
  r.dropped_announced = counts_.dropped_announced;
  r.gaps = order_.gaps();
  r.duplicates = order_.duplicates();
  r.reordered = order_.reordered();
  r.errors = counts_.errors;
  r.latency.merge(latency_);
}

}  // namespace

std::optional<ThroughputResult> run_per_frame(const Options& o) {
  PerFrameRun run(o);
  if (!run.open_connections()) return std::nullopt;
  ThroughputResult r;
  run.run(r);
  run.finish(r);
  return r;
}

}  // namespace pubsub::bench
