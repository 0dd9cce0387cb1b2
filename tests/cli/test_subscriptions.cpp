// `pubsub sub`'s positions: what each reconnect asks for, and what its
// acks mean.
#include <catch2/catch_test_macros.hpp>

#include "cli/subscriptions.h"
#include "protocol/messages.h"

using namespace pubsub::cli;

namespace {

ServerFrame ack(std::string request_id, std::string epoch, std::uint64_t seq, std::optional<bool> recovered = {}) {
  ServerFrame frame;
  frame.type = FrameType::ack;
  frame.request_id = std::move(request_id);
  frame.epoch = std::move(epoch);
  frame.seq = seq;
  frame.recovered = recovered;
  return frame;
}

// The request_id of a subscribe request, decoded.
std::string request_id_of(const std::string& request) {
  const auto parsed = pubsub::protocol::parse_request(request, {});
  REQUIRE(parsed.ok);
  REQUIRE(parsed.request.request_id);
  const std::string_view raw = *parsed.request.request_id;
  return std::string(raw.substr(1, raw.size() - 2));
}

}  // namespace

TEST_CASE("the first subscribe asks for last_n; the server parses it") {
  Subscriptions subscriptions({"a", "b"}, 5, "me");
  const auto requests = subscriptions.subscribe_requests();
  REQUIRE(requests.size() == 2);
  const auto parsed = pubsub::protocol::parse_request(requests[0], {});
  REQUIRE(parsed.ok);
  CHECK(parsed.request.type == pubsub::protocol::RequestType::subscribe);
  CHECK(parsed.request.topic == "a");
  CHECK(parsed.request.last_n == 5);
  CHECK_FALSE(parsed.request.since_seq);
  CHECK(requests[0].find(R"("client_id":"me")") != std::string::npos);
  CHECK(pubsub::protocol::parse_request(requests[1], {}).request.topic == "b");
  CHECK(request_id_of(requests[0]) != request_id_of(requests[1]));
  CHECK_FALSE(subscriptions.all_acknowledged());
}

TEST_CASE("after a reconnect each topic resumes after the last event printed") {
  Subscriptions subscriptions({"orders"}, std::nullopt, "pubsub");
  auto first = subscriptions.subscribe_requests();
  const auto acknowledged = subscriptions.on_ack(ack(request_id_of(first[0]), "E1", 10));
  REQUIRE(acknowledged);
  CHECK(acknowledged->topic == "orders");
  CHECK_FALSE(acknowledged->resumed);
  CHECK(subscriptions.all_acknowledged());
  subscriptions.on_event("orders", 11);
  subscriptions.on_event("orders", 12);

  auto again = subscriptions.subscribe_requests();
  CHECK_FALSE(subscriptions.all_acknowledged());
  const auto parsed = pubsub::protocol::parse_request(again[0], {});
  REQUIRE(parsed.ok);
  CHECK(parsed.request.since_seq == 12u);
  CHECK(parsed.request.epoch == "E1");

  const auto recovered = subscriptions.on_ack(ack(request_id_of(again[0]), "E1", 15, true));
  REQUIRE(recovered);
  CHECK(recovered->resumed);
  CHECK(recovered->note == "orders resumed after seq 12 (recovered: true)");
  // The replay moves the position on as it is printed.
  CHECK(subscriptions.position("orders")->seq == 12);
  subscriptions.on_event("orders", 13);
  CHECK(subscriptions.position("orders")->seq == 13);
}

TEST_CASE("a resume into another life of the topic carries on from the ack") {
  Subscriptions subscriptions({"orders"}, std::nullopt, "pubsub");
  auto first = subscriptions.subscribe_requests();
  subscriptions.on_ack(ack(request_id_of(first[0]), "E1", 0));
  subscriptions.on_event("orders", 1);
  auto again = subscriptions.subscribe_requests();
  const auto outcome = subscriptions.on_ack(ack(request_id_of(again[0]), "E2", 0, false));
  REQUIRE(outcome);
  CHECK(outcome->note == "orders resumed after seq 1 (recovered: false): messages may have been missed");
  CHECK(subscriptions.position("orders")->epoch == "E2");
  CHECK(subscriptions.position("orders")->seq == 0);
  const auto parsed = pubsub::protocol::parse_request(subscriptions.subscribe_requests()[0], {});
  CHECK(parsed.request.since_seq == 0u);
  CHECK(parsed.request.epoch == "E2");
}

TEST_CASE("a resume that lost history keeps its position: the replay continues from it") {
  Subscriptions subscriptions({"t"}, std::nullopt, "pubsub");
  auto first = subscriptions.subscribe_requests();
  subscriptions.on_ack(ack(request_id_of(first[0]), "E", 5));
  subscriptions.on_event("t", 6);
  auto again = subscriptions.subscribe_requests();
  const auto outcome = subscriptions.on_ack(ack(request_id_of(again[0]), "E", 500, false));
  CHECK(outcome->note.ends_with("(recovered: false): messages may have been missed"));
  CHECK(subscriptions.position("t")->seq == 6);
}

TEST_CASE("with last_n, a drop before the replay is printed asks for it again") {
  Subscriptions subscriptions({"t"}, 3, "pubsub");
  auto first = subscriptions.subscribe_requests();
  subscriptions.on_ack(ack(request_id_of(first[0]), "E", 10));
  CHECK(subscriptions.position("t")->seq == 7);
  Subscriptions few({"t"}, 30, "pubsub");
  auto only = few.subscribe_requests();
  few.on_ack(ack(request_id_of(only[0]), "E", 10));
  CHECK(few.position("t")->seq == 0);
  // last_n is not asked again once positioned.
  const auto parsed = pubsub::protocol::parse_request(subscriptions.subscribe_requests()[0], {});
  CHECK(parsed.request.last_n == 0);
  CHECK(parsed.request.since_seq == 7u);
}

TEST_CASE("a topic without a position subscribes afresh after a reconnect") {
  Subscriptions subscriptions({"t"}, std::nullopt, "pubsub");
  subscriptions.subscribe_requests();  // the connection dropped before the ack
  const auto again = subscriptions.subscribe_requests();
  CHECK_FALSE(pubsub::protocol::parse_request(again[0], {}).request.since_seq);
  const auto outcome = subscriptions.on_ack(ack(request_id_of(again[0]), "E", 3));
  CHECK_FALSE(outcome->resumed);
  CHECK(outcome->note == "t subscribed");
}

TEST_CASE("acks and requests that are not ours are told apart") {
  Subscriptions subscriptions({"a"}, std::nullopt, "pubsub");
  const auto requests = subscriptions.subscribe_requests();
  CHECK_FALSE(subscriptions.on_ack(ack("p1", "E", 1)));
  CHECK_FALSE(subscriptions.on_ack(ack("s99", "E", 1)));
  CHECK_FALSE(subscriptions.topic_of_request("x"));
  CHECK(subscriptions.topic_of_request(request_id_of(requests[0])) == "a");
}

TEST_CASE("a deleted topic is followed no more") {
  Subscriptions subscriptions({"a", "b"}, std::nullopt, "pubsub");
  subscriptions.subscribe_requests();
  CHECK(subscriptions.forget("a"));
  CHECK_FALSE(subscriptions.forget("a"));
  CHECK_FALSE(subscriptions.empty());
  const auto requests = subscriptions.subscribe_requests();
  REQUIRE(requests.size() == 1);
  CHECK(pubsub::protocol::parse_request(requests[0], {}).request.topic == "b");
  CHECK(subscriptions.forget("b"));
  CHECK(subscriptions.empty());
}
