// End-to-end: the REST API and /health of several pubsubd nodes sharing
// their topics through Valkey (--engine redis, contract section 15). Each
// test starts private valkey-server processes and real pubsubd nodes, and
// checks over HTTP that the nodes answer as one server: topics created,
// published to and deleted on one node are so on the others, with one seq
// order and one epoch; that a Valkey that stops or does not answer makes
// REST answer 503 UNAVAILABLE and /health 503 degraded, within the command
// timeout, until it is back; that a node whose live feed alone is cut off
// is degraded too; and that topics spread over two servers.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "e2e/harness.h"
#include "redis/client.h"
#include "redis/server_process.h"

using namespace pubsub::e2e;
using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::StartsWith;
namespace json = boost::json;
using Valkey = pubsub::redis::testing::ServerProcess;
using pubsub::redis::testing::call;
using pubsub::redis::testing::info_field;
using pubsub::redis::testing::quick_options;
using pubsub::redis::testing::start_and_wait_up;
using pubsub::redis::testing::url_of;

namespace {

// I/O threads per node. Each has its own connections to Valkey, and the
// node hands connections to its threads in turn.
constexpr int kThreads = 2;

// A node's arguments: the servers in this order, and a short shutdown.
std::vector<std::string> node_args(const std::vector<const Valkey*>& servers, std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"--engine",           "redis", "--threads", std::to_string(kThreads),
                                   "--shutdown-timeout", "2"};
  for (const Valkey* server : servers) {
    args.push_back("--redis-url");
    args.push_back(server->url());
  }
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

std::string message_id(int n) {
  char id[40];
  std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", n);
  return id;
}

std::string message(int n) { return R"({"id":")" + message_id(n) + R"(","payload":{"n":)" + std::to_string(n) + "}}"; }

std::string batch(int first, int last) {
  std::string body = R"({"messages":[)";
  for (int n = first; n <= last; ++n) body += (n == first ? "" : ",") + message(n);
  return body + "]}";
}

json::object get_object(std::uint16_t port, const std::string& target, int status = 200) {
  const HttpResponse res = http(port, "GET", target);
  INFO(target << " -> " << res.body);
  REQUIRE(res.status == status);
  return res.json().as_object();
}

std::string error_code(const HttpResponse& res) {
  INFO(res.body);
  return std::string(res.json().at("error").at("code").as_string());
}

// Waits until every node has connected to its servers, as a balancer
// waits for /health before it sends a node requests.
void wait_until_up(std::initializer_list<const ServerProcess*> nodes) {
  for (const ServerProcess* node : nodes) REQUIRE(health_is(node->port(), 200, kThreads));
}

// One Valkey and two nodes sharing it, both connected: A creates missing
// topics when publishing (--auto-create-topics), B does not.
struct TwoNodes {
  TwoNodes() { wait_until_up({&a, &b}); }

  Valkey valkey;
  ServerProcess a{node_args({&valkey}, {"--auto-create-topics", "true"})};
  ServerProcess b{node_args({&valkey})};
};

// The topics whose keys a Valkey server holds, read with KEYS.
std::set<std::string> topics_kept_by(const Valkey& server) {
  boost::asio::io_context io;
  pubsub::redis::Client client(io, url_of(server.url()), quick_options());
  start_and_wait_up(io, client);
  const pubsub::redis::Reply reply = call(io, client, {"KEYS", "pubsub:{*}:meta"});
  REQUIRE(reply.kind == pubsub::redis::ReplyKind::array);
  std::set<std::string> topics;
  for (const auto& key : reply.elements) {
    const std::size_t open = key.text.find('{');
    const std::size_t close = key.text.rfind('}');
    topics.insert(key.text.substr(open + 1, close - open - 1));
  }
  return topics;
}

}  // namespace

