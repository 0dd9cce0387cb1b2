// Tests of redis::Client against a real Valkey (or Redis) server started for
// each test (server_process.h): replies of each kind, pipelining, logging
// in, losing the server and getting it back, timeouts, scripts.
#include "redis/client.h"

#include <catch2/catch_test_macros.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "redis/server_process.h"

using namespace pubsub::redis;
using namespace pubsub::redis::testing;
using Clock = std::chrono::steady_clock;

namespace {

// The calls of `command` in INFO commandstats ("cmdstat_eval:calls=3,..."); 0
// if it never ran.
long long command_calls(asio::io_context& io, Client& client, const std::string& command) {
  const Reply info = call(io, client, {"INFO", "commandstats"});
  REQUIRE(info.kind == ReplyKind::string);
  const std::string key = "cmdstat_" + command + ":calls=";
  const auto at = info.text.find(key);
  return at == std::string::npos ? 0 : std::stoll(info.text.substr(at + key.size()));
}

}  // namespace

TEST_CASE("client: a reply of each kind, binary-safe arguments") {
  ServerProcess server;
  asio::io_context io;
  Client client(io, url_of(server.url()), quick_options());
  start_and_wait_up(io, client);

  const std::string binary("k\0\r\n\xff", 5);
  const std::string value("v\0\r\n\x01 \xfe", 7);
  const Reply set = call(io, client, {"SET", binary, value});
  CHECK(set.kind == ReplyKind::status);
  CHECK(set.text == "OK");
  const Reply get = call(io, client, {"GET", binary});
  CHECK(get.kind == ReplyKind::string);
  CHECK(get.text == value);
  CHECK(call(io, client, {"GET", "missing"}).kind == ReplyKind::nil);
  const Reply incremented = call(io, client, {"INCRBY", "n", "41"});
  CHECK(incremented.kind == ReplyKind::integer);
  CHECK(incremented.integer == 41);

  const Reply nested = call(io, client, {"EVAL", "return {1, 'two', {3, 'four'}, redis.error_reply('E inner')}", "0"});
  REQUIRE(nested.kind == ReplyKind::array);
  REQUIRE(nested.elements.size() == 4);
  CHECK(nested.elements[0].integer == 1);
  CHECK(nested.elements[1].text == "two");
  REQUIRE(nested.elements[2].elements.size() == 2);
  CHECK(nested.elements[2].elements[1].text == "four");
  CHECK(nested.elements[3].is_error("E"));

  const Reply unknown = call(io, client, {"NOSUCHCOMMAND", "x"});
  CHECK(unknown.is_error("ERR"));
  // The connection goes on after an error reply.
  CHECK(call(io, client, {"ECHO", "still"}).text == "still");
}

TEST_CASE("client: commands that would break the order of answers are refused; empty commands too") {
  ServerProcess server;
  asio::io_context io;
  Client client(io, url_of(server.url()), quick_options());
  start_and_wait_up(io, client);
  CHECK(call(io, client, {"subscribe", "x"}).is_error("ERR"));
  CHECK(call(io, client, {"MONITOR"}).is_error("ERR"));
  CHECK(call(io, client, {"CLIENT", "REPLY", "OFF"}).is_error("ERR"));
  CHECK(call(io, client, {}).is_error("ERR"));
  CHECK(call(io, client, {"PING"}).text == "PONG");
}

TEST_CASE("client: handlers are never called from within command()") {
  asio::io_context io;
  Client client(io, url_of("redis://127.0.0.1:1"), quick_options());
  bool called = false;
  client.command({"PING"}, [&called](Reply) { called = true; });
  CHECK_FALSE(called);
  run_until(io, [&] { return called; }, 1s);
  CHECK(called);
}

