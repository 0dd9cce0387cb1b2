// Unit tests of reading the topic scripts' replies (engine/script_replies.h):
// each answer becomes its result; no answer, an error answer and a reply of
// the wrong shape become `unavailable`.
#include "engine/script_replies.h"

#include <catch2/catch_test_macros.hpp>
#include <initializer_list>
#include <string>

using namespace pubsub::engine;
using pubsub::redis::Reply;
using pubsub::redis::ReplyKind;

namespace {

Reply text(std::string value) { return {ReplyKind::string, 0, std::move(value), {}}; }
Reply number(long long value) { return {ReplyKind::integer, value, {}, {}}; }
Reply nil() { return {ReplyKind::nil, 0, {}, {}}; }
Reply array(std::initializer_list<Reply> elements) { return {ReplyKind::array, 0, {}, elements}; }

Reply entry(std::string id, std::string message_id, std::string payload, std::string ts) {
  return array({text(std::move(id)), array({text("id"), text(std::move(message_id)), text("payload"),
                                            text(std::move(payload)), text("ts"), text(std::move(ts))})});
}

}  // namespace

TEST_CASE("replies: no answer and error answers are unavailable, saying why") {
  const auto down = read_create_reply(Reply::unavailable("no connection to 127.0.0.1:1"));
  CHECK(down.status == StoreStatus::unavailable);
  CHECK(down.detail == "no connection to 127.0.0.1:1");
  const auto refused = read_publish_reply(Reply::error("OOM command not allowed"));
  CHECK(refused.status == StoreStatus::unavailable);
  CHECK(refused.detail.find("OOM command not allowed") != std::string::npos);
  CHECK(read_info_reply(Reply::error("ERR x")).status == StoreStatus::unavailable);
  CHECK(read_history_reply(Reply::error("ERR x"), false).status == StoreStatus::unavailable);
  CHECK(read_delete_reply(Reply::unavailable("x")).status == StoreStatus::unavailable);
  CHECK(read_registry_reply(Reply::unavailable("x")).status == StoreStatus::unavailable);
  CHECK(read_listing_reply(Reply::unavailable("x"), "t").status == StoreStatus::unavailable);
}

TEST_CASE("replies: create") {
  const auto created = read_create_reply(array({text("created"), text("E1"), number(0)}));
  CHECK(created.status == StoreStatus::ok);
  CHECK(created.value.epoch == "E1");
  CHECK(created.value.seq == 0);
  const auto exists = read_create_reply(array({text("exists"), text("E0"), text("41")}));
  CHECK(exists.status == StoreStatus::exists);
  CHECK(exists.value.epoch == "E0");
  CHECK(exists.value.seq == 41);

  for (const Reply& wrong :
       {array({text("created"), text("E1")}), array({text("made"), text("E1"), number(0)}),
        array({text("created"), text("bad epoch"), number(0)}), array({text("created"), text("E1"), number(-1)}),
        array({text("created"), text("E1"), text("4x")}), text("created"), nil()}) {
    CHECK(read_create_reply(wrong).status == StoreStatus::unavailable);
  }
}

TEST_CASE("replies: delete") {
  const auto deleted = read_delete_reply(array({text("deleted"), text("E1"), text("9")}));
  CHECK(deleted.status == StoreStatus::ok);
  CHECK(deleted.value.epoch == "E1");
  CHECK(deleted.value.seq == 9);
  CHECK(read_delete_reply(array({text("not_found")})).status == StoreStatus::not_found);
  CHECK(read_delete_reply(array({text("deleted")})).status == StoreStatus::unavailable);
}

TEST_CASE("replies: publish") {
  const auto published = read_publish_reply(array({text("published"), text("E1"), number(4), number(6), number(1)}));
  REQUIRE(published.status == StoreStatus::ok);
  CHECK(published.value.epoch == "E1");
  CHECK(published.value.first_seq == 4);
  CHECK(published.value.last_seq == 6);
  CHECK(published.value.created);
  CHECK_FALSE(
      read_publish_reply(array({text("published"), text("E1"), number(1), number(1), number(0)})).value.created);
  CHECK(read_publish_reply(array({text("not_found")})).status == StoreStatus::not_found);
  for (const Reply& wrong : {array({text("published"), text("E1"), number(0), number(0), number(0)}),
                             array({text("published"), text("E1"), number(5), number(4), number(0)}),
                             array({text("published"), text("E1"), number(1), number(1), number(2)}),
                             array({text("published"), text("E1"), number(1), number(1)})}) {
    CHECK(read_publish_reply(wrong).status == StoreStatus::unavailable);
  }
}

