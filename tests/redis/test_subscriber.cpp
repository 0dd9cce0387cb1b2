// Tests of redis::Subscriber against a real Valkey (or Redis) server
// started for each test (server_process.h): messages, unsubscribing,
// subscribing again after a restart with the outage reported, timeouts.
#include "redis/subscriber.h"

#include <catch2/catch_test_macros.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "redis/client.h"
#include "redis/server_process.h"

using namespace pubsub::redis;
using namespace pubsub::redis::testing;

namespace {

// What a subscriber told, in order.
struct Heard {
  std::vector<std::pair<std::string, std::string>> messages;
  std::vector<std::pair<std::string, bool>> subscriptions;  // channel, after_outage
  std::vector<LinkState> states;

  void listen(Subscriber& subscriber) {
    subscriber.on_message(
        [this](std::string_view channel, std::string_view payload) { messages.emplace_back(channel, payload); });
    subscriber.on_subscribed(
        [this](std::string_view channel, bool after_outage) { subscriptions.emplace_back(channel, after_outage); });
    subscriber.on_state([this](LinkState state, std::string_view) { states.push_back(state); });
  }
};

// PUBLISH through `client`; returns how many subscribers got it.
long long publish(asio::io_context& io, Client& client, std::string_view channel, std::string_view payload) {
  std::optional<Reply> reply;
  client.command({"PUBLISH", channel, payload}, [&reply](Reply r) { reply = std::move(r); });
  REQUIRE(run_until(io, [&] { return reply.has_value(); }));
  REQUIRE(reply->kind == ReplyKind::integer);
  return reply->integer;
}

}  // namespace

TEST_CASE("subscriber: messages of the subscribed channels, byte for byte; none after unsubscribe") {
  ServerProcess server;
  asio::io_context io;
  Client publisher(io, url_of(server.url()), quick_options());
  Subscriber subscriber(io, url_of(server.url()), quick_options());
  Heard heard;
  heard.listen(subscriber);
  subscriber.subscribe("news");
  subscriber.subscribe("other");
  subscriber.subscribe("news");  // wanted already: nothing more
  publisher.start();
  subscriber.start();
  REQUIRE(run_until(io, [&] { return heard.subscriptions.size() == 2 && publisher.up(); }));
  CHECK(heard.subscriptions[0] == std::pair<std::string, bool>("news", false));
  CHECK(heard.subscriptions[1] == std::pair<std::string, bool>("other", false));
  CHECK(heard.states == std::vector<LinkState>{LinkState::up});
  CHECK(subscriber.subscribed("news"));

  const std::string payload("a\0b\r\n\xff", 6);
  CHECK(publish(io, publisher, "news", payload) == 1);
  CHECK(publish(io, publisher, "nobody", "x") == 0);
  CHECK(publish(io, publisher, "other", "second") == 1);
  REQUIRE(run_until(io, [&] { return heard.messages.size() == 2; }));
  CHECK(heard.messages[0] == std::pair<std::string, std::string>("news", payload));
  CHECK(heard.messages[1] == std::pair<std::string, std::string>("other", "second"));

  // Published before the unsubscription took effect on the server, yet
  // after unsubscribe() returned: not delivered.
  subscriber.unsubscribe("news");
  CHECK_FALSE(subscriber.subscribed("news"));
  CHECK(publish(io, publisher, "news", "late") <= 1);
  CHECK(publish(io, publisher, "other", "marker") == 1);
  REQUIRE(run_until(io, [&] { return heard.messages.size() == 3; }));
  CHECK(heard.messages[2] == std::pair<std::string, std::string>("other", "marker"));
  CHECK(publish(io, publisher, "news", "after") == 0);
  run_for(io, 50ms);
  CHECK(heard.messages.size() == 3);
  subscriber.unsubscribe("never-subscribed");
}

TEST_CASE("subscriber: subscribing again while the unsubscription is under way") {
  ServerProcess server;
  asio::io_context io;
  Client publisher(io, url_of(server.url()), quick_options());
  Subscriber subscriber(io, url_of(server.url()), quick_options());
  Heard heard;
  heard.listen(subscriber);
  subscriber.subscribe("news");
  publisher.start();
  subscriber.start();
  REQUIRE(run_until(io, [&] { return heard.subscriptions.size() == 1 && publisher.up(); }));

  subscriber.unsubscribe("news");
  subscriber.subscribe("news");
  REQUIRE(run_until(io, [&] { return heard.subscriptions.size() == 2; }));
  // Messages of the time between may be missing: said so.
  CHECK(heard.subscriptions[1] == std::pair<std::string, bool>("news", true));
  CHECK(publish(io, publisher, "news", "back") == 1);
  REQUIRE(run_until(io, [&] { return heard.messages.size() == 1; }));
  CHECK(heard.messages[0].second == "back");

  // Unsubscribed before the subscription was even confirmed.
  subscriber.subscribe("brief");
  subscriber.unsubscribe("brief");
  run_for(io, 100ms);
  CHECK_FALSE(subscriber.subscribed("brief"));
  CHECK(publish(io, publisher, "brief", "x") == 0);
  CHECK(heard.subscriptions.size() == 2);
}

