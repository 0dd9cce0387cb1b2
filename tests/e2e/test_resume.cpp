// End-to-end: positions, resume and history (contract section 9) and
// publishing over HTTP (section 10), against the real server: every rule
// of resume, a client that drops its connection mid-stream and resumes,
// resumes across a delete and re-create, a restart and a wrapped history,
// the REST history, and HTTP publishes delivered like WebSocket ones.
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <cstdlib>
#include <sstream>

#include "e2e/harness.h"

using namespace pubsub::e2e;
namespace json = boost::json;
using Catch::Matchers::ContainsSubstring;

namespace {

std::int64_t seq_of(const json::object& frame) { return frame.at("seq").as_int64(); }

std::string epoch_of(std::uint16_t port, const std::string& topic) {
  return std::string(http(port, "GET", "/topics/" + topic).json().at("epoch").as_string());
}

// A subscribe request resuming after `since_seq` (of `epoch`, if given).
std::string resume_request(const std::string& topic, std::int64_t since_seq,
                           std::optional<std::string> epoch = std::nullopt) {
  json::object request{{"type", "subscribe"}, {"topic", topic}, {"client_id", "c"}, {"since_seq", since_seq}};
  if (epoch) request["epoch"] = *epoch;
  return json::serialize(request);
}

// Sends `request`, returns the ack and checks that the replay that follows
// is exactly `replayed` (seqs), then silence.
json::object resume(WsClient& ws, const std::string& request, std::vector<std::int64_t> replayed) {
  ws.send(request);
  json::object ack = ws.next();
  REQUIRE(ack.at("type") == "ack");
  std::vector<std::int64_t> got;
  for (std::size_t i = 0; i < replayed.size(); ++i) got.push_back(seq_of(ws.next()));
  CHECK(got == replayed);
  CHECK(ws.silent_for(100ms));
  return ack;
}

std::vector<std::int64_t> seqs(std::int64_t first, std::int64_t last) {
  std::vector<std::int64_t> out;
  for (std::int64_t s = first; s <= last; ++s) out.push_back(s);
  return out;
}

// Catch's assertions are not thread-safe: a test's own threads throw
// instead, and TestThread::join rethrows in the test's thread.
void ensure(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("failed: ") + what);
}

std::string message_body(int n) { return json::serialize(json::object{{"id", uuid()}, {"payload", n}}); }

}  // namespace

TEST_CASE("acks carry the topic's epoch and seq; REST shows the same position") {
  ServerProcess server({"--threads", std::to_string(GENERATE(1, 2))});
  REQUIRE(create_topic(server.port(), "p") == 201);
  WsClient ws(server.port());
  ws.send(R"({"type":"subscribe","topic":"p","client_id":"c","request_id":"s"})");
  json::object ack = ws.next();
  CHECK(ack.at("seq") == 0);
  const std::string epoch(ack.at("epoch").as_string());
  CHECK(epoch.size() >= 1);
  CHECK(epoch.size() <= 32);
  CHECK(epoch.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") ==
        std::string::npos);
  CHECK_FALSE(ack.contains("recovered"));  // no since_seq, no verdict
  for (int i = 1; i <= 3; ++i) {
    std::vector<json::object> events;
    json::object publish_ack = ws.publish("p", i, &events);
    CHECK(publish_ack.at("seq") == i);
    REQUIRE(events.size() == 1);
    CHECK(events[0].at("seq") == i);
  }
  json::value topic = http(server.port(), "GET", "/topics/p").json();
  CHECK(topic.at("epoch").as_string() == epoch);
  CHECK(topic.at("seq") == 3);
  json::value stats = http(server.port(), "GET", "/stats").json();
  CHECK(stats.at("topics").at("p").at("epoch").as_string() == epoch);
  CHECK(stats.at("topics").at("p").at("seq") == 3);
  // Subscribing again: epoch and the current seq, no replay, no verdict.
  ack = resume(ws, resume_request("p", 0, epoch), {});
  CHECK(ack.at("seq") == 3);
  CHECK(ack.at("epoch").as_string() == epoch);
  CHECK_FALSE(ack.contains("recovered"));
}

