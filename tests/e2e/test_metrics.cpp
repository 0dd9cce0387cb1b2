// End-to-end: GET /metrics (contract section 14) against the real server:
// every family with its labels, the counts following what clients did
// (requests by type and result, publishes by way, deliveries and their
// latency, connections accepted, rejected and ended by reason), the
// per-topic families of --metrics-topics, authentication, and the page
// checked by promtool.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cstdlib>
#include <fstream>
#include <optional>

#include "e2e/harness.h"

using namespace pubsub::e2e;
namespace json = boost::json;
using Catch::Matchers::ContainsSubstring;

namespace {

double must(const std::string& page, const std::string& series) {
  const std::optional<double> value = metric_value(page, series);
  INFO(series);
  REQUIRE(value.has_value());
  return *value;
}

HttpResponse scrape(const ServerProcess& server, const Headers& headers = {}) {
  return http(server.port(), "GET", "/metrics", "", headers);
}

// promtool check metrics, fed `page`; returns its exit code and output.
ProcessResult promtool_check(const std::string& page) {
  const char* promtool = std::getenv("PROMTOOL");
  REQUIRE(promtool != nullptr);
  const std::string file = "/tmp/pubsub-e2e-metrics-" + std::to_string(::getpid()) + ".txt";
  std::ofstream(file) << page;
  ProcessResult r = run_program("/bin/sh", {"-c", std::string(promtool) + " check metrics < " + file});
  std::remove(file.c_str());
  return r;
}

}  // namespace

TEST_CASE("/metrics: every family of section 14, counting what the clients did, as promtool reads it") {
  ServerProcess server({"--heartbeat-interval", "0"});
  REQUIRE(create_topic(server.port(), "chat") == 201);
  WsClient subscriber(server.port());
  subscriber.subscribe("chat");
  WsClient publisher(server.port());
  constexpr int kPublishes = 20;
  for (int i = 0; i < kPublishes; ++i) publisher.publish("chat", i);
  const std::string body = json::serialize(json::object{{"id", uuid()}, {"payload", "by http"}});
  REQUIRE(http(server.port(), "POST", "/topics/chat/messages", body).status == 201);
  // Refused requests count under their error code.
  publisher.send_json(publish_request("nowhere", 1, std::string("r1")));
  CHECK(publisher.next().at("error").at("code") == "TOPIC_NOT_FOUND");
  publisher.send(R"({"type":"subscribe","topic":"bad name!"})");
  CHECK(publisher.next().at("error").at("code") == "BAD_REQUEST");
  publisher.send(R"({"type":"ping","request_id":"p"})");
  CHECK(publisher.next().at("type") == "pong");
  for (int i = 0; i < kPublishes + 1; ++i) CHECK(subscriber.next().at("type") == "event");

  const HttpResponse r = scrape(server);
  REQUIRE(r.status == 200);
  CHECK_THAT(r.headers.at("content-type"), ContainsSubstring("text/plain"));
  CHECK_THAT(r.headers.at("content-type"), ContainsSubstring("version=0.0.4"));
  const std::string& page = r.body;
  INFO(page);

  CHECK(must(page, R"(pubsub_connections{transport="websocket"})") == 2);
  CHECK(must(page, R"(pubsub_connections{transport="http"})") >= 1);  // this scrape's own
  CHECK(must(page, "pubsub_connections_accepted_total") >= 5);
  for (const char* reason : {"max_connections", "unauthorized", "forbidden_origin", "bad_request"}) {
    CHECK(must(page, std::string(R"(pubsub_connections_rejected_total{reason=")") + reason + "\"}") == 0);
  }
  for (const char* reason : {"client", "idle_timeout", "slow_consumer", "protocol_error", "message_too_big",
                             "invalid_utf8", "token_expired", "shutdown", "error"}) {
    CHECK(must(page, std::string(R"(pubsub_disconnects_total{reason=")") + reason + "\"}") == 0);
  }
  CHECK(must(page, "pubsub_topics") == 1);
  CHECK(must(page, "pubsub_subscriptions") == 1);
  CHECK(must(page, R"(pubsub_messages_published_total{via="websocket"})") == kPublishes);
  CHECK(must(page, R"(pubsub_messages_published_total{via="http"})") == 1);
  CHECK(must(page, "pubsub_messages_delivered_total") == kPublishes + 1);
  CHECK(must(page, "pubsub_messages_dropped_total") == 0);
  CHECK(must(page, "pubsub_acks_ahead_of_event_total") == 0);  // --engine redis only
  CHECK(must(page, R"(pubsub_requests_total{type="publish",result="ok"})") == kPublishes);
  CHECK(must(page, R"(pubsub_requests_total{type="publish",result="topic_not_found"})") == 1);
  CHECK(must(page, R"(pubsub_requests_total{type="subscribe",result="ok"})") == 1);
  CHECK(must(page, R"(pubsub_requests_total{type="subscribe",result="bad_request"})") == 1);
  CHECK(must(page, R"(pubsub_requests_total{type="ping",result="ok"})") == 1);
  CHECK(must(page, R"(pubsub_requests_total{type="unsubscribe",result="ok"})") == 0);
  // Every delivery was timed, each well under the 10 s bucket.
  CHECK(must(page, "pubsub_delivery_latency_seconds_count") == kPublishes + 1);
  CHECK(must(page, R"(pubsub_delivery_latency_seconds_bucket{le="10"})") == kPublishes + 1);
  CHECK(must(page, R"(pubsub_delivery_latency_seconds_bucket{le="+Inf"})") == kPublishes + 1);
  CHECK(must(page, "pubsub_delivery_latency_seconds_sum") > 0);
  CHECK(must(page, "pubsub_delivery_latency_seconds_sum") < kPublishes + 1);
  CHECK(must(page, "pubsub_outbound_queue_frames_count") >= 1);
  CHECK(must(page, "process_resident_memory_bytes") > 1e6);
  CHECK(must(page, "process_cpu_seconds_total") >= 0);
  CHECK(must(page, "process_open_fds") >= 5);
  CHECK(must(page, "process_start_time_seconds") > 1.7e9);
  // Without --metrics-topics, no topic label.
  CHECK_FALSE(metric_value(page, R"(pubsub_topic_subscriptions{topic="chat"})"));

  const ProcessResult checked = promtool_check(page);
  INFO(checked.out << checked.err);
  CHECK(checked.exit_code == 0);

  // Ended connections count by their reason.
  subscriber.close();
  publisher.abort();
  CHECK(eventually([&] {
    const std::string later = scrape(server).body;
    return metric_value(later, R"(pubsub_disconnects_total{reason="client"})") == 2.0 &&
           metric_value(later, R"(pubsub_connections{transport="websocket"})") == 0.0;
  }));
}