TEST_CASE("two nodes answer REST as one server: topics, seqs, epochs and histories are shared",
          "[rest][redis][cluster]") {
  TwoNodes nodes;
  ServerProcess& a = nodes.a;
  ServerProcess& b = nodes.b;

  // Created on A: B lists it and shows the same life of it.
  REQUIRE(http(a.port(), "POST", "/topics", R"({"name":"orders"})").status == 201);
  const json::object listed = get_object(b.port(), "/topics");
  CHECK(listed.at("topics") == json::parse(R"([{"name":"orders","subscribers":0}])"));
  CHECK(listed.at("engine") == "redis");
  const json::object on_a = get_object(a.port(), "/topics/orders");
  const json::object on_b = get_object(b.port(), "/topics/orders");
  CHECK(on_b.at("name") == "orders");
  CHECK(on_b.at("seq").as_int64() == 0);
  CHECK(on_b.at("messages").as_int64() == 0);
  const json::string epoch = on_a.at("epoch").as_string();
  CHECK(on_b.at("epoch") == epoch);
  // Created twice, on the other node: 409.
  const HttpResponse again = http(b.port(), "POST", "/topics", R"({"name":"orders"})");
  CHECK(again.status == 409);
  CHECK(error_code(again) == "TOPIC_EXISTS");

  // Published on A, one and a batch, then on B: one seq order.
  const HttpResponse one = http(a.port(), "POST", "/topics/orders/messages", message(1));
  CHECK(one.status == 201);
  CHECK(one.json() == json::parse(R"({"status":"published","topic":"orders","seq":1})"));
  const HttpResponse three = http(a.port(), "POST", "/topics/orders/messages:batch", batch(2, 3));
  CHECK(three.status == 201);
  CHECK(three.json() == json::parse(R"({"status":"published","topic":"orders","first_seq":2,"last_seq":3})"));
  const HttpResponse fourth = http(b.port(), "POST", "/topics/orders/messages", message(4));
  CHECK(fourth.status == 201);
  CHECK(fourth.json().at("seq").as_int64() == 4);
  // /metrics counts what each node published itself.
  const HttpResponse metrics_a = http(a.port(), "GET", "/metrics");
  CHECK(metrics_a.status == 200);
  CHECK_THAT(metrics_a.body, ContainsSubstring("pubsub_messages_published_total{via=\"http\"} 3\n"));
  CHECK_THAT(http(b.port(), "GET", "/metrics").body,
             ContainsSubstring("pubsub_messages_published_total{via=\"http\"} 1\n"));

  // B reads the history A and B wrote, ids and payloads as sent.
  const json::object history = get_object(b.port(), "/topics/orders/messages");
  CHECK(history.at("topic") == "orders");
  CHECK(history.at("epoch") == epoch);
  CHECK(history.at("seq").as_int64() == 4);
  const json::array& messages = history.at("messages").as_array();
  REQUIRE(messages.size() == 4);
  for (int n = 1; n <= 4; ++n) {
    const json::object& m = messages[n - 1].as_object();
    CHECK(m.at("seq").as_int64() == n);
    CHECK(m.at("id").as_string() == message_id(n));
    CHECK(m.at("payload") == json::parse(R"({"n":)" + std::to_string(n) + "}"));
    CHECK(m.at("ts").is_string());
  }
  const json::object page = get_object(a.port(), "/topics/orders/messages?since_seq=1&limit=2");
  REQUIRE(page.at("messages").as_array().size() == 2);
  CHECK(page.at("messages").as_array()[0].at("seq").as_int64() == 2);
  CHECK(page.at("messages").as_array()[1].at("seq").as_int64() == 3);
  CHECK(http(a.port(), "GET", "/topics/orders/messages?limit=0").status == 400);

  // The position on either node; /stats says which figures are whose.
  CHECK(get_object(a.port(), "/topics/orders").at("seq").as_int64() == 4);
  const json::object stats = get_object(b.port(), "/stats");
  CHECK(stats.at("engine") == "redis");
  const json::object& counters = stats.at("topics").at("orders").as_object();
  CHECK(counters.at("messages").as_int64() == 4);
  CHECK(counters.at("seq").as_int64() == 4);
  CHECK(counters.at("epoch") == epoch);
  CHECK(stats.at("scope").at("node").as_array().size() > 0);

  // Deleted on B: gone on A.
  const HttpResponse deleted = http(b.port(), "DELETE", "/topics/orders");
  CHECK(deleted.status == 200);
  CHECK(deleted.json() == json::parse(R"({"status":"deleted","topic":"orders"})"));
  for (const std::string target : {"/topics/orders", "/topics/orders/messages"}) {
    const HttpResponse gone = http(a.port(), "GET", target);
    CHECK(gone.status == 404);
    CHECK(error_code(gone) == "TOPIC_NOT_FOUND");
  }
  CHECK(http(a.port(), "DELETE", "/topics/orders").status == 404);
  CHECK(http(b.port(), "POST", "/topics/orders/messages", message(5)).status == 404);
  CHECK(get_object(a.port(), "/topics").at("topics").as_array().empty());

  // A, with --auto-create-topics, publishes it into a new life that B sees.
  CHECK(http(a.port(), "POST", "/topics/orders/messages", message(6)).json().at("seq").as_int64() == 1);
  const json::object reborn = get_object(b.port(), "/topics/orders");
  CHECK(reborn.at("seq").as_int64() == 1);
  CHECK(reborn.at("epoch") != epoch);

  for (const ServerProcess* node : {&a, &b}) {
    const json::object health = get_object(node->port(), "/health");
    CHECK(health.at("status") == "ok");
    CHECK(health.at("engine") == "redis");
    CHECK(health.at("redis").at("servers_up").as_int64() == 1);
    CHECK(health.at("redis").at("down").as_array().empty());
  }
}