TEST_CASE("resume: every boundary of section 9") {
  ServerProcess server({"--threads", std::to_string(GENERATE(1, 2)), "--history-size", "5"});
  REQUIRE(create_topic(server.port(), "r") == 201);
  WsClient pub(server.port());
  for (int i = 1; i <= 10; ++i) pub.publish("r", i);  // 6..10 retained
  const std::string epoch = epoch_of(server.port(), "r");

  struct Case {
    std::int64_t since;
    bool send_epoch;
    std::vector<std::int64_t> replay;
    bool recovered;
  };
  auto c = GENERATE_COPY(values<Case>({
      {10, true, {}, true},                // up to date
      {9, true, {10}, true},               //
      {5, true, {6, 7, 8, 9, 10}, true},   // since_seq == first - 1
      {5, false, {6, 7, 8, 9, 10}, true},  // no epoch: the seq alone
      {4, true, {6, 7, 8, 9, 10}, false},  // seq 5 is gone
      {0, true, {6, 7, 8, 9, 10}, false},  //
      {11, true, {}, false},               // beyond the newest seq
      {11, false, {}, false},              //
  }));
  CAPTURE(c.since, c.send_epoch);
  WsClient ws(server.port());
  json::object ack =
      resume(ws, resume_request("r", c.since, c.send_epoch ? std::optional(epoch) : std::nullopt), c.replay);
  CHECK(ack.at("recovered") == c.recovered);
  CHECK(ack.at("seq") == 10);
  CHECK(ack.at("epoch").as_string() == epoch);
  pub.publish("r", 11);
  CHECK(seq_of(ws.next()) == 11);  // then live events
}

TEST_CASE("resume with another epoch replays nothing and is not recovered") {
  ServerProcess server;
  REQUIRE(create_topic(server.port(), "r") == 201);
  WsClient pub(server.port());
  for (int i = 1; i <= 3; ++i) pub.publish("r", i);
  WsClient ws(server.port());
  json::object ack = resume(ws, resume_request("r", 1, "another-life"), {});
  CHECK(ack.at("recovered") == false);
}

TEST_CASE("resume with nothing retained recovers only at the newest seq") {
  ServerProcess server({"--history-size", "0"});
  REQUIRE(create_topic(server.port(), "r") == 201);
  WsClient pub(server.port());
  for (int i = 1; i <= 3; ++i) pub.publish("r", i);
  WsClient at(server.port()), behind(server.port());
  CHECK(resume(at, resume_request("r", 3), {}).at("recovered") == true);
  CHECK(resume(behind, resume_request("r", 2), {}).at("recovered") == false);
}

TEST_CASE("the resume fields the contract forbids are BAD_REQUEST and the connection stays") {
  ServerProcess server;
  REQUIRE(create_topic(server.port(), "r") == 201);
  WsClient ws(server.port());
  for (const std::string request : {
           R"({"type":"subscribe","topic":"r","client_id":"c","since_seq":1,"last_n":1,"request_id":"x"})",
           R"({"type":"subscribe","topic":"r","client_id":"c","epoch":"abc","request_id":"x"})",
           R"({"type":"subscribe","topic":"r","client_id":"c","since_seq":-1,"request_id":"x"})",
           R"({"type":"subscribe","topic":"r","client_id":"c","since_seq":"1","request_id":"x"})",
           R"({"type":"subscribe","topic":"r","client_id":"c","since_seq":1,"epoch":7,"request_id":"x"})",
       }) {
    CAPTURE(request);
    ws.send(request);
    json::object error = ws.next();
    CHECK(error.at("type") == "error");
    CHECK(error.at("request_id") == "x");
    CHECK(error.at("error").at("code") == "BAD_REQUEST");
  }
  ws.subscribe("r");  // still open, and not subscribed by the refused requests
}