TEST_CASE("client: 1000 commands sent in one pass are answered in order, pipelined") {
  ServerProcess server;
  asio::io_context io;
  Client client(io, url_of(server.url()), quick_options());
  start_and_wait_up(io, client);

  const long long reads_before = info_field(call(io, client, {"INFO", "stats"}).text, "total_reads_processed");
  std::vector<long long> answers;
  for (int i = 0; i < 1000; ++i) {
    client.command({"INCR", "counter"}, [&answers](Reply reply) {
      answers.push_back(reply.kind == ReplyKind::integer ? reply.integer : -1);
    });
  }
  REQUIRE(run_until(io, [&] { return answers.size() == 1000; }));
  for (std::size_t i = 0; i < answers.size(); ++i) {
    INFO("answer " << i);
    REQUIRE(answers[i] == static_cast<long long>(i + 1));
  }
  const long long reads_after = info_field(call(io, client, {"INFO", "stats"}).text, "total_reads_processed");
  // One read per round trip would be 1000 and more; the commands left in a
  // few writes (about 30 KB), which the server took in a few reads.
  INFO("reads: " << reads_after - reads_before);
  CHECK(reads_after - reads_before <= 20);
}

TEST_CASE("client: logs in with a password, or a user and a password, and fails with a wrong one") {
  ServerProcess server({"--requirepass", "s3cret", "--user", "alice", "on", ">p@ss:w/rd", "~*", "&*", "+@all"});
  asio::io_context io;

  SECTION("the default user's password") {
    Client client(io, url_of(server.url(":s3cret@")), quick_options());
    start_and_wait_up(io, client);
    CHECK(call(io, client, {"ACL", "WHOAMI"}).text == "default");
  }
  SECTION("a user and a percent-encoded password") {
    Client client(io, url_of(server.url("alice:p%40ss%3Aw%2Frd@")), quick_options());
    start_and_wait_up(io, client);
    CHECK(call(io, client, {"ACL", "WHOAMI"}).text == "alice");
  }
  SECTION("a wrong password: never up, commands unavailable, the error says why without the password") {
    Client client(io, url_of(server.url(":Wr0ngPassw0rd@")), quick_options());
    std::vector<LinkState> states;
    client.on_state([&states](LinkState state, std::string_view) { states.push_back(state); });
    client.start();
    REQUIRE(run_until(io, [&] { return !client.last_error().empty(); }, 2s));
    run_for(io, 200ms);
    CHECK_FALSE(client.up());
    CHECK(states.empty());
    INFO(client.last_error());
    CHECK(client.last_error().find("WRONGPASS") != std::string::npos);
    CHECK(client.last_error().find("Wr0ng") == std::string::npos);
    const Reply reply = call(io, client, {"PING"}, 1s);
    CHECK(reply.is_unavailable());
    CHECK(reply.text.find("Wr0ng") == std::string::npos);
  }
  SECTION("no password where one is required: commands fail, never NOAUTH") {
    Client client(io, url_of(server.url()), quick_options());
    client.start();
    run_for(io, 300ms);
    CHECK_FALSE(client.up());
    CHECK(call(io, client, {"PING"}, 1s).is_unavailable());
  }
}

TEST_CASE("client: the database of the URL is selected") {
  ServerProcess server;
  asio::io_context io;
  Client db3(io, url_of(server.url("", "/3")), quick_options());
  Client db0(io, url_of(server.url()), quick_options());
  start_and_wait_up(io, db3);
  start_and_wait_up(io, db0);
  CHECK(call(io, db3, {"SET", "where", "three"}).text == "OK");
  CHECK(call(io, db0, {"GET", "where"}).kind == ReplyKind::nil);
  CHECK(call(io, db3, {"GET", "where"}).text == "three");
}

TEST_CASE("client: a host name is resolved without blocking") {
  ServerProcess server;
  asio::io_context io;
  Client client(io, url_of("redis://localhost:" + std::to_string(server.port())), quick_options());
  start_and_wait_up(io, client);
  CHECK(call(io, client, {"PING"}).text == "PONG");
}