TEST_CASE("Valkey stopped: REST answers 503 UNAVAILABLE and /health degraded until it is back",
          "[rest][redis][cluster]") {
  TwoNodes nodes;
  Valkey& valkey = nodes.valkey;
  ServerProcess& a = nodes.a;
  ServerProcess& b = nodes.b;
  REQUIRE(http(a.port(), "POST", "/topics", R"({"name":"t"})").status == 201);

  valkey.kill();
  // Both nodes notice; a publish is refused at once, never hangs.
  for (const ServerProcess* node : {&a, &b}) {
    CHECK(eventually([&] { return http(node->port(), "POST", "/topics/t/messages", message(1)).status == 503; }, 5s));
    const auto started = std::chrono::steady_clock::now();
    const HttpResponse refused = http(node->port(), "POST", "/topics/t/messages", message(1));
    CHECK(std::chrono::steady_clock::now() - started < 3s);
    CHECK(refused.status == 503);
    CHECK(error_code(refused) == "UNAVAILABLE");
    CHECK_THAT(refused.body, ContainsSubstring("Valkey/Redis is unreachable"));
    CHECK(http(node->port(), "GET", "/topics").status == 503);
    CHECK(health_is(node->port(), 503, kThreads));
    const json::object health = get_object(node->port(), "/health", 503);
    CHECK(health.at("status") == "degraded");
    const json::array& down = health.at("redis").at("down").as_array();
    REQUIRE(down.size() == 1);
    CHECK(down[0].at("endpoint").as_string() == "127.0.0.1:" + std::to_string(valkey.port()));
  }

  // Back on the same port (empty): the nodes reconnect by themselves.
  valkey.restart();
  for (const ServerProcess* node : {&a, &b}) {
    CHECK(health_is(node->port(), 200, kThreads));
    CHECK(get_object(node->port(), "/health").at("status") == "ok");
  }
  CHECK(http(a.port(), "POST", "/topics/t/messages", message(2)).status == 201);  // created anew
  const HttpResponse on_b = http(b.port(), "POST", "/topics/t/messages", message(3));
  CHECK(on_b.status == 201);
  CHECK(on_b.json().at("seq").as_int64() == 2);
}

TEST_CASE("Valkey not answering: a REST call is 503 within the command timeout", "[rest][redis][cluster]") {
  Valkey valkey;
  ServerProcess a(node_args({&valkey}));
  wait_until_up({&a});
  REQUIRE(http(a.port(), "POST", "/topics", R"({"name":"t"})").status == 201);

  valkey.pause();  // connections stay open; nothing is answered
  const auto started = std::chrono::steady_clock::now();
  const HttpResponse refused = http(a.port(), "POST", "/topics/t/messages", message(1));
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(refused.status == 503);
  CHECK(error_code(refused) == "UNAVAILABLE");
  CHECK(took < 5s);  // the command timeout is 2 s
  CHECK(health_is(a.port(), 503, kThreads));

  valkey.resume();
  CHECK(health_is(a.port(), 200, kThreads));
  CHECK(eventually([&] { return http(a.port(), "POST", "/topics/t/messages", message(2)).status == 201; }, 10s));
}

