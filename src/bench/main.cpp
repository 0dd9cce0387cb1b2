// pubsub-bench: a load generator for any server speaking the pubsub
// contract, in the spirit of redis-benchmark and `nats bench`.
//
// Throughput mode: N subscribers on each of T topics and P publishers
// (round robin over the topics) publish payloads that carry the publisher
// id, a counter and the send time. Subscribers check every stream for gaps,
// duplicates and re-ordering, and record publish-to-delivery latency.
// Connections mode: holds C idle subscribed connections and reports the
// server's memory per connection.
//
// Client side: one io_context per --client-threads thread; WebSocket framing
// comes from the protocol library's client side (protocol/client_frames.h)
// and JSON fields are read by hand, so that the client spends far less CPU
// per message than the server it measures.
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/stats.h"
#include "protocol/client_frames.h"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using pubsub::bench::FrameKind;
using pubsub::bench::Histogram;
using pubsub::bench::StreamChecker;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::string mode = "throughput";
  int topics = 1;
  int subscribers = 100;  // per topic
  int publishers = 1;
  std::size_t payload = 100;
  double rate = 0;  // total publishes per second; 0 = as fast as the window allows
  double slow_fraction = 0;  // share of each topic's subscribers that never read
  int window = 64;  // unacknowledged publishes per publisher
  double warmup = 1;
  double duration = 5;
  int client_threads = 1;
  int connections = 1000;  // connections mode
  int sources = 0;         // connections mode: 127.0.0.x source addresses (0: auto)
  std::string api_key;
  std::string topic_prefix = "bench";
  int server_pid = 0;
  bool json = false;
};

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

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

std::atomic<bool> g_measuring{false};
std::atomic<bool> g_stop_publishing{false};

// ------------------------------------------------------------------ WebSocket framing

// Appends a final frame of `opcode`, masked with a zero key: the payload
// goes out as is, with no masking pass.
void append_frame(std::string& out, std::string_view payload, unsigned opcode = 0x1) {
  pubsub::protocol::append_client_frame(out, static_cast<std::uint8_t>(0x80 | opcode), payload,
                                        pubsub::protocol::kZeroMaskKey);
}

// Received bytes not yet handled. The socket reads into the free tail
// directly: nothing is cleared or copied per read, only the unhandled rest
// of a partial frame is moved to the front.
class ReceiveBuffer {
 public:
  const char* data() const { return bytes_.get(); }
  std::size_t size() const { return size_; }
  // Room for at least `n` more bytes after the data.
  asio::mutable_buffer free_space(std::size_t n) {
    if (capacity_ - size_ < n) {
      std::size_t capacity = std::max(capacity_ * 2, size_ + n);
      auto bigger = std::unique_ptr<char[]>(new char[capacity]);
      if (size_ > 0) std::memcpy(bigger.get(), bytes_.get(), size_);
      bytes_ = std::move(bigger);
      capacity_ = capacity;
    }
    return asio::buffer(bytes_.get() + size_, capacity_ - size_);
  }
  // Takes in `n` bytes written into free_space.
  void commit(std::size_t n) { size_ += n; }
  void append(std::string_view bytes) {
    if (bytes.empty()) return;
    std::memcpy(free_space(bytes.size()).data(), bytes.data(), bytes.size());
    commit(bytes.size());
  }
  // Drops the first `n` bytes.
  void consume(std::size_t n) {
    size_ -= n;
    if (size_ > 0) std::memmove(bytes_.get(), bytes_.get() + n, size_);
  }

 private:
  std::unique_ptr<char[]> bytes_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

// One WebSocket client connection: handshake, buffered frame reader.
class Connection {
 public:
  explicit Connection(asio::io_context& ioc) : socket_(ioc) {}

