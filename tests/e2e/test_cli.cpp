// End-to-end: the binary's command line, environment and logs.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <sstream>

#include "e2e/harness.h"

using namespace pubsub::e2e;
using Catch::Matchers::ContainsSubstring;
namespace json = boost::json;

TEST_CASE("--help lists every option with its default and variable; --version") {
  auto help = run_pubsubd({"--help"});
  CHECK(help.exit_code == 0);
  for (std::string flag : {"host",
                           "port",
                           "threads",
                           "history-size",
                           "max-queue",
                           "max-queue-bytes",
                           "backpressure",
                           "heartbeat-interval",
                           "idle-timeout",
                           "max-message-bytes",
                           "require-uuid",
                           "auto-create-topics",
                           "api-key",
                           "max-connections",
                           "max-subscriptions",
                           "max-topics",
                           "max-publish-rate",
                           "allowed-origins",
                           "shutdown-timeout",
                           "log-level",
                           "log-format"}) {
    CHECK_THAT(help.out, ContainsSubstring("--" + flag));
  }
  CHECK_THAT(help.out, ContainsSubstring("PUBSUB_MAX_QUEUE_BYTES"));
  CHECK_THAT(help.out, ContainsSubstring("16777216"));
  CHECK_THAT(help.out, ContainsSubstring("drop_oldest"));

  auto version = run_pubsubd({"--version"});
  CHECK(version.exit_code == 0);
  CHECK_THAT(version.out, ContainsSubstring("pubsubd "));
}

TEST_CASE("invalid configuration exits 2 naming the option") {
  struct Case {
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    std::string named;
  };
  for (const auto& c : std::vector<Case>{
           {{"--port", "abc"}, {}, "--port"},
           {{"--port", "70000"}, {}, "--port"},
           {{"--max-queue", "-5"}, {}, "--max-queue"},
           {{"--backpressure", "sometimes"}, {}, "--backpressure"},
           {{"--heartbeat-interval", "soon"}, {}, "--heartbeat-interval"},
           {{"--log-format", "xml"}, {}, "--log-format"},
           {{"--require-uuid", "maybe"}, {}, "--require-uuid"},
           {{"--no-such-flag"}, {}, "no-such-flag"},
           {{}, {{"PUBSUB_MAX_QUEUE", "lots"}}, "PUBSUB_MAX_QUEUE"},
           {{}, {{"PUBSUB_LOG_LEVEL", "loud"}}, "PUBSUB_LOG_LEVEL"},
       }) {
    auto r = run_pubsubd(c.args, c.env);
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, ContainsSubstring(c.named));
  }
}

TEST_CASE("environment variables configure the server; flags beat them") {
  ServerProcess from_env({}, {{"PUBSUB_HISTORY_SIZE", "2"}, {"PUBSUB_AUTO_CREATE_TOPICS", "true"}});
  WsClient ws(from_env.port());
  for (int i = 0; i < 5; ++i) ws.publish("auto", i);  // auto-created from the variable
  ws.subscribe("auto", 10);
  CHECK(ws.next().at("seq").as_int64() == 4);  // history of 2
  CHECK(ws.next().at("seq").as_int64() == 5);

  ServerProcess flag_wins({"--history-size", "3"},
                          {{"PUBSUB_HISTORY_SIZE", "1"}, {"PUBSUB_AUTO_CREATE_TOPICS", "true"}});
  WsClient w2(flag_wins.port());
  for (int i = 0; i < 5; ++i) w2.publish("auto", i);
  w2.subscribe("auto", 10);
  CHECK(w2.next().at("seq").as_int64() == 3);
}

TEST_CASE("the port is taken: exit 1 with a message") {
  ServerProcess first;
  auto r = run_pubsubd({"--host", "127.0.0.1", "--port", std::to_string(first.port())});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, ContainsSubstring("cannot start"));
}

TEST_CASE("--log-format json: one object per line; connection lines, none per message") {
  ServerProcess server({"--log-format", "json"});
  REQUIRE(create_topic(server.port(), "t") == 201);
  {
    WsClient ws(server.port());
    ws.subscribe("t");
    for (int i = 0; i < 200; ++i) ws.publish("t", i);
    ws.close();
  }
  REQUIRE(eventually([&] { return server.log().find("websocket closed") != std::string::npos; }));
  std::istringstream lines(server.log());
  std::string line;
  int count = 0, opens = 0, closes = 0;
  while (std::getline(lines, line)) {
    ++count;
    auto object = json::parse(line).as_object();
    CHECK(object.contains("time"));
    CHECK(object.contains("level"));
    CHECK(object.contains("message"));
    if (object.at("message") == "websocket open") {
      ++opens;
      CHECK(object.at("connection").is_int64());
    }
    if (object.at("message") == "websocket closed") {
      ++closes;
      CHECK(object.contains("reason"));
    }
  }
  CHECK(opens == 1);
  CHECK(closes == 1);
  CHECK(count < 10);  // 200 publishes, no line per message
}