TEST_CASE("a client that drops its connection mid-stream resumes with no gap and no repeat") {
  ServerProcess server({"--threads", std::to_string(GENERATE(1, 2)), "--history-size", "1000"});
  REQUIRE(create_topic(server.port(), "live") == 201);
  const int total = 600;
  TestThread publisher([&] {
    HttpConnection http_pub(server.port());
    for (int i = 1; i <= total; ++i) {
      auto r = http_pub.request("POST", "/topics/live/messages", message_body(i));
      ensure(r && r->status == 201, "an HTTP publish answered 201");
      if (i % 50 == 0) std::this_thread::sleep_for(5ms);
    }
  });
  std::vector<std::int64_t> handled;
  std::string epoch;
  std::int64_t last = 0;
  int reconnects = 0;
  while (last < total) {
    WsClient ws(server.port());
    ws.send(handled.empty() ? R"({"type":"subscribe","topic":"live","client_id":"c"})"
                            : resume_request("live", last, epoch));
    json::object ack = ws.next();
    REQUIRE(ack.at("type") == "ack");
    if (!handled.empty()) REQUIRE(ack.at("recovered") == true);
    epoch = std::string(ack.at("epoch").as_string());
    if (handled.empty()) last = seq_of(ack);  // the stream starts after the ack's seq
    // Read up to 97 events, then drop the TCP connection without a close.
    for (int n = 0; n < 97 && last < total; ++n) {
      json::object event = ws.next();
      REQUIRE(event.at("type") == "event");
      last = seq_of(event);
      handled.push_back(last);
      CHECK(event.at("message").at("payload") == last);
    }
    ws.abort();
    ++reconnects;
  }
  publisher.join();
  CHECK(reconnects >= 3);
  REQUIRE(!handled.empty());
  CHECK(handled == seqs(handled.front(), total));
}

TEST_CASE("a resume after the topic was deleted and re-created is not recovered") {
  ServerProcess server({"--threads", std::to_string(GENERATE(1, 2))});
  REQUIRE(create_topic(server.port(), "d") == 201);
  WsClient pub(server.port());
  for (int i = 1; i <= 5; ++i) pub.publish("d", i);
  const std::string old_epoch = epoch_of(server.port(), "d");
  REQUIRE(http(server.port(), "DELETE", "/topics/d").status == 200);
  REQUIRE(create_topic(server.port(), "d") == 201);
  const std::string new_epoch = epoch_of(server.port(), "d");
  CHECK(new_epoch != old_epoch);
  for (int i = 1; i <= 7; ++i) pub.publish("d", 100 + i);

  WsClient ws(server.port());
  json::object ack = resume(ws, resume_request("d", 3, old_epoch), {});  // numbers of the old life
  CHECK(ack.at("recovered") == false);
  CHECK(ack.at("epoch").as_string() == new_epoch);
  CHECK(ack.at("seq") == 7);
  WsClient fresh(server.port());
  CHECK(resume(fresh, resume_request("d", 5, new_epoch), {6, 7}).at("recovered") == true);
}

TEST_CASE("a resume after a server restart is not recovered") {
  std::string old_epoch;
  {
    ServerProcess before;
    REQUIRE(create_topic(before.port(), "s") == 201);
    WsClient pub(before.port());
    for (int i = 1; i <= 4; ++i) pub.publish("s", i);
    old_epoch = epoch_of(before.port(), "s");
  }
  ServerProcess after;
  REQUIRE(create_topic(after.port(), "s") == 201);
  WsClient pub(after.port());
  for (int i = 1; i <= 6; ++i) pub.publish("s", i);
  CHECK(epoch_of(after.port(), "s") != old_epoch);
  WsClient ws(after.port());
  CHECK(resume(ws, resume_request("s", 4, old_epoch), {}).at("recovered") == false);
}

TEST_CASE("a resume after the history wrapped replays what is left and says so") {
  ServerProcess server({"--history-size", "4"});
  REQUIRE(create_topic(server.port(), "w") == 201);
  for (int i = 1; i <= 30; ++i) {
    REQUIRE(http(server.port(), "POST", "/topics/w/messages", message_body(i)).status == 201);
  }
  const std::string epoch = epoch_of(server.port(), "w");
  WsClient gone(server.port()), kept(server.port());
  CHECK(resume(gone, resume_request("w", 25, epoch), {27, 28, 29, 30}).at("recovered") == false);
  CHECK(resume(kept, resume_request("w", 26, epoch), {27, 28, 29, 30}).at("recovered") == true);
}