  asio::awaitable<bool> open(const Options& o, tcp::endpoint server, std::optional<asio::ip::address> source,
                             int receive_buffer = 0) {
    if (source || receive_buffer > 0) socket_.open(tcp::v4());
    if (receive_buffer > 0) socket_.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
    if (source) {
      int one = 1;
      ::setsockopt(socket_.native_handle(), IPPROTO_IP, 24 /* IP_BIND_ADDRESS_NO_PORT */, &one, sizeof one);
      boost::system::error_code ec;
      socket_.bind(tcp::endpoint(*source, 0), ec);
      if (ec) co_return false;
    }
    auto [ec] = co_await socket_.async_connect(server, nothrow);
    if (ec) co_return false;
    socket_.set_option(tcp::no_delay(true));
    std::string request = "GET /ws HTTP/1.1\r\nHost: " + o.host +
                          "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    if (!o.api_key.empty()) request += "X-API-Key: " + o.api_key + "\r\n";
    request += "\r\n";
    auto [wec, wn] = co_await asio::async_write(socket_, asio::buffer(request), nothrow);
    if (wec) co_return false;
    std::string response;
    auto [rec, rn] = co_await asio::async_read_until(socket_, asio::dynamic_buffer(response), "\r\n\r\n", nothrow);
    if (rec || response.compare(0, 12, "HTTP/1.1 101") != 0) co_return false;
    in_.append(std::string_view(response).substr(rn));
    co_return true;
  }

  asio::awaitable<bool> send(const std::string& bytes) {
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(bytes), nothrow);
    co_return !ec;
  }

  // Reads more and calls on_text for every complete text message. Returns
  // false when the connection is gone.
  template <typename OnText>
  asio::awaitable<bool> read(OnText&& on_text) {
    auto [ec, n] = co_await socket_.async_read_some(in_.free_space(16384), nothrow);
    if (ec) co_return false;
    in_.commit(n);
    std::size_t pos = 0;
    while (auto frame = pubsub::protocol::read_server_frame(std::string_view(in_.data() + pos, in_.size() - pos))) {
      pos += frame->size();
      if (frame->opcode == 0x9) {
        pong_.clear();
        append_frame(pong_, frame->payload, 0xA);
        co_await send(pong_);
      } else if (frame->opcode == 0x8) {
        co_return false;
      } else if (frame->opcode == 0x1 && frame->fin) {
        on_text(frame->payload);
      } else if (frame->opcode == 0x1 || frame->opcode == 0x0) {
        partial_.append(frame->payload);  // fragments (this server does not send them)
        if (frame->fin) {
          on_text(std::string_view(partial_));
          partial_.clear();
        }
      }
    }
    in_.consume(pos);
    co_return true;
  }

  void close() {
    boost::system::error_code ec;
    socket_.close(ec);
  }

 private:
  tcp::socket socket_;
  ReceiveBuffer in_;
  std::string partial_;
  std::string pong_;
};

// ------------------------------------------------------------------ REST

// Sends one HTTP request and returns its status (0 on failure).
int http_status(const Options& o, const std::string& method, const std::string& target, const std::string& body) {
  try {
    asio::io_context ioc;
    tcp::socket s(ioc);
    s.connect(tcp::endpoint(asio::ip::make_address(o.host), o.port));
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: " + o.host +
                      "\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\n";
    if (!o.api_key.empty()) req += "X-API-Key: " + o.api_key + "\r\n";
    req += "\r\n" + body;
    asio::write(s, asio::buffer(req));
    std::string response;
    boost::system::error_code ec;
    asio::read(s, asio::dynamic_buffer(response), ec);
    if (response.size() < 12) return 0;
    return std::stoi(response.substr(9, 3));
  } catch (const std::exception&) {
    return 0;
  }
}

std::string topic_name(const Options& o, int index) { return o.topic_prefix + "-" + std::to_string(index); }

bool create_topics(const Options& o) {
  for (int t = 0; t < o.topics; ++t) {
    int status = http_status(o, "POST", "/topics", R"({"name":")" + topic_name(o, t) + "\"}");
    if (status != 201 && status != 409) {
      std::cerr << "pubsub-bench: cannot create topic " << topic_name(o, t) << " (HTTP " << status << ")\n";
      return false;
    }
  }
  return true;
}

// ------------------------------------------------------------------ roles

