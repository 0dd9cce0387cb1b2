// Micro-benchmarks of the hot paths, run by `meson test --benchmark`:
// the codec (read a client frame, parse a publish, build an event), a
// publish fanned out to 1, 100 and 10 000 subscribers on the publisher's
// shard and on another one (queueing and the hand-off included, no
// sockets), the frame writer's copy and gather, what counting for
// /metrics adds to a connection's write, and a pass's writes to 64
// loopback TCP connections, one sendmsg each (as a connection writes
// alone, gathered_send.h) or submitted together through io_uring
// (docs/benchmarks.md).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <catch2/benchmark/catch_benchmark.hpp>
#include <catch2/catch_test_macros.hpp>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "common/steady_ns.h"
#include "core/broker.h"
#include "core/fakes.h"
#include "net/broker_frames.h"
#include "net/frame_writer.h"
#include "net/gathered_send.h"
#include "net/metrics_counts.h"
#include "net/send_batch.h"
#include "protocol/client_frames.h"
#include "protocol/messages.h"
#include "protocol/websocket_reader.h"

using namespace pubsub;

namespace {

const std::string kPublish =
    R"({"type":"publish","topic":"orders","message":{"id":"550e8400-e29b-41d4-a716-446655440000",)"
    R"("payload":{"bp":1,"bn":123456,"bt":987654321,"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}})";

}  // namespace

TEST_CASE("codec") {
  auto parsed = protocol::parse_request(kPublish, {});
  REQUIRE(parsed.ok);
  BENCHMARK("parse a publish request (~190 B)") { return protocol::parse_request(kPublish, {}).ok; };
  BENCHMARK("build an event frame") {
    return protocol::make_event("orders", parsed.request.message_id_raw, parsed.request.payload_raw, 42,
                                "2025-08-25T10:00:00.123Z");
  };
  // What the connection does per request before parsing it: unmask and
  // check the frame, UTF-8 included (the input is re-masked by the copy).
  const std::string frame = protocol::client_frame(0x81, kPublish);
  BENCHMARK_ADVANCED("read a masked client frame (~190 B)")(Catch::Benchmark::Chronometer meter) {
    std::vector<std::string> inputs(static_cast<std::size_t>(meter.runs()), frame);
    protocol::ClientFrameReader reader(1024 * 1024);
    meter.measure([&](int i) {
      std::span<char> input(inputs[static_cast<std::size_t>(i)]);
      return reader.next(input).payload.size();
    });
  };
  BENCHMARK("format a timestamp") { return protocol::format_timestamp(std::chrono::system_clock::now()); };
}

TEST_CASE("publish fan-out") {
  const auto request = protocol::parse_request(kPublish, {}).request;
  const net::PublishEncoder encoder(request.message_id_raw, request.payload_raw);
  const net::ProtocolFrames frames;
  for (std::size_t shards : {1u, 2u}) {
    for (int subscribers : {1, 100, 10000}) {
      core::BrokerOptions options;
      options.shards = shards;
      options.queue.max_frames = 1u << 30;  // never drop: measure queueing
      options.queue.max_bytes = std::size_t{1} << 40;
      core::Broker broker(options, frames);
      for (std::size_t i = 0; i < shards; ++i) broker.shard(i).set_wake([] {});
      broker.create_topic("orders");
      // The subscribers live on the last shard: with 2, every event crosses.
      core::Shard& home = broker.shard(shards - 1);
      std::vector<std::unique_ptr<core::testing::TestSubscriber>> subs;
      for (int i = 0; i < subscribers; ++i) {
        subs.push_back(std::make_unique<core::testing::TestSubscriber>(broker, shards - 1));
        broker.subscribe(*subs.back(), "orders", 0, false);
      }
      const std::string where = shards == 1 ? " on its shard" : " on another shard";
      BENCHMARK("publish to " + std::to_string(subscribers) + " subscriber(s)" + where) {
        auto result = broker.publish(0, "orders", false, encoder);
        broker.shard(0).wake_receivers();
        home.drain();
        for (auto& s : subs) {  // the writers' side: take the frame back out
          while (auto f = s->pop()) s->written(*f);
        }
        return result.seq;
      };
    }
  }
}

TEST_CASE("frame writer") {
  net::WriterPool pool;
  const std::string small_bytes(190, 'e');
  const std::string big_bytes(16 * 1024, 'b');
  auto small = core::Outbound::control(small_bytes);
  auto big = core::Outbound::control(big_bytes);
  net::WriteBuffer buffers[64];
  BENCHMARK("append 64 frames of 190 B, gather, consume") {
    net::FrameWriter writer;
    for (int i = 0; i < 64; ++i) writer.append(pool, small);
    std::size_t n = writer.gather(buffers);
    writer.consume(pool, writer.pending());
    return n;
  };
  BENCHMARK("append 4 frames of 16 KiB, gather, consume") {
    net::FrameWriter writer;
    for (int i = 0; i < 4; ++i) writer.append(pool, big);
    std::size_t n = writer.gather(buffers);
    writer.consume(pool, writer.pending());
    return n;
  };
}

