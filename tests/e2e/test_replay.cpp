// End-to-end: last_n replay (also racing a live publisher), history size,
// clamping, and topic deletion.
#include <atomic>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include "e2e/harness.h"

using namespace pubsub::e2e;
namespace json = boost::json;

namespace {

std::int64_t seq_of(const json::object& event) { return event.at("seq").as_int64(); }

}  // namespace

TEST_CASE("subscribe replays the newest last_n oldest first, after the ack, then live events") {
  ServerProcess server({"--threads", std::to_string(GENERATE(1, 2))});
  REQUIRE(create_topic(server.port(), "h") == 201);
  WsClient pub(server.port());
  for (int i = 1; i <= 10; ++i) pub.publish("h", i);

  WsClient sub(server.port());
  sub.send(R"({"type":"subscribe","topic":"h","client_id":"c","last_n":3,"request_id":"s"})");
  auto ack = sub.next();
  REQUIRE(ack.at("type") == "ack");
  for (int expected : {8, 9, 10}) {
    auto event = sub.next();
    CHECK(event.at("type") == "event");
    CHECK(seq_of(event) == expected);
    CHECK(event.at("message").at("payload").as_int64() == expected);
  }
  pub.publish("h", 11);
  CHECK(seq_of(sub.next()) == 11);
  CHECK(sub.silent_for(150ms));
}

TEST_CASE("last_n 0 or absent replays nothing; larger than the history is clamped") {
  ServerProcess server;
  REQUIRE(create_topic(server.port(), "h") == 201);
  WsClient pub(server.port());
  for (int i = 1; i <= 4; ++i) pub.publish("h", i);

  WsClient none(server.port()), zero(server.port()), many(server.port());
  none.subscribe("h");
  zero.subscribe("h", 0);
  CHECK(none.silent_for(150ms));
  CHECK(zero.silent_for(50ms));
  many.send(R"({"type":"subscribe","topic":"h","client_id":"c","last_n":1000000000000000000000})");
  REQUIRE(many.next().at("type") == "ack");
  for (int expected = 1; expected <= 4; ++expected) CHECK(seq_of(many.next()) == expected);
  CHECK(many.silent_for(150ms));
}

TEST_CASE("--history-size bounds the replay") {
  ServerProcess server({"--history-size", "5"});
  REQUIRE(create_topic(server.port(), "h") == 201);
  WsClient pub(server.port());
  for (int i = 1; i <= 12; ++i) pub.publish("h", i);
  WsClient sub(server.port());
  sub.subscribe("h", 100);
  for (int expected = 8; expected <= 12; ++expected) CHECK(seq_of(sub.next()) == expected);
  CHECK(sub.silent_for(150ms));

  ServerProcess no_history({"--history-size", "0"});
  REQUIRE(create_topic(no_history.port(), "h") == 201);
  WsClient pub0(no_history.port());
  pub0.publish("h", 1);
  WsClient sub0(no_history.port());
  sub0.subscribe("h", 10);
  CHECK(sub0.silent_for(150ms));
}

TEST_CASE("replay then live has no gap and no duplicate while another client publishes") {
  auto threads = GENERATE(1, 2, 4);
  ServerProcess server({"--threads", std::to_string(threads), "--history-size", "1000"});
  REQUIRE(create_topic(server.port(), "race") == 201);

  // Anchors keep every shard subscribed, so that events are in flight in
  // the new subscriber's shard while it subscribes.
  std::vector<WsClient> anchors;
  for (int i = 0; i < 2 * threads; ++i) {
    anchors.emplace_back(server.port());
    anchors.back().subscribe("race");
  }
  std::atomic<int> published{0};
  TestThread publisher([&](std::stop_token stop) {
    WsClient pub(server.port());
    // Fire without waiting for each ack, then collect acks, to keep the topic busy.
    while (!stop.stop_requested()) {
      for (int i = 0; i < 20; ++i) pub.send_json(publish_request("race", json::object{{"i", published.load() + i}}));
      for (int i = 0; i < 20; ++i) pub.next();
      published += 20;
    }
  });
  REQUIRE(eventually([&] { return published.load() >= 100; }));

  for (int round = 0; round < 20; ++round) {
    WsClient sub(server.port());
    sub.send(R"({"type":"subscribe","topic":"race","client_id":"c","last_n":50})");
    REQUIRE(sub.next().at("type") == "ack");
    std::int64_t previous = 0;
    for (int i = 0; i < 200; ++i) {
      auto event = sub.next();
      REQUIRE(event.at("type") == "event");
      std::int64_t seq = seq_of(event);
      if (previous != 0) REQUIRE(seq == previous + 1);
      previous = seq;
    }
  }
  publisher.request_stop();
  publisher.join();
}

TEST_CASE("deleting a topic tells its subscribers, ends their subscription and keeps them connected") {
  ServerProcess server({"--threads", std::to_string(GENERATE(1, 2))});
  REQUIRE(create_topic(server.port(), "gone") == 201);
  REQUIRE(create_topic(server.port(), "kept") == 201);
  WsClient sub(server.port()), pub(server.port());
  sub.subscribe("gone");
  sub.subscribe("kept");
  for (int i = 1; i <= 5; ++i) pub.send_json(publish_request("gone", i));
  for (int i = 1; i <= 5; ++i) REQUIRE(pub.next().at("type") == "ack");

  auto res = http(server.port(), "DELETE", "/topics/gone");
  REQUIRE(res.status == 200);
  CHECK(res.json() == json::parse(R"({"status":"deleted","topic":"gone"})"));

  // Events published before the deletion arrive before topic_deleted.
  for (int i = 1; i <= 5; ++i) CHECK(seq_of(sub.next()) == i);
  auto info = sub.next();
  CHECK(info.at("type") == "info");
  CHECK(info.at("msg") == "topic_deleted");
  CHECK(info.at("topic") == "gone");
  CHECK(info.contains("ts"));

  CHECK(eventually([&] { return health_subscribers(server.port()) == 1; }));
  pub.send_json(publish_request("gone", 1, "after"));
  auto error = pub.next();
  CHECK(error.at("error").at("code") == "TOPIC_NOT_FOUND");

  // Still connected and still subscribed to the other topic.
  pub.publish("kept", "k");
  CHECK(sub.next().at("topic") == "kept");

  // A re-created topic starts again: seq 1, no messages, no subscribers.
  REQUIRE(create_topic(server.port(), "gone") == 201);
  auto stats = http(server.port(), "GET", "/topics/gone").json();
  CHECK(stats.at("messages").as_int64() == 0);
  CHECK(stats.at("subscribers").as_int64() == 0);
  pub.publish("gone", "new");
  CHECK(sub.silent_for(150ms));
  sub.subscribe("gone", 10);
  auto replayed = sub.next();
  CHECK(seq_of(replayed) == 1);
  CHECK(replayed.at("message").at("payload") == "new");
}