asio::awaitable<bool> subscribe(Connection& c, const std::string& topic) {
  std::string frame;
  append_frame(frame, R"({"type":"subscribe","topic":")" + topic + R"(","client_id":"bench"})");
  if (!co_await c.send(frame)) co_return false;
  bool acked = false, failed = false;
  while (!acked && !failed) {
    if (!co_await c.read([&](std::string_view text) {
          auto f = pubsub::bench::read_frame_fields(text);
          if (f && f->kind == FrameKind::ack) acked = true;
          if (f && f->kind == FrameKind::error) failed = true;
        })) {
      co_return false;
    }
  }
  co_return acked;
}

asio::awaitable<void> subscriber(Connection& c, ThreadStats& stats, std::uint64_t id) {
  auto on_text = [&](std::string_view text) {
    auto f = pubsub::bench::read_frame_fields(text);
    if (!f) return stats.errors.add();
    switch (f->kind) {
      case FrameKind::event:
        if (f->sent_ns == 0) return stats.foreign.add();
        stats.delivered.add();
        stats.order.see((id << 20) ^ f->publisher, f->counter);
        if (g_measuring.load(std::memory_order_relaxed)) stats.latency.record(now_ns() - f->sent_ns);
        return;
      case FrameKind::dropped_info: return stats.dropped_announced.add(f->dropped);
      case FrameKind::error: return stats.errors.add();
      default: return;
    }
  };
  while (co_await c.read(on_text)) {
  }
}

// Builds the publish frame of message `n` of publisher `p`.
void publish_frame(std::string& out, const std::string& topic, std::uint64_t p, std::uint64_t n, std::size_t payload) {
  char id[40];
  std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012llx",
                static_cast<unsigned long long>(((p & 0xFFFF) << 32) | (n & 0xFFFFFFFF)));
  std::string body = R"({"type":"publish","topic":")" + topic + R"(","message":{"id":")" + id +
                     R"(","payload":{"bp":)" + std::to_string(p) + R"(,"bn":)" + std::to_string(n) +
                     R"(,"bt":)" + std::to_string(now_ns()) + R"(,"pad":")";
  // Pad the payload object to `payload` bytes (at least its fields).
  std::size_t payload_so_far = body.size() - body.find(R"({"bp")") + 3;
  if (payload > payload_so_far) body.append(payload - payload_so_far, 'x');
  body += "\"}}}";
  append_frame(out, body);
}

struct Publisher {
  Connection connection;
  std::uint64_t id;
  std::string topic;
  std::uint64_t next = 0;
  int in_flight = 0;
  asio::steady_timer wake;
  Publisher(asio::io_context& ioc, std::uint64_t i, std::string t) : connection(ioc), id(i), topic(std::move(t)), wake(ioc) {}
};

asio::awaitable<void> publisher_reader(Publisher& p, ThreadStats& stats) {
  auto on_text = [&](std::string_view text) {
    auto f = pubsub::bench::read_frame_fields(text);
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
  while (co_await p.connection.read(on_text)) {
  }
}

asio::awaitable<void> publisher_writer(Publisher& p, ThreadStats& stats, const Options& o) {
  const double per_publisher_rate = o.rate / o.publishers;
  const auto start = std::chrono::steady_clock::now();
  std::string out;
  while (!g_stop_publishing.load(std::memory_order_relaxed)) {
    std::uint64_t allowed = UINT64_MAX;
    if (per_publisher_rate > 0) {
      double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      allowed = static_cast<std::uint64_t>(elapsed * per_publisher_rate) + 1;
    }
    out.clear();
    while (p.in_flight < o.window && p.next < allowed) {
      publish_frame(out, p.topic, p.id, p.next++, o.payload);
      p.in_flight += 1;
      stats.published.add();
    }
    if (!out.empty() && !co_await p.connection.send(out)) co_return;
    p.wake.expires_after(per_publisher_rate > 0 ? std::chrono::microseconds(500) : std::chrono::seconds(1));
    co_await p.wake.async_wait(nothrow);
  }
}

// ------------------------------------------------------------------ server metrics

struct ProcSample {
  double cpu_seconds = 0;
  long rss_kib = 0;
};

ProcSample sample_process(int pid) {
  ProcSample out;
  if (pid <= 0) return out;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  auto close = line.rfind(')');
  if (close != std::string::npos) {
    std::istringstream fields(line.substr(close + 2));
    std::string field;
    unsigned long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14) utime = std::stoul(field);
      if (i == 15) stime = std::stoul(field);
    }
    out.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) out.rss_kib = std::stol(line.substr(6));
  }
  return out;
}

