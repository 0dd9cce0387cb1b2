// Payloads (JSON or a string), message ids, and the requests that carry them.
#include <catch2/catch_test_macros.hpp>
#include <set>

#include "cli/payload.h"
#include "protocol/messages.h"

using namespace pubsub::cli;

TEST_CASE("text that parses as one JSON value is sent as that value") {
  CHECK(payload_json(R"({"text":"hi"})", false) == R"({"text":"hi"})");
  CHECK(payload_json("[1, 2]", false) == "[1, 2]");
  CHECK(payload_json("42", false) == "42");
  CHECK(payload_json("-1.5e3", false) == "-1.5e3");
  CHECK(payload_json("123456789012345678901234567890", false) == "123456789012345678901234567890");
  CHECK(payload_json("true", false) == "true");
  CHECK(payload_json("null", false) == "null");
  CHECK(payload_json(R"("quoted")", false) == R"("quoted")");
  // Surrounding white space is not part of the value.
  CHECK(payload_json("  {\"a\":1}\t", false) == R"({"a":1})");
}

TEST_CASE("any other text is sent as a JSON string of itself") {
  CHECK(payload_json("hello", false) == R"("hello")");
  CHECK(payload_json("hello world", false) == R"("hello world")");
  CHECK(payload_json("{not json", false) == R"("{not json")");
  CHECK(payload_json("1 2", false) == R"("1 2")");
  CHECK(payload_json("", false) == R"("")");
  CHECK(payload_json("say \"hi\"\\\t", false) == R"("say \"hi\"\\\t")");
  CHECK(payload_json("caf\xc3\xa9", false) == "\"caf\xc3\xa9\"");
}

TEST_CASE("--raw-string sends even JSON as a string") {
  CHECK(payload_json("42", true) == R"("42")");
  CHECK(payload_json(R"({"a":1})", true) == R"("{\"a\":1}")");
}

TEST_CASE("text that is not UTF-8 cannot be a string") {
  CHECK_FALSE(payload_json("\xff", false));
  CHECK_FALSE(payload_json("\"\xc3\"", false));
  CHECK_FALSE(payload_json("\xff", true));
}

TEST_CASE("message ids are fresh version 4 UUIDs") {
  MessageIds ids;
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = ids.next();
    REQUIRE(pubsub::protocol::is_uuid(id));
    CHECK(id[14] == '4');
    CHECK(std::string("89ab").find(id[19]) != std::string::npos);
    CHECK(id.find_first_of("ABCDEF") == std::string::npos);
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
  CHECK(MessageIds().next() != MessageIds().next());
}

TEST_CASE("a publish request and a message body the server parses") {
  const std::string request =
      publish_request("orders:eu", "550e8400-e29b-41d4-a716-446655440000", R"({"qty":3})", "p7");
  CHECK(
      request ==
      R"({"type":"publish","topic":"orders:eu","message":{"id":"550e8400-e29b-41d4-a716-446655440000","payload":{"qty":3}},"request_id":"p7"})");
  const auto parsed = pubsub::protocol::parse_request(request, {});
  REQUIRE(parsed.ok);
  CHECK(parsed.request.topic == "orders:eu");
  CHECK(parsed.request.payload_raw == R"({"qty":3})");
  CHECK(parsed.request.request_id == R"("p7")");

  const std::string body = message_body("550e8400-e29b-41d4-a716-446655440000", R"("hi")");
  const auto message = pubsub::protocol::parse_message_body(body, {});
  REQUIRE(message.ok);
  CHECK(message.message.payload_raw == R"("hi")");
}