TEST_CASE("subscriber: after a restart, every channel is subscribed again and the outage reported") {
  ServerProcess server;
  asio::io_context io;
  Client publisher(io, url_of(server.url()), quick_options());
  Subscriber subscriber(io, url_of(server.url()), quick_options());
  Heard heard;
  heard.listen(subscriber);
  subscriber.subscribe("a");
  subscriber.subscribe("b");
  publisher.start();
  subscriber.start();
  REQUIRE(run_until(io, [&] { return heard.subscriptions.size() == 2 && publisher.up(); }));

  server.kill();
  REQUIRE(run_until(io, [&] { return heard.states.size() == 2; }, 1s));
  CHECK(heard.states[1] == LinkState::down);
  CHECK_FALSE(subscriber.subscribed("a"));
  // Wanted while down: subscribed on the next connection, no outage of its own.
  subscriber.subscribe("c");
  subscriber.unsubscribe("b");

  server.restart();
  REQUIRE(run_until(io, [&] { return heard.subscriptions.size() == 4 && publisher.up(); }, 3s));
  CHECK(heard.states.back() == LinkState::up);
  const std::vector<std::pair<std::string, bool>> expected = {{"a", false}, {"b", false}, {"a", true}, {"c", false}};
  CHECK(heard.subscriptions == expected);
  CHECK(publish(io, publisher, "a", "1") == 1);
  CHECK(publish(io, publisher, "b", "2") == 0);
  CHECK(publish(io, publisher, "c", "3") == 1);
  REQUIRE(run_until(io, [&] { return heard.messages.size() == 2; }));
  CHECK(heard.messages[0] == std::pair<std::string, std::string>("a", "1"));
  CHECK(heard.messages[1] == std::pair<std::string, std::string>("c", "3"));
}

TEST_CASE("subscriber: a subscription unconfirmed within the timeout drops the connection, then it is made again") {
  ServerProcess server;
  asio::io_context io;
  Subscriber subscriber(io, url_of(server.url()), quick_options(300ms));
  Heard heard;
  heard.listen(subscriber);
  subscriber.start();
  REQUIRE(run_until(io, [&] { return subscriber.up(); }));

  server.pause();
  subscriber.subscribe("slow");
  REQUIRE(run_until(io, [&] { return heard.states.size() == 2; }, 2s));
  CHECK(heard.states[1] == LinkState::down);
  CHECK(subscriber.last_error().find("within 300 ms") != std::string::npos);

  server.resume();
  REQUIRE(run_until(io, [&] { return heard.subscriptions.size() == 1; }, 3s));
  CHECK(heard.subscriptions[0] == std::pair<std::string, bool>("slow", false));
  CHECK(subscriber.up());
}

TEST_CASE("subscriber: with a password, and destroyed from its own handler") {
  ServerProcess server({"--requirepass", "s3cret"});
  asio::io_context io;
  Client publisher(io, url_of(server.url(":s3cret@")), quick_options());
  auto subscriber = std::make_unique<Subscriber>(io, url_of(server.url(":s3cret@")), quick_options());
  int messages = 0;
  bool subscribed = false;
  subscriber->on_subscribed([&subscribed](std::string_view, bool) { subscribed = true; });
  subscriber->on_message([&messages, &subscriber](std::string_view, std::string_view) {
    ++messages;
    subscriber.reset();
  });
  subscriber->subscribe("x");
  subscriber->start();
  publisher.start();
  REQUIRE(run_until(io, [&] { return subscribed && publisher.up(); }));
  // Two messages in one read: the second must not reach the destroyed subscriber.
  publisher.command({"PUBLISH", "x", "1"}, [](Reply) {});
  publisher.command({"PUBLISH", "x", "2"}, [](Reply) {});
  run_for(io, 200ms);
  CHECK(messages == 1);
  CHECK(subscriber == nullptr);
}