double client_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

void raise_fd_limit() {
  rlimit l{};
  if (getrlimit(RLIMIT_NOFILE, &l) == 0 && l.rlim_cur < l.rlim_max) {
    l.rlim_cur = l.rlim_max;
    setrlimit(RLIMIT_NOFILE, &l);
  }
}

// ------------------------------------------------------------------ runs

struct Pool {
  explicit Pool(int threads) {
    for (int i = 0; i < threads; ++i) {
      contexts.push_back(std::make_unique<asio::io_context>(1));
      stats.push_back(std::make_unique<ThreadStats>());
    }
  }
  void start() {
    for (auto& c : contexts) {
      guards.emplace_back(c->get_executor());
      threads.emplace_back([ctx = c.get()] { ctx->run(); });
    }
  }
  void stop() {
    for (auto& c : contexts) c->stop();
    for (auto& t : threads) t.join();
  }
  template <typename F>
  std::uint64_t sum(F f) const {
    std::uint64_t total = 0;
    for (const auto& s : stats) total += f(*s);
    return total;
  }
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<std::unique_ptr<ThreadStats>> stats;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::vector<std::thread> threads;
};

void print_json_field(std::ostream& out, const char* key, double value, bool last = false) {
  out << "\"" << key << "\":" << value << (last ? "" : ",");
}