TEST_CASE("client: with no server, commands fail at once and it keeps trying") {
  ServerProcess server;
  const std::uint16_t port = server.port();
  server.kill();
  asio::io_context io;
  Client client(io, url_of("redis://127.0.0.1:" + std::to_string(port)), quick_options());
  client.start();
  run_for(io, 100ms);
  CHECK_FALSE(client.up());
  CHECK(client.last_error().find("127.0.0.1:" + std::to_string(port)) != std::string::npos);

  const auto sent_at = Clock::now();
  const Reply reply = call(io, client, {"PING"});
  CHECK(reply.is_unavailable());
  CHECK(Clock::now() - sent_at < 100ms);

  server.restart();
  REQUIRE(run_until(io, [&] { return client.up(); }, 3s));
  CHECK(call(io, client, {"PING"}).text == "PONG");
}

TEST_CASE("client: server killed: commands in flight and new ones fail promptly; restarted: back by itself") {
  ServerProcess server;
  asio::io_context io;
  Client client(io, url_of(server.url()), quick_options());
  std::vector<std::pair<LinkState, std::string>> states;
  client.on_state([&states](LinkState state, std::string_view detail) { states.emplace_back(state, detail); });
  start_and_wait_up(io, client);
  REQUIRE(states.size() == 1);
  CHECK(states[0].first == LinkState::up);

  // Blocks on the server for 10 s: in flight when the server dies.
  std::optional<Reply> blocked;
  client.command({"BLPOP", "nothing", "10"}, [&blocked](Reply r) { blocked = std::move(r); });
  run_for(io, 100ms);
  REQUIRE_FALSE(blocked.has_value());

  server.kill();
  const auto killed = Clock::now();
  REQUIRE(run_until(io, [&] { return blocked.has_value(); }, 1s));
  CHECK(Clock::now() - killed < 500ms);
  CHECK(blocked->is_unavailable());
  CHECK_FALSE(client.up());
  REQUIRE(states.size() == 2);
  CHECK(states[1].first == LinkState::down);
  CHECK_FALSE(states[1].second.empty());

  const auto sent_at = Clock::now();
  CHECK(call(io, client, {"PING"}).is_unavailable());
  CHECK(Clock::now() - sent_at < 100ms);

  server.restart();
  REQUIRE(run_until(io, [&] { return client.up(); }, 3s));
  CHECK(call(io, client, {"PING"}).text == "PONG");
  REQUIRE(states.size() == 3);
  CHECK(states[2].first == LinkState::up);
}

TEST_CASE("client: a command unanswered within the timeout fails, and the connection is made anew") {
  ServerProcess server;
  asio::io_context io;
  Client client(io, url_of(server.url()), quick_options(300ms));
  std::vector<LinkState> states;
  client.on_state([&states](LinkState state, std::string_view) { states.push_back(state); });
  start_and_wait_up(io, client);

  server.pause();
  std::optional<Reply> first;
  std::optional<Reply> second;
  const auto sent_at = Clock::now();
  client.command({"SET", "late", "1"}, [&first](Reply r) { first = std::move(r); });
  run_for(io, 100ms);
  client.command({"ECHO", "two"}, [&second](Reply r) { second = std::move(r); });
  REQUIRE(run_until(io, [&] { return first.has_value() && second.has_value(); }, 2s));
  const auto waited = Clock::now() - sent_at;
  CHECK(waited >= 290ms);
  CHECK(waited < 1000ms);
  CHECK(first->is_unavailable());
  CHECK(first->text.find("within 300 ms") != std::string::npos);
  // Dropped with the connection, before its own deadline.
  CHECK(second->is_unavailable());
  REQUIRE(states.size() == 2);
  CHECK(states[1] == LinkState::down);

  server.resume();
  REQUIRE(run_until(io, [&] { return client.up(); }, 3s));
  // The late answers of the old connection cannot be taken for these.
  CHECK(call(io, client, {"ECHO", "fresh"}).text == "fresh");
  CHECK(call(io, client, {"GET", "late"}).text == "1");
}