TEST_CASE("history over REST: the replay's messages, id and payload byte for byte") {
  ServerProcess server({"--history-size", "10"});
  REQUIRE(create_topic(server.port(), "h") == 201);
  WsClient sub(server.port());
  sub.subscribe("h");
  // Payloads whose spelling a JSON library would change.
  const std::vector<std::string> payloads = {R"({"b" : 1.50E+2, "a":"\u00e9"})", "123456789012345678901234567890",
                                             R"([ "},\"seq\":" ])"};
  std::vector<std::string> ids;
  WsClient pub(server.port());
  for (const std::string& payload : payloads) {
    ids.push_back(uuid());
    pub.send(R"({"type":"publish","topic":"h","message":{"id":")" + ids.back() + R"(","payload":)" + payload + "}}");
    REQUIRE(pub.next().at("type") == "ack");
  }
  std::vector<std::string> events;  // raw event frames
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    Received r = sub.receive();
    REQUIRE(r.kind == Received::Kind::text);
    events.push_back(r.data);
  }
  HttpResponse history = http(server.port(), "GET", "/topics/h/messages");
  REQUIRE(history.status == 200);
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    const std::string member =
        R"({"id":")" + ids[i] + R"(","payload":)" + payloads[i] + R"(,"seq":)" + std::to_string(i + 1) + R"(,"ts":")";
    CHECK_THAT(history.body, ContainsSubstring(member));
    CHECK_THAT(events[i], ContainsSubstring(R"("message":{"id":")" + ids[i] + R"(","payload":)" + payloads[i] + "}"));
  }
  WsClient replayed(server.port());
  replayed.send(resume_request("h", 1));
  REQUIRE(replayed.next().at("type") == "ack");
  for (std::size_t i = 1; i < payloads.size(); ++i) {
    Received r = replayed.receive();
    CHECK(r.data == events[i]);  // the replay is the event, byte for byte
  }
  json::value page = http(server.port(), "GET", "/topics/h/messages?since_seq=1&limit=1").json();
  CHECK(page.at("seq") == 3);
  REQUIRE(page.at("messages").as_array().size() == 1);
  CHECK(page.at("messages").at(0).at("seq") == 2);
  CHECK(http(server.port(), "GET", "/topics/h/messages?limit=11").status == 400);
  CHECK(http(server.port(), "GET", "/topics/none/messages").status == 404);
}

TEST_CASE("HTTP publishes share the topic's seqs and fan-out with WebSocket publishes") {
  ServerProcess server({"--threads", std::to_string(GENERATE(1, 2))});
  REQUIRE(create_topic(server.port(), "m") == 201);
  WsClient sub_a(server.port()), sub_b(server.port()), pub(server.port());
  sub_a.subscribe("m");
  sub_b.subscribe("m");
  HttpConnection rest(server.port());
  auto one = rest.request("POST", "/topics/m/messages", message_body(1));
  REQUIRE(one);
  CHECK(one->status == 201);
  CHECK(one->json().at("seq") == 1);
  CHECK(one->json().at("status") == "published");
  CHECK(pub.publish("m", 2).at("seq") == 2);
  auto batch = rest.request("POST", "/topics/m/messages:batch",
                            "{\"messages\":[" + message_body(3) + "," + message_body(4) + "," + message_body(5) + "]}");
  REQUIRE(batch);
  CHECK(batch->status == 201);
  CHECK(batch->json().at("first_seq") == 3);
  CHECK(batch->json().at("last_seq") == 5);
  for (WsClient* sub : {&sub_a, &sub_b}) {
    for (int expected = 1; expected <= 5; ++expected) {
      json::object event = sub->next();
      CHECK(seq_of(event) == expected);
      CHECK(event.at("message").at("payload") == expected);
    }
  }
}