int run_throughput(const Options& o) {
  if (!create_topics(o)) return 1;
  tcp::endpoint server(asio::ip::make_address(o.host), o.port);
  Pool pool(o.client_threads);
  std::vector<std::unique_ptr<Connection>> subscribers;
  std::vector<std::unique_ptr<Publisher>> publishers;
  std::atomic<int> ready{0}, failed{0};

  int subscriber_count = o.topics * o.subscribers;
  // The first `slow` subscribers of each topic subscribe and then never
  // read (with a small receive buffer, so that the server's queue fills).
  const int slow = static_cast<int>(o.slow_fraction * o.subscribers + 0.5);
  const int healthy = o.subscribers - slow;
  for (int s = 0; s < subscriber_count; ++s) {
    auto& ioc = *pool.contexts[s % o.client_threads];
    auto& stats = *pool.stats[s % o.client_threads];
    bool is_slow = s / o.topics < slow;
    subscribers.push_back(std::make_unique<Connection>(ioc));
    asio::co_spawn(ioc, [&, c = subscribers.back().get(), s, is_slow]() -> asio::awaitable<void> {
      if (!co_await c->open(o, server, std::nullopt, is_slow ? 4096 : 0) ||
          !co_await subscribe(*c, topic_name(o, s % o.topics))) {
        failed++;
        co_return;
      }
      ready++;
      if (!is_slow) co_await subscriber(*c, stats, static_cast<std::uint64_t>(s));
    }, asio::detached);
  }
  pool.start();
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (ready + failed < subscriber_count && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  if (ready < subscriber_count) {
    std::cerr << "pubsub-bench: only " << ready << " of " << subscriber_count << " subscribers are ready\n";
    pool.stop();
    return 1;
  }

  std::atomic<int> publishers_ready{0};
  for (int p = 0; p < o.publishers; ++p) {
    auto& ioc = *pool.contexts[p % o.client_threads];
    auto& stats = *pool.stats[p % o.client_threads];
    publishers.push_back(std::make_unique<Publisher>(ioc, static_cast<std::uint64_t>(p), topic_name(o, p % o.topics)));
    asio::co_spawn(ioc, [&, pub = publishers.back().get()]() -> asio::awaitable<void> {
      if (!co_await pub->connection.open(o, server, std::nullopt)) {
        failed++;
        co_return;
      }
      publishers_ready++;
      asio::co_spawn(co_await asio::this_coro::executor, publisher_reader(*pub, stats), asio::detached);
      co_await publisher_writer(*pub, stats, o);
    }, asio::detached);
  }

  auto window_counts = [&] {
    return std::array<std::uint64_t, 3>{pool.sum([](auto& s) { return s.published.get(); }),
                                        pool.sum([](auto& s) { return s.delivered.get(); }),
                                        pool.sum([](auto& s) { return s.acked.get(); })};
  };
  std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup));
  auto before = window_counts();
  ProcSample server_before = sample_process(o.server_pid);
  double client_before = client_cpu_seconds();
  auto t0 = std::chrono::steady_clock::now();
  g_measuring = true;
  std::this_thread::sleep_for(std::chrono::duration<double>(o.duration));
  g_measuring = false;
  auto t1 = std::chrono::steady_clock::now();
  auto after = window_counts();
  ProcSample server_after = sample_process(o.server_pid);
  double client_after = client_cpu_seconds();
  g_stop_publishing = true;
  for (auto& p : publishers) asio::post(p->wake.get_executor(), [t = &p->wake] { t->cancel(); });

  // Drain: wait until every acknowledged publish reached every subscriber.
  auto expected = [&] { return pool.sum([](auto& s) { return s.acked.get(); }) * static_cast<std::uint64_t>(healthy); };
  auto accounted = [&] {
    return pool.sum([](auto& s) { return s.delivered.get(); }) + pool.sum([](auto& s) { return s.dropped_announced.get(); });
  };
  auto drain_deadline = std::chrono::steady_clock::now() + 5s;
  std::uint64_t last_acked = 0;
  while (std::chrono::steady_clock::now() < drain_deadline) {
    std::uint64_t acked = pool.sum([](auto& s) { return s.acked.get(); });
    if (acked == last_acked && accounted() >= expected()) break;
    last_acked = acked;
    std::this_thread::sleep_for(50ms);
  }
  pool.stop();

  double seconds = std::chrono::duration<double>(t1 - t0).count();
  Histogram latency;
  StreamChecker total;
  std::uint64_t gaps = 0, dups = 0, reorder = 0;
  for (auto& s : pool.stats) {
    latency.merge(s->latency);
    gaps += s->order.gaps();
    dups += s->order.duplicates();
    reorder += s->order.reordered();
  }
  std::uint64_t published_total = pool.sum([](auto& s) { return s.acked.get(); });
  std::uint64_t delivered_total = pool.sum([](auto& s) { return s.delivered.get(); });
  std::uint64_t dropped_total = pool.sum([](auto& s) { return s.dropped_announced.get(); });
  std::uint64_t errors = pool.sum([](auto& s) { return s.errors.get(); });
  double published_rate = static_cast<double>(after[2] - before[2]) / seconds;
  double delivered_rate = static_cast<double>(after[1] - before[1]) / seconds;
  std::uint64_t window_deliveries = after[1] - before[1];
  double server_cpu = server_after.cpu_seconds - server_before.cpu_seconds;
  double client_cpu = client_after - client_before;
  auto us_per = [&](double cpu) { return window_deliveries ? cpu * 1e6 / static_cast<double>(window_deliveries) : 0.0; };
  auto ms = [](std::uint64_t ns) { return static_cast<double>(ns) / 1e6; };

  if (o.json) {
    std::ostringstream out;
    out << "{\"mode\":\"throughput\",\"topics\":" << o.topics << ",\"subscribers_per_topic\":" << o.subscribers
        << ",\"publishers\":" << o.publishers << ",\"payload_bytes\":" << o.payload << ",\"rate\":" << o.rate
        << ",\"window\":" << o.window << ",\"slow_subscribers_per_topic\":" << slow << ",";
    print_json_field(out, "seconds", seconds);
    print_json_field(out, "published_per_sec", published_rate);
    print_json_field(out, "delivered_per_sec", delivered_rate);
    out << "\"published\":" << published_total << ",\"expected\":" << published_total * healthy
        << ",\"delivered\":" << delivered_total << ",\"dropped_announced\":" << dropped_total << ",\"gaps\":" << gaps
        << ",\"duplicates\":" << dups << ",\"reordered\":" << reorder << ",\"errors\":" << errors << ",";
    out << "\"latency_ms\":{\"p50\":" << ms(latency.quantile(0.5)) << ",\"p90\":" << ms(latency.quantile(0.9))
        << ",\"p99\":" << ms(latency.quantile(0.99)) << ",\"p999\":" << ms(latency.quantile(0.999))
        << ",\"max\":" << ms(latency.max()) << "},";
    if (o.server_pid > 0) {
      print_json_field(out, "server_cpu_us_per_delivery", us_per(server_cpu));
      out << "\"server_rss_kib\":" << server_after.rss_kib << ",";
    }
    print_json_field(out, "client_cpu_us_per_delivery", us_per(client_cpu), true);
    out << "}\n";
    std::cout << out.str();
  } else {
    std::printf("pubsub-bench throughput: %d topic(s) x %d subscribers, %d publisher(s), %zu B payload, %s\n",
                o.topics, o.subscribers, o.publishers, o.payload,
                o.rate > 0 ? (std::to_string(static_cast<long>(o.rate)) + " msg/s").c_str()
                           : ("max rate, window " + std::to_string(o.window)).c_str());
    if (slow > 0) std::printf("  slow            %d subscriber(s) per topic never read (not counted below)\n", slow);
    std::printf("  measured        %.2f s (after %.1f s warm-up)\n", seconds, o.warmup);
    std::printf("  published/s     %.0f\n", published_rate);
    std::printf("  delivered/s     %.0f\n", delivered_rate);
    std::printf("  expected        %llu   delivered %llu   dropped (announced) %llu\n",
                static_cast<unsigned long long>(published_total * healthy),
                static_cast<unsigned long long>(delivered_total), static_cast<unsigned long long>(dropped_total));
    std::printf("  order           gaps %llu   duplicates %llu   reordered %llu   errors %llu\n",
                static_cast<unsigned long long>(gaps), static_cast<unsigned long long>(dups),
                static_cast<unsigned long long>(reorder), static_cast<unsigned long long>(errors));
    std::printf("  latency (ms)    p50 %.3f   p90 %.3f   p99 %.3f   p99.9 %.3f   max %.3f\n", ms(latency.quantile(0.5)),
                ms(latency.quantile(0.9)), ms(latency.quantile(0.99)), ms(latency.quantile(0.999)), ms(latency.max()));
    if (o.server_pid > 0) {
      std::printf("  server          %.3f us CPU per delivery, RSS %ld KiB\n", us_per(server_cpu), server_after.rss_kib);
    }
    std::printf("  client          %.3f us CPU per delivery\n", us_per(client_cpu));
  }
  bool clean = gaps == 0 && dups == 0 && reorder == 0 && errors == 0;
  return clean ? 0 : 3;
}