TEST_CASE("client: scripts run with EVALSHA, loaded once per connection, with EVAL after SCRIPT FLUSH or a restart") {
  ServerProcess server;
  asio::io_context io;
  Client client(io, url_of(server.url()), quick_options());
  start_and_wait_up(io, client);
  const Script script("return ARGV[1] .. redis.call('INCR', KEYS[1])");
  CHECK(script.sha1().size() == 40);

  const auto run = [&](std::string_view argument) {
    std::optional<Reply> reply;
    const std::string_view keys[] = {"runs"};
    const std::string_view args[] = {argument};
    client.run_script(script, keys, args, [&reply](Reply r) { reply = std::move(r); });
    REQUIRE(run_until(io, [&] { return reply.has_value(); }));
    return std::move(*reply);
  };

  REQUIRE(call(io, client, {"CONFIG", "RESETSTAT"}).text == "OK");
  CHECK(run("a").text == "a1");
  CHECK(run("b").text == "b2");
  CHECK(command_calls(io, client, "script|load") == 1);
  CHECK(command_calls(io, client, "evalsha") == 2);
  CHECK(command_calls(io, client, "eval") == 0);

  REQUIRE(call(io, client, {"SCRIPT", "FLUSH"}).text == "OK");
  CHECK(run("c").text == "c3");
  CHECK(command_calls(io, client, "eval") == 1);
  CHECK(run("d").text == "d4");
  CHECK(command_calls(io, client, "eval") == 1);  // EVAL cached it again
  CHECK(command_calls(io, client, "script|load") == 1);

  // A restarted server has no scripts: the new connection loads it first.
  server.kill();
  REQUIRE(run_until(io, [&] { return !client.up(); }, 1s));
  server.restart();
  REQUIRE(run_until(io, [&] { return client.up(); }, 3s));
  CHECK(run("e").text == "e1");
  CHECK(command_calls(io, client, "script|load") == 1);
  CHECK(command_calls(io, client, "eval") == 0);

  // A script that does not compile: its error comes back.
  std::optional<Reply> broken;
  client.run_script(Script("return +"), {}, {}, [&broken](Reply r) { broken = std::move(r); });
  REQUIRE(run_until(io, [&] { return broken.has_value(); }));
  CHECK(broken->is_error());
  CHECK(call(io, client, {"PING"}).text == "PONG");
}

TEST_CASE("client: destroyed from a handler, or with commands in flight: no handler runs afterwards") {
  ServerProcess server;
  asio::io_context io;
  auto client = std::make_unique<Client>(io, url_of(server.url()), quick_options());
  start_and_wait_up(io, *client);

  int called = 0;
  for (int i = 0; i < 10; ++i) {
    client->command({"PING"}, [&called, &client](Reply) {
      ++called;
      client.reset();
    });
  }
  run_for(io, 200ms);
  CHECK(called == 1);

  auto second = std::make_unique<Client>(io, url_of(server.url()), quick_options());
  start_and_wait_up(io, *second);
  second->command({"BLPOP", "nothing", "5"}, [&called](Reply) { ++called; });
  run_for(io, 50ms);
  second.reset();
  run_for(io, 100ms);
  CHECK(called == 1);

  // Destroyed while connecting, and while down.
  auto third = std::make_unique<Client>(io, url_of(server.url()), quick_options());
  third->start();
  third.reset();
  server.kill();
  auto fourth = std::make_unique<Client>(io, url_of(server.url()), quick_options());
  fourth->start();
  fourth->command({"PING"}, [&called](Reply) { ++called; });
  run_for(io, 50ms);
  fourth->command({"PING"}, [&called](Reply) { ++called; });
  fourth.reset();
  run_for(io, 100ms);
  CHECK(called == 2);
}