// What WsConnection::fill_output and begin_flush count per write of
// `events` events: one clock read, the queue length at the write, and each
// event's latency in the shard's histogram (the sum added once).
TEST_CASE("metrics counting") {
  net::ShardCounts counts;
  BENCHMARK("read the steady clock") { return std::chrono::steady_clock::now(); };
  for (std::uint64_t events : {1u, 16u}) {
    BENCHMARK_ADVANCED("count a write of " + std::to_string(events) + " event(s)")
    (Catch::Benchmark::Chronometer meter) {
      // Accepted 0.5-4 ms before the write, as in a loaded run.
      const auto accepted = common::steady_now_ns();
      meter.measure([&](int i) {
        counts.queue_frames.observe(events);
        metrics::ThreadHistogram::Tally latency(counts.delivery_latency_ns);
        const auto now = common::steady_now_ns();
        for (std::uint64_t e = 0; e < events; ++e) {
          latency.observe(now - accepted + 500'000 + static_cast<std::uint64_t>(i % 8) * 500'000);
        }
        return now;
      });
    };
  }
  metrics::HistogramSnapshot latencies;
  counts.delivery_latency_ns.snapshot_into(latencies);
  REQUIRE(latencies.count > 0);
}

namespace {

// `count` connected loopback TCP connections; a thread of their own reads
// whatever arrives on the far ends (waking up for it, as a client would)
// until destroyed.
class LoopbackConnections {
 public:
  explicit LoopbackConnections(std::size_t count) {
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    REQUIRE(::listen(listener, static_cast<int>(count)) == 0);
    for (std::size_t i = 0; i < count; ++i) {
      const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      ::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address);  // EINPROGRESS
      const int server = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK);
      REQUIRE(server >= 0);
      const int on = 1;
      ::setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
      writers.push_back(server);
      readers_.push_back(client);
    }
    ::close(listener);
    reader_ = std::thread([this] { read_all(); });
  }
  ~LoopbackConnections() {
    stop_ = true;
    reader_.join();
    for (int fd : writers) ::close(fd);
    for (int fd : readers_) ::close(fd);
  }
  LoopbackConnections(const LoopbackConnections&) = delete;
  LoopbackConnections& operator=(const LoopbackConnections&) = delete;

  std::vector<int> writers;  // the ends to write

 private:
  void read_all() {
    const int set = ::epoll_create1(0);
    for (int fd : readers_) {
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.fd = fd;
      ::epoll_ctl(set, EPOLL_CTL_ADD, fd, &event);
    }
    std::array<epoll_event, 256> ready;
    std::array<char, 65536> buffer;
    while (!stop_) {
      const int n = ::epoll_wait(set, ready.data(), static_cast<int>(ready.size()), 10);
      for (int i = 0; i < n; ++i) {
        while (::recv(ready[i].data.fd, buffer.data(), buffer.size(), 0) > 0) {}
      }
    }
    ::close(set);
  }

  std::vector<int> readers_;
  std::thread reader_;
  std::atomic<bool> stop_{false};
};

}  // namespace

// The end of a loop pass that writes 64 connections one small event each:
// what the thread spends per pass in the kernel's TCP path, with a system
// call per write or one for all of them (net/send_batch.h). The reader
// thread takes the other core, as the clients do.
TEST_CASE("socket writes") {
  constexpr std::size_t kConnections = 64;
  LoopbackConnections connections(kConnections);
  const std::string event(100, 'e');
  const net::WriteBuffer piece{event.data(), event.size()};
  BENCHMARK("64 writes of 100 B, one sendmsg each") {
    std::size_t sent = 0;
    for (int fd : connections.writers) {
      std::array<iovec, 1> io;
      const msghdr message = net::gathered_message({&piece, 1}, io);
      sent += static_cast<std::size_t>(std::max<ssize_t>(net::send_gathered(fd, message), 0));
    }
    return sent;
  };
  net::SendBatch batch;
  REQUIRE(batch.start());
  BENCHMARK("64 writes of 100 B, one io_uring submission") {
    batch.clear();
    for (int fd : connections.writers) batch.add(fd, {&piece, 1});
    batch.submit();
    std::size_t sent = 0;
    for (std::size_t i = 0; i < batch.size(); ++i)
      sent += static_cast<std::size_t>(std::max<ssize_t>(batch.result(i), 0));
    return sent;
  };
}
