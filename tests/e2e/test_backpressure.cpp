// End-to-end: bounded outbound queues under both overflow policies. A
// subscriber that stops reading while a publisher floods large payloads
// must not slow the publisher nor a healthy subscriber, and the server's
// memory must stay bounded.
#include <atomic>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <optional>
#include <thread>

#include "e2e/harness.h"

using namespace pubsub::e2e;
using Catch::Matchers::ContainsSubstring;
namespace json = boost::json;

namespace {

constexpr int kMessages = 2400;
constexpr std::size_t kPayloadBytes = 64 * 1024;  // 150 MiB published in all

struct FloodResult {
  std::chrono::steady_clock::duration first_quarter{}, last_quarter{};
  long peak_rss_growth_kib = 0;
};

// Publishes kMessages large payloads with a window of 4 unacknowledged
// publishes, sampling the server's memory as it goes.
FloodResult flood(ServerProcess& server, const std::string& topic) {
  WsClient pub(server.port());
  const std::string filler(kPayloadBytes, 'x');
  FloodResult result;
  long base_rss = server.rss_kib();
  auto start = std::chrono::steady_clock::now();
  auto quarter_start = start;
  int sent = 0, acked = 0;
  while (acked < kMessages) {
    while (sent < kMessages && sent - acked < 4) {
      pub.send_json(publish_request(topic, json::object{{"n", sent}, {"fill", filler}}));
      ++sent;
    }
    auto reply = pub.next(30s);
    REQUIRE(reply.at("type") == "ack");
    ++acked;
    if (acked % (kMessages / 4) == 0) {
      auto now = std::chrono::steady_clock::now();
      if (acked == kMessages / 4) result.first_quarter = now - quarter_start;
      if (acked == kMessages) result.last_quarter = now - quarter_start;
      quarter_start = now;
      result.peak_rss_growth_kib = std::max(result.peak_rss_growth_kib, server.rss_kib() - base_rss);
    }
  }
  return result;
}

}  // namespace

TEST_CASE("a stalled subscriber slows neither the publisher nor a healthy subscriber; memory stays bounded") {
  const std::string policy = GENERATE("drop_oldest", "disconnect");
  INFO("policy " << policy);
  ServerProcess server({"--backpressure", policy, "--max-queue", "1000", "--max-queue-bytes", std::to_string(4 << 20),
                        "--history-size", "10", "--threads", "2"});
  REQUIRE(create_topic(server.port(), "flood") == 201);

  WsClient stalled(server.port(), "/ws", {}, 4096);
  stalled.subscribe("flood");

  WsClient healthy(server.port());
  healthy.subscribe("flood");
  std::atomic<int> healthy_errors{0};
  TestThread reader([&](std::stop_token stop) {
    for (int expected = 1; expected <= kMessages && !stop.stop_requested(); ++expected) {
      auto event = healthy.next(30s);
      if (event.at("type") != "event" || event.at("seq").as_int64() != expected) {
        healthy_errors++;
        return;
      }
    }
  });

  // Under the disconnect policy the stalled subscriber starts reading as
  // soon as the server has given it up, while the flood goes on: the server
  // flushes SLOW_CONSUMER and the close within kFinalFlushTimeout (5 s), so
  // a client that waited for the end of the flood could find the
  // connection already cut.
  std::optional<json::object> stalled_error;
  int stalled_close = 0;
  std::optional<TestThread> stalled_reader;
  if (policy == "disconnect") {
    stalled_reader.emplace([&](std::stop_token stop) {
      auto deadline = std::chrono::steady_clock::now() + 60s;
      while (!stop.stop_requested() && std::chrono::steady_clock::now() < deadline) {
        auto stats = http(server.port(), "GET", "/stats").json().as_object();
        if (stats.at("slow_consumer_disconnects").as_int64() > 0) break;
        std::this_thread::sleep_for(20ms);
      }
      for (;;) {  // events, then SLOW_CONSUMER, then 1008
        auto m = stalled.next(30s);
        if (m.at("type") == "event") continue;
        stalled_error = m;
        break;
      }
      stalled_close = stalled.wait_closed();
    });
  }

  FloodResult result = flood(server, "flood");
  reader.join();
  if (stalled_reader) stalled_reader->join();
  CHECK(healthy_errors.load() == 0);

  // The publisher's acks kept their pace: the last quarter of the flood was
  // not much slower than the first (a blocked publisher would stall).
  auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  INFO("first quarter " << ms(result.first_quarter) << " ms, last quarter " << ms(result.last_quarter) << " ms");
  CHECK(ms(result.last_quarter) < 4 * ms(result.first_quarter) + 2000);

  // 150 MiB went through; the server held at most its queue bounds.
  INFO("peak RSS growth " << result.peak_rss_growth_kib << " KiB");
  CHECK(result.peak_rss_growth_kib < 64 * 1024);

  auto stats = http(server.port(), "GET", "/stats").json().as_object();
  if (policy == "drop_oldest") {
    std::int64_t dropped_total = stats.at("topics").at("flood").at("dropped").as_int64();
    CHECK(dropped_total > 0);
    CHECK(stats.at("slow_consumer_disconnects").as_int64() == 0);
    // The stalled subscriber now reads: every gap in seq is announced
    // exactly by a dropped info, and the newest event survived.
    std::int64_t last_seq = 0, announced = 0, pending = 0;
    while (last_seq < kMessages) {
      auto m = stalled.next(30s);
      if (m.at("type") == "info") {
        REQUIRE(m.at("msg") == "dropped");
        CHECK(m.at("topic") == "flood");
        pending = m.at("dropped").as_int64();
        announced += pending;
        continue;
      }
      REQUIRE(m.at("type") == "event");
      std::int64_t seq = m.at("seq").as_int64();
      CHECK(seq == last_seq + pending + 1);
      last_seq = seq;
      pending = 0;
    }
    CHECK(announced == dropped_total);
    CHECK(stalled.silent_for(200ms));
    std::string log = server.log();
    CHECK_THAT(log, ContainsSubstring("slow consumer: dropping"));
    CHECK(log.find("slow consumer: dropping") == log.rfind("slow consumer: dropping"));  // once
  } else {
    CHECK(stats.at("slow_consumer_disconnects").as_int64() == 1);
    CHECK(stats.at("topics").at("flood").at("subscribers").as_int64() == 1);
    // What the stalled subscriber read after its events.
    REQUIRE(stalled_error);
    INFO("stalled subscriber's last message " << json::serialize(*stalled_error));
    CHECK(stalled_error->at("type") == "error");
    CHECK(stalled_error->at("error").at("code") == "SLOW_CONSUMER");
    CHECK_FALSE(stalled_error->contains("request_id"));
    CHECK(stalled_close == 1008);
    std::string log = server.log();
    CHECK_THAT(log, ContainsSubstring("slow consumer: disconnecting"));
  }
}