TEST_CASE("the live feed lost while the node's other connections stay: /health degraded naming it until it is back",
          "[rest][redis][cluster]") {
  Valkey valkey;
  ServerProcess node(node_args({&valkey}));
  wait_until_up({&node});
  // A subscriber on the node: its live feed listens to the topic, on the
  // node's one pub/sub connection to Valkey.
  REQUIRE(http(node.port(), "POST", "/topics", R"({"name":"t"})").status == 201);
  WsClient subscriber(node.port());
  subscriber.subscribe("t");
  // One connection to Valkey, kept open: a new one may be refused below.
  boost::asio::io_context io;
  pubsub::redis::Client console(io, url_of(valkey.url()), quick_options());
  start_and_wait_up(io, console);
  const std::string listeners = call(io, console, {"CLIENT", "LIST", "TYPE", "pubsub"}).text;
  REQUIRE(std::count(listeners.begin(), listeners.end(), '\n') == 1);

  // In one transaction: the feed's connection is closed, and no new
  // connection is let in, so the feed cannot come back while the node's
  // other connections (and this one) stay.
  const std::string others =
      std::to_string(info_field(call(io, console, {"INFO", "clients"}).text, "connected_clients") - 1);
  call(io, console, {"MULTI"});
  call(io, console, {"CLIENT", "KILL", "TYPE", "pubsub"});
  call(io, console, {"CONFIG", "SET", "maxclients", others});
  const pubsub::redis::Reply done = call(io, console, {"EXEC"});
  INFO(done.text);
  REQUIRE(done.kind == pubsub::redis::ReplyKind::array);
  REQUIRE(done.elements.size() == 2);
  CHECK(done.elements[0].integer == 1);

  CHECK(health_is(node.port(), 503, kThreads));
  const json::object health = get_object(node.port(), "/health", 503);
  CHECK(health.at("status") == "degraded");
  CHECK(health.at("redis").at("servers_up").as_int64() == 0);
  const json::array& down = health.at("redis").at("down").as_array();
  REQUIRE(down.size() == 1);
  CHECK(down[0].at("endpoint").as_string() == "127.0.0.1:" + std::to_string(valkey.port()));
  CHECK_THAT(std::string(down[0].at("error").as_string()), StartsWith("live feed: "));
  // The node's own connections still answer: what needs no live feed works.
  CHECK(http(node.port(), "POST", "/topics", R"({"name":"u"})").status == 201);

  // Let connections in again: the feed reconnects by itself.
  REQUIRE(call(io, console, {"CONFIG", "SET", "maxclients", "10000"}).text == "OK");
  CHECK(health_is(node.port(), 200, kThreads, 10s));
  CHECK(get_object(node.port(), "/health").at("redis").at("down").as_array().empty());
  // And the subscriber gets the topic's events again.
  REQUIRE(http(node.port(), "POST", "/topics/t/messages", message(1)).status == 201);
  json::object event = subscriber.next();
  INFO(json::serialize(event));
  CHECK(event["type"] == "event");
  CHECK(event["seq"] == 1);
}

TEST_CASE("two Valkey servers: topics created on one node are listed by the other and spread over both",
          "[rest][redis][cluster]") {
  Valkey first;
  Valkey second;
  ServerProcess a(node_args({&first, &second}));
  ServerProcess b(node_args({&first, &second}));
  wait_until_up({&a, &b});

  std::set<std::string> created;
  for (int i = 0; i < 40; ++i) {
    const std::string name = "topic-" + std::to_string(i);
    REQUIRE(http(a.port(), "POST", "/topics", R"({"name":")" + name + R"("})").status == 201);
    created.insert(name);
  }
  std::set<std::string> listed;
  const json::object list = get_object(b.port(), "/topics");
  for (const json::value& topic : list.at("topics").as_array()) {
    listed.insert(std::string(topic.at("name").as_string()));
  }
  CHECK(listed == created);
  CHECK(get_object(b.port(), "/stats").at("topics").as_object().size() == 40);

  // Each topic lives on one server, and both servers hold some.
  const std::set<std::string> on_first = topics_kept_by(first);
  const std::set<std::string> on_second = topics_kept_by(second);
  CHECK(on_first.size() > 0);
  CHECK(on_second.size() > 0);
  CHECK(on_first.size() + on_second.size() == 40);
  std::set<std::string> both = on_first;
  both.insert(on_second.begin(), on_second.end());
  CHECK(both == created);

  // A publish on B lands on the topic's server, seen from A.
  REQUIRE(http(b.port(), "POST", "/topics/topic-7/messages", message(1)).status == 201);
  CHECK(get_object(a.port(), "/topics/topic-7").at("seq").as_int64() == 1);

  // One server down: its topics answer 503, the other's still work.
  const std::string lost = *on_second.begin();
  const std::string kept = *on_first.begin();
  second.kill();
  CHECK(eventually([&] { return http(a.port(), "GET", "/topics/" + lost).status == 503; }, 5s));
  CHECK(http(a.port(), "GET", "/topics/" + kept).status == 200);
  CHECK(health_is(a.port(), 503, kThreads));
  const json::object health = get_object(a.port(), "/health", 503);
  CHECK(health.at("redis").at("servers").as_int64() == 2);
  CHECK(health.at("redis").at("servers_up").as_int64() == 1);
  CHECK(health.at("redis").at("down").at(0).at("endpoint").as_string() == "127.0.0.1:" + std::to_string(second.port()));
}