int run_connections(const Options& o) {
  if (!create_topics(o)) return 1;
  raise_fd_limit();
  tcp::endpoint server(asio::ip::make_address(o.host), o.port);
  int sources = o.sources > 0 ? o.sources : std::max(1, (o.connections + 24999) / 25000);
  ProcSample before = sample_process(o.server_pid);
  Pool pool(o.client_threads);
  std::vector<std::unique_ptr<Connection>> connections;
  std::atomic<int> ready{0}, failed{0};
  pool.start();
  const int batch = 500;  // connections being opened at once
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < o.connections; ++i) {
    while (i - ready - failed >= batch) std::this_thread::sleep_for(1ms);
    auto& ioc = *pool.contexts[i % o.client_threads];
    connections.push_back(std::make_unique<Connection>(ioc));
    auto source = asio::ip::make_address_v4(0x7F000001u + 1 + static_cast<unsigned>(i % sources));
    asio::co_spawn(ioc, [&, c = connections.back().get(), i, source]() -> asio::awaitable<void> {
      if (!co_await c->open(o, server, asio::ip::address(source)) || !co_await subscribe(*c, topic_name(o, i % o.topics))) {
        failed++;
        co_return;
      }
      ready++;
      while (co_await c->read([](std::string_view) {})) {
      }
    }, asio::detached);
  }
  while (ready + failed < o.connections) std::this_thread::sleep_for(5ms);
  double open_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::this_thread::sleep_for(1s);
  ProcSample held = sample_process(o.server_pid);
  std::this_thread::sleep_for(std::chrono::duration<double>(o.duration));
  ProcSample after = sample_process(o.server_pid);
  pool.stop();
  double per_conn_kib = ready > 0 ? static_cast<double>(held.rss_kib - before.rss_kib) / ready : 0;
  if (o.json) {
    std::cout << "{\"mode\":\"connections\",\"requested\":" << o.connections << ",\"held\":" << ready.load()
              << ",\"failed\":" << failed.load() << ",\"open_seconds\":" << open_seconds
              << ",\"server_rss_before_kib\":" << before.rss_kib << ",\"server_rss_held_kib\":" << held.rss_kib
              << ",\"server_rss_after_hold_kib\":" << after.rss_kib << ",\"kib_per_connection\":" << per_conn_kib << "}\n";
  } else {
    std::printf("pubsub-bench connections: %d requested, %d held, %d failed (%.1f s to open, %d source addresses)\n",
                o.connections, ready.load(), failed.load(), open_seconds, sources);
    if (o.server_pid > 0) {
      std::printf("  server RSS      %ld KiB before, %ld KiB held, %ld KiB after %.0f s\n", before.rss_kib, held.rss_kib,
                  after.rss_kib, o.duration);
      std::printf("  per connection  %.2f KiB\n", per_conn_kib);
    }
  }
  return failed == 0 ? 0 : 3;
}

}  // namespace

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  Options o;
  po::options_description d("pubsub-bench options", 120, 60);
  d.add_options()("help", "print this help")                                                          //
      ("host", po::value(&o.host)->default_value(o.host), "server address")                            //
      ("port", po::value(&o.port)->default_value(o.port), "server port")                               //
      ("mode", po::value(&o.mode)->default_value(o.mode), "throughput or connections")                 //
      ("topics", po::value(&o.topics)->default_value(o.topics), "topics (created over REST)")          //
      ("subscribers", po::value(&o.subscribers)->default_value(o.subscribers), "subscribers per topic")  //
      ("publishers", po::value(&o.publishers)->default_value(o.publishers), "publishers (round robin over topics)")  //
      ("payload", po::value(&o.payload)->default_value(o.payload), "payload bytes")                   //
      ("rate", po::value(&o.rate)->default_value(o.rate), "total publishes per second (0: as fast as possible)")  //
      ("slow-fraction", po::value(&o.slow_fraction)->default_value(0), "share of each topic's subscribers that never read")  //
      ("window", po::value(&o.window)->default_value(o.window), "unacknowledged publishes per publisher")  //
      ("warmup", po::value(&o.warmup)->default_value(o.warmup), "seconds before measuring")            //
      ("duration", po::value(&o.duration)->default_value(o.duration), "seconds measured (or held)")   //
      ("client-threads", po::value(&o.client_threads)->default_value(o.client_threads), "client I/O threads")  //
      ("connections", po::value(&o.connections)->default_value(o.connections), "connections mode: connections to hold")  //
      ("sources", po::value(&o.sources)->default_value(o.sources), "connections mode: 127.0.0.x source addresses (0: one per 25000)")  //
      ("api-key", po::value(&o.api_key), "X-API-Key for REST and the upgrade")                        //
      ("topic-prefix", po::value(&o.topic_prefix)->default_value(o.topic_prefix), "topic names: PREFIX-0, PREFIX-1, ...")  //
      ("server-pid", po::value(&o.server_pid)->default_value(0), "server process to sample (CPU per delivery, RSS)")  //
      ("json", po::bool_switch(&o.json), "one JSON object instead of text");
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, d), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << "usage: pubsub-bench [options]\n\n" << d << "\n";
      return 0;
    }
  } catch (const po::error& e) {
    std::cerr << "pubsub-bench: " << e.what() << "\n";
    return 2;
  }
  if (o.topics < 1 || o.subscribers < 0 || o.publishers < 1 || o.window < 1 || o.client_threads < 1 || o.duration <= 0) {
    std::cerr << "pubsub-bench: topics, publishers, window, client-threads must be >= 1 and duration > 0\n";
    return 2;
  }
  if (o.mode == "throughput") return run_throughput(o);
  if (o.mode == "connections") return run_connections(o);
  std::cerr << "pubsub-bench: --mode must be throughput or connections\n";
  return 2;
}
