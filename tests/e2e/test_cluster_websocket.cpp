// Several pubsubd nodes as one through Valkey (contract section 15), over
// WebSocket: each test starts a private valkey-server and two or three
// real pubsubd processes with --engine redis, and checks what clients
// spread over the nodes see: one seq order and one epoch per topic,
// resumes and replays on another node than the one a client left, the
// deletion reaching every node, Valkey restarted empty, UNAVAILABLE while
// Valkey does not answer, and gaps of a node's live feed filled from the
// history or announced with their exact count; and a publisher that holds
// its topic getting its own event before the ack (or, while the node's
// live feed lags, the ack after 1 s, counted in /metrics).
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <csignal>
#include <set>
#include <string>
#include <vector>

#include "e2e/harness.h"
#include "e2e/holding_proxy.h"
#include "redis/server_process.h"

using namespace pubsub::e2e;
namespace json = boost::json;
using Valkey = pubsub::redis::testing::ServerProcess;

namespace {

std::vector<std::string> node_args(const std::string& redis_url, std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"--engine", "redis", "--redis-url", redis_url, "--auto-create-topics", "true"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// A node started with node_args and ready: its live feed is connected
// (its log says so) and /health answers 200, so every I/O thread reached
// Valkey. Until then a subscribe may get UNAVAILABLE, as while Valkey is
// out of reach.
class Node : public ServerProcess {
 public:
  explicit Node(const Valkey& valkey, std::vector<std::string> more = {}) : Node(valkey.url(), std::move(more)) {}
  // Reaches Valkey/Redis at `redis_url` (through a proxy, say).
  explicit Node(const std::string& redis_url, std::vector<std::string> more = {})
      : ServerProcess(node_args(redis_url, std::move(more))) {
    const auto started = std::chrono::steady_clock::now();
    REQUIRE(eventually([&] { return log().find("live feed connected") != std::string::npos; }, 10s));
    const auto spent =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    REQUIRE(health_is(port(), 200, 6, 10s - spent));  // both within 10 s
  }
};

// Sends a subscribe and returns its answer, an ack or an error.
json::object subscribe_answer(WsClient& client, const std::string& topic, const json::object& extra) {
  json::object request = {
      {"type", "subscribe"}, {"topic", topic}, {"client_id", "c-" + topic}, {"request_id", "s-" + topic}};
  for (const auto& [key, value] : extra) request[key] = value;
  client.send_json(request);
  return client.next_skipping_heartbeats();
}

json::object subscribe(WsClient& client, const std::string& topic, const json::object& extra = {}) {
  json::object ack = subscribe_answer(client, topic, extra);
  INFO(json::serialize(ack));
  REQUIRE(ack["type"] == "ack");
  return ack;
}

// A subscribe to a topic the node does not hold, soon after Valkey came
// back: until the node's live feed is back too it answers UNAVAILABLE
// ("try again"), which is retried for up to 10 s, as a client would.
json::object subscribe_once_back(WsClient& client, const std::string& topic, const json::object& extra) {
  json::object ack;
  for (int attempt = 0; attempt < 100; ++attempt) {
    ack = subscribe_answer(client, topic, extra);
    if (ack["type"] != "error" || ack["error"].at("code") != "UNAVAILABLE") break;
    std::this_thread::sleep_for(100ms);
  }
  INFO(json::serialize(ack));
  REQUIRE(ack["type"] == "ack");
  return ack;
}

std::string message_id(int n) {
  char id[40];
  std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", n);
  return id;
}

json::object publish(WsClient& client, const std::string& topic, int n) {
  client.send_json({{"type", "publish"},
                    {"topic", topic},
                    {"request_id", "p-" + std::to_string(n)},
                    {"message", {{"id", message_id(n)}, {"payload", {{"n", n}}}}}});
  return client.next_skipping_heartbeats();
}

// Publishes message `n` until it is acknowledged (up to 10 s), while the
// nodes reconnect to a Valkey that was away; fails if it never is.
json::object publish_once_back(WsClient& client, const std::string& topic, int n) {
  json::object ack;
  for (int attempt = 0; attempt < 100; ++attempt) {
    ack = publish(client, topic, n);
    if (ack["type"] == "ack") break;
    std::this_thread::sleep_for(100ms);
  }
  INFO(json::serialize(ack));
  REQUIRE(ack["type"] == "ack");
  return ack;
}

// Reads events of `topic` until `count` arrived; fails on anything else.
std::vector<json::object> events(WsClient& client, std::size_t count) {
  std::vector<json::object> out;
  while (out.size() < count) {
    json::object frame = client.next_skipping_heartbeats();
    INFO(json::serialize(frame));
    REQUIRE(frame["type"] == "event");
    out.push_back(std::move(frame));
  }
  return out;
}

std::uint64_t seq_of(const json::object& frame) { return frame.at("seq").to_number<std::uint64_t>(); }

// Sends one inline command to Valkey and returns its first reply line.
std::string valkey_command(std::uint16_t port, const std::string& command) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  const std::string line = command + "\r\n";
  REQUIRE(::send(fd, line.data(), line.size(), 0) == static_cast<ssize_t>(line.size()));
  char buffer[512];
  const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
  ::close(fd);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace

TEST_CASE("a publish on any node reaches subscribers on every node once, in one seq order and one epoch",
          "[cluster][websocket]") {
  Valkey valkey;
  Node a(valkey);
  Node b(valkey);
  WsClient sub_a(a.port());
  WsClient sub_b(b.port());
  json::object ack_a = subscribe(sub_a, "orders");
  json::object ack_b = subscribe(sub_b, "orders");
  CHECK(ack_a["epoch"] == ack_b["epoch"]);
  CHECK(ack_a["seq"] == 0);

  WsClient pub_a(a.port());
  WsClient pub_b(b.port());
  // Publishes from both nodes, interleaved; each ack carries the next seq.
  std::set<std::uint64_t> acked;
  for (int n = 1; n <= 40; ++n) {
    json::object ack = publish(n % 2 ? pub_a : pub_b, "orders", n);
    INFO(json::serialize(ack));
    REQUIRE(ack["type"] == "ack");
    acked.insert(seq_of(ack));
  }
  CHECK(acked.size() == 40);
  CHECK(*acked.begin() == 1);
  CHECK(*acked.rbegin() == 40);
  for (WsClient* sub : {&sub_a, &sub_b}) {
    const std::vector<json::object> got = events(*sub, 40);
    for (std::size_t i = 0; i < got.size(); ++i) {
      CHECK(seq_of(got[i]) == i + 1);
      CHECK(got[i].at("topic") == "orders");
      // Published in this order: seq i + 1 is message i + 1.
      CHECK(got[i].at("message").at("id").as_string() == message_id(static_cast<int>(i) + 1));
    }
    CHECK(sub->silent_for(300ms));
  }
}

TEST_CASE("a publisher that holds its topic gets each of its events before the ack, as with one node",
          "[cluster][websocket][order]") {
  Valkey valkey;
  Node node(valkey, {"--threads", "2"});
  // Two publishers: connections are spread over the I/O threads, so one
  // of them is not on the thread that takes in the node's live feed.
  WsClient first(node.port());
  WsClient second(node.port());
  constexpr int kPerPublisher = 150;
  for (WsClient* client : {&first, &second}) subscribe(*client, "own");
  for (int n = 0; n < kPerPublisher; ++n) {
    for (int p = 0; p < 2; ++p) {
      const int id = 1 + 2 * n + p;
      (p == 0 ? first : second)
          .send_json({{"type", "publish"},
                      {"topic", "own"},
                      {"request_id", "p-" + std::to_string(id)},
                      {"message", {{"id", message_id(id)}, {"payload", {{"n", id}}}}}});
    }
  }
  for (WsClient* client : {&first, &second}) {
    std::set<std::uint64_t> seen;  // the events so far
    int acks = 0;
    while (acks < kPerPublisher) {
      json::object frame = client->next_skipping_heartbeats();
      INFO(json::serialize(frame));
      if (frame["type"] == "event") {
        seen.insert(seq_of(frame));
        continue;
      }
      REQUIRE(frame["type"] == "ack");
      CHECK(seen.contains(seq_of(frame)));  // its own event came first
      ++acks;
    }
  }
  // Each ack went as its event came, none at the deadline ahead of it.
  const std::string page = http(node.port(), "GET", "/metrics").body;
  CHECK(metric_value(page, "pubsub_acks_ahead_of_event_total") == 0.0);
}

TEST_CASE("while a node's live feed lags, an ack waits 1 s for its event, then goes ahead of it and is counted",
          "[cluster][websocket][order]") {
  Valkey valkey;
  HoldingProxy proxy(valkey.port());  // the node's connections go through it
  Node node(proxy.url());
  WsClient client(node.port());
  subscribe(client, "own");
  const auto acks_ahead = [&] {
    return metric_value(http(node.port(), "GET", "/metrics").body, "pubsub_acks_ahead_of_event_total");
  };

  // The feed flows: the event, then the ack.
  json::object first = publish(client, "own", 1);
  INFO(json::serialize(first));
  CHECK(first["type"] == "event");
  CHECK(client.next_skipping_heartbeats()["type"] == "ack");

  // Valkey answers the publish, but the event waits in the held feed: the
  // ack goes at its deadline, ahead of it.
  proxy.hold_subscribers(true);
  json::object ack = publish(client, "own", 2);
  INFO(json::serialize(ack));
  REQUIRE(ack["type"] == "ack");
  CHECK(seq_of(ack) == 2);
  CHECK(acks_ahead() == 1.0);

  // The feed is back: the event follows, and nothing else is counted.
  proxy.hold_subscribers(false);
  CHECK(seq_of(events(client, 1).front()) == 2);
  json::object last = publish(client, "own", 3);
  CHECK(last["type"] == "event");
  CHECK(client.next_skipping_heartbeats()["type"] == "ack");
  CHECK(acks_ahead() == 1.0);
}

TEST_CASE("a client resumes and replays on another node than the one it left", "[cluster][websocket]") {
  Valkey valkey;
  Node a(valkey);
  Node b(valkey);
  std::string epoch;
  {
    WsClient sub(a.port());
    epoch = json::value_to<std::string>(subscribe(sub, "chat")["epoch"]);
    WsClient pub(a.port());
    for (int n = 1; n <= 5; ++n) REQUIRE(publish(pub, "chat", n)["type"] == "ack");
    CHECK(seq_of(events(sub, 5).back()) == 5);
  }
  // Published while the client is away, on the other node.
  WsClient pub(b.port());
  for (int n = 6; n <= 9; ++n) REQUIRE(publish(pub, "chat", n)["type"] == "ack");

  WsClient back(b.port());
  json::object ack = subscribe(back, "chat", {{"since_seq", 5}, {"epoch", epoch}});
  CHECK(ack["recovered"] == true);
  CHECK(ack["epoch"].as_string() == epoch);
  CHECK(ack["seq"] == 9);
  std::vector<json::object> missed = events(back, 4);
  for (std::size_t i = 0; i < missed.size(); ++i) CHECK(seq_of(missed[i]) == 6 + i);
  // And live after it.
  REQUIRE(publish(pub, "chat", 10)["type"] == "ack");
  CHECK(seq_of(events(back, 1).front()) == 10);

  // A third client replays the newest three on node A.
  WsClient replay(a.port());
  subscribe(replay, "chat", {{"last_n", 3}});
  std::vector<json::object> newest = events(replay, 3);
  CHECK(seq_of(newest.front()) == 8);
  CHECK(seq_of(newest.back()) == 10);

  // A resume from another epoch is not recovered.
  WsClient stale(a.port());
  CHECK(subscribe(stale, "chat", {{"since_seq", 3}, {"epoch", "AAAAAAAAAAA"}})["recovered"] == false);
}

TEST_CASE("a node killed with SIGKILL: its clients resume on another node without loss", "[cluster][websocket]") {
  Valkey valkey;
  Node a(valkey);
  Node b(valkey);
  auto doomed = std::make_unique<Node>(valkey);
  WsClient sub(doomed->port());
  const std::string epoch = json::value_to<std::string>(subscribe(sub, "sensors")["epoch"]);
  WsClient witness(b.port());
  subscribe(witness, "sensors");
  WsClient pub(a.port());
  for (int n = 1; n <= 3; ++n) REQUIRE(publish(pub, "sensors", n)["type"] == "ack");
  CHECK(seq_of(events(sub, 3).back()) == 3);

  CHECK(doomed->stop(SIGKILL) == 128 + SIGKILL);
  for (int n = 4; n <= 6; ++n) REQUIRE(publish(pub, "sensors", n)["type"] == "ack");
  // The other nodes are unaffected.
  CHECK(seq_of(events(witness, 6).back()) == 6);
  WsClient resumed(b.port());
  CHECK(subscribe(resumed, "sensors", {{"since_seq", 3}, {"epoch", epoch}})["recovered"] == true);
  std::vector<json::object> missed = events(resumed, 3);
  CHECK(seq_of(missed.front()) == 4);
  CHECK(seq_of(missed.back()) == 6);
}

TEST_CASE("a subscribe refused at --max-subscriptions creates no topic in Valkey", "[cluster][websocket][limits]") {
  Valkey valkey;
  Node node(valkey, {"--max-subscriptions", "1"});
  WsClient client(node.port());
  subscribe(client, "held");
  for (const std::string topic : {"x0", "x1"}) {
    json::object refused = subscribe_answer(client, topic, {});
    INFO(json::serialize(refused));
    CHECK(refused["type"] == "error");
    CHECK(refused["error"].at("code") == "LIMIT_EXCEEDED");
    CHECK(http(node.port(), "GET", "/topics/" + topic).status == 404);
  }
  CHECK(subscribe_answer(client, "held", {})["type"] == "ack");  // held already: no more
}

TEST_CASE("a topic deleted on one node ends its subscriptions on every node", "[cluster][websocket]") {
  Valkey valkey;
  Node a(valkey);
  Node b(valkey);
  WsClient sub_a(a.port());
  WsClient sub_b(b.port());
  subscribe(sub_a, "rooms.1");
  subscribe(sub_b, "rooms.1");
  WsClient pub(a.port());
  REQUIRE(publish(pub, "rooms.1", 1)["type"] == "ack");
  events(sub_a, 1);
  events(sub_b, 1);
  REQUIRE(http(b.port(), "DELETE", "/topics/rooms.1").status == 200);
  for (WsClient* sub : {&sub_a, &sub_b}) {
    json::object info = sub->next_skipping_heartbeats();
    INFO(json::serialize(info));
    CHECK(info["type"] == "info");
    CHECK(info["topic"] == "rooms.1");
    CHECK(info["msg"] == "topic_deleted");
  }
}

TEST_CASE("Valkey restarted empty: the topic ends on every node that held it; a resume afterwards is not recovered",
          "[cluster][websocket][faults]") {
  Valkey valkey;
  Node a(valkey);
  Node b(valkey);
  WsClient sub(b.port());
  const std::string epoch = json::value_to<std::string>(subscribe(sub, "orders")["epoch"]);
  WsClient pub(a.port());
  for (int n = 1; n <= 3; ++n) REQUIRE(publish(pub, "orders", n)["type"] == "ack");
  CHECK(seq_of(events(sub, 3).back()) == 3);

  valkey.restart();  // same port, no data
  // Node B finds the topic gone once its feed is back, and says so.
  json::object ended = sub.next_skipping_heartbeats(20s);
  INFO(json::serialize(ended));
  CHECK(ended["type"] == "info");
  CHECK(ended["msg"] == "topic_deleted");
  CHECK(ended["topic"] == "orders");

  // Published again, the topic is made anew: seq 1, another epoch; a
  // resume from the old epoch gets recovered:false.
  json::object ack = publish_once_back(pub, "orders", 4);
  CHECK(seq_of(ack) == 1);
  WsClient back(a.port());
  json::object resumed = subscribe_once_back(back, "orders", {{"since_seq", 3}, {"epoch", epoch}});
  CHECK(resumed["recovered"] == false);
  CHECK(resumed["epoch"].as_string() != epoch);
  CHECK(resumed["seq"] == 1);
}

TEST_CASE("while Valkey does not answer a publish gets UNAVAILABLE; afterwards everything flows again",
          "[cluster][websocket][faults]") {
  Valkey valkey;
  Node a(valkey);
  Node b(valkey);
  WsClient sub(b.port());
  subscribe(sub, "alerts");
  WsClient pub(a.port());
  REQUIRE(publish(pub, "alerts", 1)["type"] == "ack");
  CHECK(seq_of(events(sub, 1).front()) == 1);

  valkey.pause();
  const auto asked = std::chrono::steady_clock::now();
  json::object refused = publish(pub, "alerts", 2);
  INFO(json::serialize(refused));
  CHECK(refused["type"] == "error");
  CHECK(refused["error"].at("code") == "UNAVAILABLE");
  CHECK(refused["request_id"] == "p-2");
  CHECK(std::chrono::steady_clock::now() - asked < 10s);  // answered, not hung

  // A subscribe that needs Valkey (a topic the node does not hold yet) gets
  // UNAVAILABLE too, once the node gives up loading the topic; /metrics
  // counts both refusals as such.
  WsClient late(a.port());
  late.send_json({{"type", "subscribe"}, {"topic", "elsewhere"}, {"client_id", "c-late"}, {"request_id", "s-late"}});
  json::object unloaded = late.next_skipping_heartbeats(20s);
  INFO(json::serialize(unloaded));
  CHECK(unloaded["type"] == "error");
  CHECK(unloaded["error"].at("code") == "UNAVAILABLE");
  CHECK(unloaded["request_id"] == "s-late");
  const std::string page = http(a.port(), "GET", "/metrics").body;
  CHECK(metric_value(page, R"(pubsub_requests_total{type="publish",result="unavailable"})") == 1.0);
  CHECK(metric_value(page, R"(pubsub_requests_total{type="subscribe",result="unavailable"})") == 1.0);
  CHECK(metric_value(page, R"(pubsub_requests_total{type="subscribe",result="ok"})").value_or(0) == 0.0);
  valkey.resume();

  // The nodes reconnect by themselves; the next publishes go through and
  // reach the subscriber in order, with nothing lost in between. The
  // refused publish was sent before Valkey stopped answering: Valkey may
  // still have run it when it came back (an UNAVAILABLE after a timeout
  // leaves the outcome unknown), so the next seq is 2 or 3.
  json::object ack = publish_once_back(pub, "alerts", 3);
  const std::uint64_t last = seq_of(ack);
  CHECK((last == 2 || last == 3));
  for (std::uint64_t seq = 2; seq <= last; ++seq) CHECK(seq_of(events(sub, 1).front()) == seq);
  CHECK(sub.silent_for(300ms));
}

TEST_CASE("a node's live feed cut by Valkey: the gap is filled from the history, or announced with its exact count",
          "[cluster][websocket][faults]") {
  Valkey valkey;
  const bool small_history = GENERATE(false, true);
  CAPTURE(small_history);
  // Valkey cuts a subscriber whose output backs up past 64 KiB.
  REQUIRE(
      valkey_command(valkey.port(), "CONFIG SET client-output-buffer-limit \"pubsub 65536 0 0\"").starts_with("+OK"));
  // Queues that hold the whole burst: only the feed's gap may lose events.
  const std::vector<std::string> flags = {"--history-size", small_history ? "5" : "5000", "--max-queue",
                                          "20000",          "--max-queue-bytes",          "1000000000"};
  Node a(valkey, flags);
  Node b(valkey, flags);
  WsClient sub(b.port());
  subscribe(sub, "feed");
  WsClient pub(a.port());
  // Node B stops reading its feed; 1 500 messages of 8 KiB go out
  // meanwhile, more than the socket buffers hold.
  b.signal(SIGSTOP);
  const std::string filler(8192, 'x');
  constexpr int kTotal = 1500;
  for (int n = 1; n <= kTotal; ++n) {
    pub.send_json({{"type", "publish"},
                   {"topic", "feed"},
                   {"request_id", "p-" + std::to_string(n)},
                   {"message", {{"id", message_id(n)}, {"payload", {{"n", n}, {"filler", filler}}}}}});
    json::object ack = pub.next_skipping_heartbeats();
    REQUIRE(ack["type"] == "ack");
  }
  b.signal(SIGCONT);
  // Every seq arrives once, in order, or is counted in a dropped info that
  // comes where it is missing.
  std::uint64_t next = 1;
  std::uint64_t dropped = 0;
  while (next <= kTotal) {
    json::object frame = sub.next_skipping_heartbeats(20s);
    if (frame["type"] == "info") {
      INFO(json::serialize(frame));
      REQUIRE(frame["msg"] == "dropped");
      const auto count = frame.at("dropped").to_number<std::uint64_t>();
      dropped += count;
      next += count;
      continue;
    }
    REQUIRE(frame["type"] == "event");
    REQUIRE(seq_of(frame) == next);
    ++next;
  }
  CHECK(next == kTotal + 1);
  if (small_history) {
    CHECK(dropped > 0);  // 5 retained: the outage lost more than that
  } else {
    CHECK(dropped == 0);  // all of it retained: filled from the history
  }
  CHECK(sub.silent_for(300ms));
}