TEST_CASE("/metrics: refused connections by reason; the page needs the credentials other reads need") {
  ServerProcess server({"--heartbeat-interval", "0", "--api-key", "k3y", "--max-connections", "3", "--allowed-origins",
                        "https://app.example.com"});
  const Headers key = {{"X-API-Key", "k3y"}};
  CHECK(scrape(server).status == 401);
  CHECK(WsClient::try_connect(server.port(), "/ws") == 401);
  CHECK(WsClient::try_connect(server.port(), "/ws", {{"X-API-Key", "k3y"}, {"Origin", "https://evil.example"}}) == 403);
  CHECK(raw_http(server.port(),
                 "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Version: 13\r\nX-API-Key: k3y\r\n\r\n")
            .status == 400);
  // The refused connections above close asynchronously: until they have,
  // they hold slots, and a, b or c would be refused (and closed) instead.
  // /health counts its own connection.
  REQUIRE(eventually([&] {
    const HttpResponse health = http(server.port(), "GET", "/health");
    return health.status == 200 && health.json().at("connections") == 1;
  }));
  {
    TcpConnection a(server.port()), b(server.port()), c(server.port());
    CHECK(eventually([&] { return raw_http(server.port(), "GET /health HTTP/1.1\r\nHost: x\r\n\r\n").status == 503; }));
  }
  // a, b and c close asynchronously too: scrape once there is room.
  REQUIRE(eventually([&] { return http(server.port(), "GET", "/health").status == 200; }));
  const std::string page = scrape(server, key).body;
  INFO(page);
  CHECK(must(page, R"(pubsub_connections_rejected_total{reason="unauthorized"})") == 1);
  CHECK(must(page, R"(pubsub_connections_rejected_total{reason="forbidden_origin"})") == 1);
  CHECK(must(page, R"(pubsub_connections_rejected_total{reason="bad_request"})") == 1);
  CHECK(must(page, R"(pubsub_connections_rejected_total{reason="max_connections"})") >= 1);
}

TEST_CASE("/metrics with --metrics-topics: published, subscriptions and drops per topic") {
  ServerProcess server({"--heartbeat-interval", "0", "--metrics-topics", "true"});
  REQUIRE(create_topic(server.port(), "a.b") == 201);
  REQUIRE(create_topic(server.port(), "quiet") == 201);
  WsClient client(server.port());
  client.subscribe("a.b");
  client.publish("a.b", 1);
  client.publish("a.b", 2);
  const std::string page = scrape(server).body;
  INFO(page);
  CHECK(must(page, R"(pubsub_topic_messages_published_total{topic="a.b"})") == 2);
  CHECK(must(page, R"(pubsub_topic_messages_published_total{topic="quiet"})") == 0);
  CHECK(must(page, R"(pubsub_topic_subscriptions{topic="a.b"})") == 1);
  CHECK(must(page, R"(pubsub_topic_subscriptions{topic="quiet"})") == 0);
  CHECK(must(page, R"(pubsub_topic_messages_dropped_total{topic="a.b"})") == 0);
  const ProcessResult checked = promtool_check(page);
  INFO(checked.out << checked.err);
  CHECK(checked.exit_code == 0);
}

TEST_CASE("/metrics: drops under drop_oldest are counted") {
  ServerProcess server({"--heartbeat-interval", "0", "--max-queue", "5"});
  REQUIRE(create_topic(server.port(), "t") == 201);
  WsClient slow(server.port(), "/ws", {}, 4096);
  slow.subscribe("t");
  WsClient publisher(server.port());
  // Publishes in rounds of four (within the publisher's own queue bound),
  // until the stalled subscriber's socket buffers are full and its queue
  // drops.
  const boost::json::value big(std::string(60000, 'x'));
  for (int round = 0; round < 200; ++round) {
    for (int i = 0; i < 4; ++i) publisher.send_json(publish_request("t", big));
    for (int i = 0; i < 4; ++i) REQUIRE(publisher.next().at("type") == "ack");
  }
  CHECK(eventually([&] {
    const auto dropped = metric_value(scrape(server).body, "pubsub_messages_dropped_total");
    return dropped && *dropped > 0;
  }));
}