TEST_CASE("replies: info, with and without retained messages") {
  const auto info = read_info_reply(array({text("ok"), text("E1"), text("12"), text("8-0"), number(5)}));
  REQUIRE(info.status == StoreStatus::ok);
  CHECK(info.value.epoch == "E1");
  CHECK(info.value.seq == 12);
  CHECK(info.value.first_retained == 8);
  CHECK(info.value.retained == 5);
  const auto empty = read_info_reply(array({text("ok"), text("E1"), text("3"), text(""), number(0)}));
  REQUIRE(empty.status == StoreStatus::ok);
  CHECK(empty.value.first_retained == 0);
  CHECK(empty.value.retained == 0);
  CHECK(read_info_reply(array({text("not_found")})).status == StoreStatus::not_found);
  // The first ID and the count must agree, and the ID be <seq>-0.
  CHECK(read_info_reply(array({text("ok"), text("E1"), text("3"), text(""), number(2)})).status ==
        StoreStatus::unavailable);
  CHECK(read_info_reply(array({text("ok"), text("E1"), text("3"), text("2-0"), number(0)})).status ==
        StoreStatus::unavailable);
  CHECK(read_info_reply(array({text("ok"), text("E1"), text("3"), text("2-5"), number(2)})).status ==
        StoreStatus::unavailable);
}

TEST_CASE("replies: history, oldest first either way, every field byte for byte") {
  const std::string payload("{\"a\":\"x\ny\"}\0\xff", 14);
  const auto oldest_first =
      array({text("ok"), text("E1"), text("12"), text("10-0"), number(3),
             array({entry("11-0", "\"a\"", payload, "T11"), entry("12-0", "\"b\"", "2", "T12")})});
  const auto page = read_history_reply(oldest_first, false);
  REQUIRE(page.status == StoreStatus::ok);
  CHECK(page.value.topic.seq == 12);
  CHECK(page.value.topic.first_retained == 10);
  REQUIRE(page.value.messages.size() == 2);
  CHECK(page.value.messages[0].seq == 11);
  CHECK(page.value.messages[0].id == "\"a\"");
  CHECK(page.value.messages[0].payload == payload);
  CHECK(page.value.messages[0].ts == "T11");
  CHECK(page.value.messages[1].seq == 12);

  const auto newest_first = array({text("ok"), text("E1"), text("12"), text("10-0"), number(3),
                                   array({entry("12-0", "\"b\"", "2", "T12"), entry("11-0", "\"a\"", "1", "T11")})});
  const auto last = read_history_reply(newest_first, true);
  REQUIRE(last.status == StoreStatus::ok);
  REQUIRE(last.value.messages.size() == 2);
  CHECK(last.value.messages[0].seq == 11);
  CHECK(last.value.messages[1].seq == 12);

  CHECK(read_history_reply(array({text("not_found")}), false).status == StoreStatus::not_found);
  const auto missing_ts =
      array({text("ok"), text("E1"), text("1"), text("1-0"), number(1),
             array({array({text("1-0"), array({text("id"), text("\"a\""), text("payload"), text("1")})})})});
  CHECK(read_history_reply(missing_ts, false).status == StoreStatus::unavailable);
  const auto bad_id =
      array({text("ok"), text("E1"), text("1"), text("1-0"), number(1), array({entry("1-1", "\"a\"", "1", "T")})});
  CHECK(read_history_reply(bad_id, false).status == StoreStatus::unavailable);
  const auto no_entries = array({text("ok"), text("E1"), text("1"), text("1-0"), number(1)});
  CHECK(read_history_reply(no_entries, false).status == StoreStatus::unavailable);
}

TEST_CASE("replies: the registry and the listing of each name") {
  const auto names = read_registry_reply(array({text("b"), text("a")}));
  REQUIRE(names.status == StoreStatus::ok);
  CHECK(names.value == std::vector<std::string>{"b", "a"});
  CHECK(read_registry_reply(array({})).value.empty());
  CHECK(read_registry_reply(text("a")).status == StoreStatus::unavailable);

  const auto listing = read_listing_reply(array({text("E1"), text("7")}), "orders");
  REQUIRE(listing.status == StoreStatus::ok);
  CHECK(listing.value.name == "orders");
  CHECK(listing.value.epoch == "E1");
  CHECK(listing.value.seq == 7);
  CHECK(read_listing_reply(array({nil(), nil()}), "gone").status == StoreStatus::not_found);
  CHECK(read_listing_reply(array({text("E1")}), "t").status == StoreStatus::unavailable);
  CHECK(read_listing_reply(array({text("E1"), nil()}), "t").status == StoreStatus::unavailable);
}
