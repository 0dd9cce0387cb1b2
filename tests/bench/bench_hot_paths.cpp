// Micro-benchmarks of the hot paths, run by `meson test --benchmark`:
// the codec (read a client frame, parse a publish, build an event) and a
// publish fanned out to 1, 100 and 10 000 subscribers (queueing included,
// no sockets).
#include <catch2/benchmark/catch_benchmark.hpp>
#include <catch2/catch_test_macros.hpp>
#include <memory>
#include <vector>

#include "core/broker.h"
#include "protocol/client_frames.h"
#include "protocol/messages.h"
#include "protocol/websocket_reader.h"

using namespace pubsub;

namespace {

struct Frames final : core::FrameEncoder {
  std::string topic_deleted(std::string_view t) const override { return protocol::make_topic_deleted(t, "ts"); }
  std::string dropped(std::string_view t, std::uint64_t n) const override { return protocol::make_dropped(t, n, "ts"); }
  std::string slow_consumer() const override { return "slow"; }
};

const std::string kPublish =
    R"({"type":"publish","topic":"orders","message":{"id":"550e8400-e29b-41d4-a716-446655440000",)"
    R"("payload":{"bp":1,"bn":123456,"bt":987654321,"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}})";

struct Encoder final : core::EventEncoder {
  protocol::Request request;
  std::string encode(std::string_view topic, std::uint64_t seq) const override {
    return protocol::make_event(topic, request.message_id_raw, request.payload_raw, seq, "2025-08-25T10:00:00.123Z");
  }
};

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
  for (int subscribers : {1, 100, 10000}) {
    Frames frames;
    core::BrokerOptions options;
    options.queue.max_frames = 1u << 30;  // never drop: measure queueing
    options.queue.max_bytes = std::size_t{1} << 40;
    core::Broker broker(options, frames);
    broker.shard(0).set_wake([] {});
    broker.create_topic("orders");
    std::vector<std::unique_ptr<core::Subscriber>> subs;
    for (int i = 0; i < subscribers; ++i) {
      subs.push_back(std::make_unique<core::Subscriber>(broker, 0, [] {}));
      broker.subscribe(*subs.back(), "orders", 0, false);
    }
    Encoder encoder;
    encoder.request = protocol::parse_request(kPublish, {}).request;
    BENCHMARK("publish to " + std::to_string(subscribers) + " subscriber(s)") {
      auto result = broker.publish(0, "orders", false, encoder);
      for (auto& s : subs) {  // the writers' side: take the frame back out
        while (auto f = s->pop()) s->written(*f);
      }
      return result.seq;
    };
  }
}
