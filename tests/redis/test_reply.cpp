// Unit tests of replies (redis/reply.h): what hiredis parses from RESP2
// bytes becomes an owned Reply of the right kind.
#include "redis/reply.h"

#include <hiredis/hiredis.h>

#include <catch2/catch_test_macros.hpp>
#include <memory>

using pubsub::redis::Reply;
using pubsub::redis::ReplyKind;
using pubsub::redis::to_reply;

namespace {

// Parses `bytes` (one whole RESP2 value) with hiredis's own reader.
Reply parse(std::string_view bytes) {
  std::unique_ptr<redisReader, void (*)(redisReader*)> reader(redisReaderCreate(), redisReaderFree);
  REQUIRE(redisReaderFeed(reader.get(), bytes.data(), bytes.size()) == REDIS_OK);
  void* parsed = nullptr;
  REQUIRE(redisReaderGetReply(reader.get(), &parsed) == REDIS_OK);
  REQUIRE(parsed != nullptr);
  Reply reply = to_reply(*static_cast<redisReply*>(parsed));
  freeReplyObject(parsed);
  return reply;
}

}  // namespace

TEST_CASE("reply: status, error, integer, nil") {
  const Reply ok = parse("+OK\r\n");
  CHECK(ok.kind == ReplyKind::status);
  CHECK(ok.text == "OK");

  const Reply error = parse("-NOSCRIPT No matching script.\r\n");
  CHECK(error.is_error());
  CHECK(error.text == "NOSCRIPT No matching script.");
  CHECK(error.is_error("NOSCRIPT"));
  CHECK_FALSE(error.is_error("NOSCRIP"));
  CHECK_FALSE(error.is_error("ERR"));
  CHECK(parse("-ERR\r\n").is_error("ERR"));

  const Reply number = parse(":-42\r\n");
  CHECK(number.kind == ReplyKind::integer);
  CHECK(number.integer == -42);

  CHECK(parse("$-1\r\n").kind == ReplyKind::nil);
  CHECK(parse("*-1\r\n").kind == ReplyKind::nil);
}

TEST_CASE("reply: bulk strings keep every byte") {
  const Reply binary = parse(std::string_view("$6\r\na\0b\r\n\xff\r\n", 12));
  CHECK(binary.kind == ReplyKind::string);
  CHECK(binary.text == std::string("a\0b\r\n\xff", 6));
  const Reply empty = parse("$0\r\n\r\n");
  CHECK(empty.kind == ReplyKind::string);
  CHECK(empty.text.empty());
}

TEST_CASE("reply: arrays, nested, with every kind inside") {
  const Reply array = parse("*5\r\n:1\r\n$3\r\ntwo\r\n$-1\r\n*2\r\n+in\r\n-ERR x\r\n*0\r\n");
  REQUIRE(array.kind == ReplyKind::array);
  REQUIRE(array.elements.size() == 5);
  CHECK(array.elements[0].integer == 1);
  CHECK(array.elements[1].text == "two");
  CHECK(array.elements[2].kind == ReplyKind::nil);
  REQUIRE(array.elements[3].kind == ReplyKind::array);
  REQUIRE(array.elements[3].elements.size() == 2);
  CHECK(array.elements[3].elements[0].kind == ReplyKind::status);
  CHECK(array.elements[3].elements[1].is_error("ERR"));
  CHECK(array.elements[4].kind == ReplyKind::array);
  CHECK(array.elements[4].elements.empty());
}

TEST_CASE("reply: unavailable and error values") {
  const Reply gone = Reply::unavailable("connection lost");
  CHECK(gone.is_unavailable());
  CHECK_FALSE(gone.is_error());
  CHECK(gone.text == "connection lost");
  CHECK(Reply::error("ERR no").is_error("ERR"));
  CHECK(to_string(ReplyKind::unavailable) == "unavailable");
  CHECK(to_string(ReplyKind::array) == "array");
}