TEST_CASE("HTTP publishing refuses what the contract refuses") {
  ServerProcess server({"--max-message-bytes", "1000"});
  REQUIRE(create_topic(server.port(), "m") == 201);
  CHECK(http(server.port(), "POST", "/topics/none/messages", message_body(1)).status == 404);
  HttpResponse bad = http(server.port(), "POST", "/topics/m/messages", R"({"id":"not-a-uuid","payload":1})");
  CHECK(bad.status == 400);
  CHECK_THAT(bad.body, ContainsSubstring("id must be a UUID"));
  const std::string big = json::serialize(json::object{{"id", uuid()}, {"payload", std::string(1200, 'x')}});
  HttpResponse too_big = http(server.port(), "POST", "/topics/m/messages", big);
  CHECK(too_big.status == 413);
  CHECK(too_big.json().at("error").at("code") == "PAYLOAD_TOO_LARGE");
  CHECK_THAT(too_big.body, ContainsSubstring("--max-message-bytes (1000 bytes)"));
  CHECK(http(server.port(), "GET", "/topics/m").json().at("seq") == 0);  // nothing published
  // Bodies up to --max-message-bytes pass, though other requests stop at 64 KiB.
  ServerProcess roomy({"--max-message-bytes", "200000"});
  REQUIRE(create_topic(roomy.port(), "m") == 201);
  const std::string large = json::serialize(json::object{{"id", uuid()}, {"payload", std::string(100000, 'y')}});
  CHECK(http(roomy.port(), "POST", "/topics/m/messages", large).status == 201);
  const HttpResponse not_a_publish = http(roomy.port(), "POST", "/topics", large);
  CHECK(not_a_publish.status == 413);
  CHECK_THAT(not_a_publish.body, ContainsSubstring("larger than 64 KiB"));
  // Past both limits the 413 still names the limit the request broke.
  const std::string huge = json::serialize(json::object{{"id", uuid()}, {"payload", std::string(300000, 'z')}});
  const HttpResponse past_both = http(roomy.port(), "POST", "/topics/m/messages", huge);
  CHECK(past_both.status == 413);
  CHECK_THAT(past_both.body, ContainsSubstring("--max-message-bytes (200000 bytes)"));
}

TEST_CASE("--auto-create-topics creates the topic of an HTTP publish") {
  ServerProcess server({"--auto-create-topics", "true"});
  HttpResponse r = http(server.port(), "POST", "/topics/new/messages", message_body(1));
  CHECK(r.status == 201);
  CHECK(http(server.port(), "GET", "/topics/new").json().at("seq") == 1);
}

TEST_CASE("HTTP publishing needs the API key like every REST request") {
  ServerProcess server({"--api-key", "k"});
  REQUIRE(create_topic(server.port(), "m", {{"X-API-Key", "k"}}) == 201);
  CHECK(http(server.port(), "POST", "/topics/m/messages", message_body(1)).status == 401);
  CHECK(http(server.port(), "GET", "/topics/m/messages").status == 401);
  CHECK(http(server.port(), "POST", "/topics/m/messages", message_body(1), {{"X-API-Key", "k"}}).status == 201);
}

// ------------------------------------------------------------------ the example of docs/resume.md

namespace {

std::string example_path() {
  const char* path = std::getenv("RECONNECTING_SUBSCRIBER");
  if (path == nullptr) throw std::runtime_error("RECONNECTING_SUBSCRIBER is not set (run the tests with meson test)");
  return path;
}

// The seqs of the "event seq=N" lines of the example's output.
std::vector<std::int64_t> event_seqs(const std::string& out) {
  std::vector<std::int64_t> found;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("event seq=")) found.push_back(std::stoll(line.substr(10)));
  }
  return found;
}

int count_lines(const std::string& out, const std::string& start) {
  int n = 0;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) n += line.starts_with(start) ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("examples/reconnecting_subscriber handles every message once across dropped connections") {
  ServerProcess server({"--threads", "2", "--history-size", "1000"});
  REQUIRE(create_topic(server.port(), "orders") == 201);
  const int total = 300;
  TestThread publisher([&] {
    ensure(eventually([&] { return health_subscribers(server.port()) == 1; }), "the example subscribed");
    HttpConnection rest(server.port());
    for (int i = 1; i <= total; ++i) {
      auto r = rest.request("POST", "/topics/orders/messages", message_body(i));
      ensure(r && r->status == 201, "an HTTP publish answered 201");
      if (i % 20 == 0) std::this_thread::sleep_for(10ms);
    }
  });
  ProcessResult run = run_program(example_path(),
                                  {"--port", std::to_string(server.port()), "--topic", "orders", "--count",
                                   std::to_string(total), "--drop-every", "70"},
                                  {}, 60s);
  publisher.join();
  INFO(run.out);
  CHECK(run.exit_code == 0);
  CHECK(event_seqs(run.out) == seqs(1, total));
  CHECK(count_lines(run.out, "resumed ") == 4);  // after events 70, 140, 210 and 280
  CHECK(run.out.find("recovered=false") == std::string::npos);
}