TEST_CASE("the message bound holds for small events, and replies are never dropped") {
  ServerProcess server({"--max-queue", "10", "--history-size", "0"});
  REQUIRE(create_topic(server.port(), "small") == 201);
  WsClient stalled(server.port(), "/ws", {}, 4096);
  stalled.subscribe("small");
  // Requests from the stalled client itself: their replies must survive.
  for (int i = 0; i < 5; ++i) stalled.send(R"({"type":"ping","request_id":"p)" + std::to_string(i) + R"("})");
  WsClient pub(server.port());
  for (int i = 0; i < 3000; ++i) pub.send_json(publish_request("small", json::string(200, 'y')));
  for (int i = 0; i < 3000; ++i) REQUIRE(pub.next().at("type") == "ack");

  int pongs = 0, events = 0;
  std::int64_t dropped = 0, last_seq = 0;
  while (last_seq < 3000) {
    auto m = stalled.next();
    if (m.at("type") == "pong") ++pongs;
    if (m.at("type") == "info") dropped += m.at("dropped").as_int64();
    if (m.at("type") == "event") {
      ++events;
      last_seq = m.at("seq").as_int64();
    }
  }
  CHECK(pongs == 5);
  CHECK(events + dropped == 3000);
  CHECK(dropped > 0);
  auto topic = http(server.port(), "GET", "/topics/small").json();
  CHECK(topic.at("dropped").as_int64() == dropped);
}

TEST_CASE("a replay is not backpressure: last_n of a full history reaches a prompt reader under both policies") {
  const std::string policy = GENERATE("disconnect", "drop_oldest");
  INFO("policy " << policy);
  ServerProcess server({"--backpressure", policy, "--max-queue", "1000", "--history-size", "1000"});
  REQUIRE(create_topic(server.port(), "h") == 201);
  WsClient pub(server.port());
  for (int i = 1; i <= 1000; ++i) pub.send_json(publish_request("h", json::object{{"n", i}}));
  for (int i = 1; i <= 1000; ++i) REQUIRE(pub.next().at("type") == "ack");

  // The ack and 1000 replayed events: more frames than --max-queue at once.
  WsClient sub(server.port());
  sub.send(R"({"type":"subscribe","topic":"h","client_id":"c","last_n":1000,"request_id":"s"})");
  auto ack = sub.next();
  INFO(json::serialize(ack));
  REQUIRE(ack.at("type") == "ack");
  int in_order = 0;
  for (int seq = 1; seq <= 1000; ++seq) {
    auto m = sub.next(10s);
    if (m.at("type") != "event" || m.at("seq").as_int64() != seq || m.at("message").at("payload").at("n") != seq) {
      FAIL("event " << seq << " expected, got " << json::serialize(m));
    }
    ++in_order;
  }
  CHECK(in_order == 1000);
  CHECK(sub.silent_for(300ms));  // no SLOW_CONSUMER, no dropped info, no close
  sub.send(R"({"type":"ping","request_id":"after"})");
  CHECK(sub.next().at("type") == "pong");
  auto stats = http(server.port(), "GET", "/stats").json();
  CHECK(stats.at("slow_consumer_disconnects").as_int64() == 0);
  CHECK(stats.at("topics").at("h").at("dropped").as_int64() == 0);
}