TEST_CASE("examples/reconnecting_subscriber reloads when the topic began a new life") {
  ServerProcess server({"--history-size", "100"});
  REQUIRE(create_topic(server.port(), "orders") == 201);
  TestThread operator_thread([&] {
    ensure(eventually([&] { return health_subscribers(server.port()) == 1; }), "the example subscribed");
    for (int i = 1; i <= 3; ++i) {
      ensure(http(server.port(), "POST", "/topics/orders/messages", message_body(i)).status == 201, "publish");
    }
    // The example drops after 3 events; meanwhile the topic is re-created.
    ensure(http(server.port(), "DELETE", "/topics/orders").status == 200, "delete");
    ensure(create_topic(server.port(), "orders") == 201, "re-create");
    ensure(eventually([&] { return health_subscribers(server.port()) == 1; }), "the example subscribed");
    for (int i = 1; i <= 2; ++i) {
      ensure(http(server.port(), "POST", "/topics/orders/messages", message_body(10 + i)).status == 201, "publish");
    }
  });
  ProcessResult run = run_program(
      example_path(),
      {"--port", std::to_string(server.port()), "--topic", "orders", "--count", "5", "--drop-every", "3"}, {}, 60s);
  operator_thread.join();
  INFO(run.out);
  CHECK(run.exit_code == 0);
  CHECK(count_lines(run.out, "recovered=false: reloading orders") == 1);
  CHECK(event_seqs(run.out) == std::vector<std::int64_t>{1, 2, 3, 1, 2});  // the new life counts from 1
}

// ------------------------------------------------------------------ HTTP pipelining and limits

namespace {

std::string raw_request(const std::string& method, const std::string& target, const std::string& body = {}) {
  std::string out = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!body.empty() || method == "POST") out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return out + "\r\n" + body;
}

}  // namespace

TEST_CASE("requests sent together, without waiting, are answered in order") {
  ServerProcess server({"--threads", std::to_string(GENERATE(1, 2))});
  REQUIRE(create_topic(server.port(), "p") == 201);
  std::string bytes;
  for (int i = 1; i <= 3; ++i) bytes += raw_request("POST", "/topics/p/messages", message_body(i));
  bytes += raw_request("GET", "/topics/none");
  bytes += raw_request("POST", "/topics/p/messages", R"({"id":"x","payload":1})");
  bytes += raw_request("DELETE", "/topics/p/messages");
  bytes += raw_request("POST", "/topics/p/messages:batch", "{\"messages\":[" + message_body(4) + "]}");
  bytes += raw_request("GET", "/topics/p/messages?since_seq=3");
  const std::vector<HttpResponse> responses = raw_http_responses(server.port(), bytes, 8);
  REQUIRE(responses.size() == 8);
  for (int i = 0; i < 3; ++i) {
    CHECK(responses[i].status == 201);
    CHECK(responses[i].json().at("seq") == i + 1);
  }
  CHECK(responses[3].status == 404);
  CHECK(responses[4].status == 400);
  CHECK(responses[5].status == 405);
  CHECK(responses[5].headers.at("allow") == "GET, HEAD, POST");
  CHECK(responses[6].status == 201);
  CHECK(responses[6].json().at("first_seq") == 4);
  CHECK(responses[7].status == 200);
  REQUIRE(responses[7].json().at("messages").as_array().size() == 1);
  CHECK(responses[7].json().at("messages").at(0).at("payload") == 4);
}

TEST_CASE("a publish body announced past --max-message-bytes is refused before it is sent") {
  ServerProcess server({"--max-message-bytes", "1000"});
  REQUIRE(create_topic(server.port(), "p") == 201);
  // Only the header: the server must not wait for the 5 000 bytes.
  HttpResponse r =
      raw_http(server.port(), "POST /topics/p/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000\r\n\r\n");
  CHECK(r.status == 413);
  CHECK_THAT(r.body, ContainsSubstring("--max-message-bytes (1000 bytes)"));
}
