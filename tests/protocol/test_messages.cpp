// Tests of the wire format (messages.h): every BAD_REQUEST rule of the
// contract's section 2, the exact frames of section 3 and the timestamp
// format of section 1.
#include "protocol/messages.h"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <limits>
#include <string>
#include <string_view>

#include "protocol/json_scan.h"

using Catch::Matchers::ContainsSubstring;
using namespace pubsub::protocol;
using namespace std::string_literals;

namespace {

constexpr std::string_view kUuid = "550e8400-e29b-41d4-a716-446655440000";
constexpr std::string_view kTs = "2025-08-25T10:00:00.123Z";

// Parses a copy of `frame` kept alive for the whole run: a Request points
// into the frame it was parsed from.
ParseResult parse(std::string_view frame, bool require_uuid = true) {
  static std::deque<std::string> frames;
  frames.emplace_back(frame);
  return parse_request(frames.back(), ParseOptions{require_uuid});
}

std::string publish_frame(std::string_view id_json, std::string_view payload_json = "{}") {
  return R"({"type":"publish","topic":"orders","message":{"id":)" + std::string(id_json) + R"(,"payload":)" +
         std::string(payload_json) + "}}";
}

struct BadCase {
  std::string frame;
  std::string_view field;  // the error message must name it
};

void check_bad(const BadCase& c, bool require_uuid = true) {
  CAPTURE(c.frame);
  ParseResult r = parse(c.frame, require_uuid);
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.error, ContainsSubstring(std::string(c.field)));
}

bool is_json(std::string_view text) {
  JsonValue ignored;
  return scan_json(text, ignored);
}

std::chrono::system_clock::time_point at(std::chrono::sys_days day, std::chrono::hours h, std::chrono::minutes m,
                                         std::chrono::seconds s, std::chrono::milliseconds ms) {
  return std::chrono::system_clock::time_point(day + h + m + s + ms);
}

}  // namespace

// ------------------------------------------------------------------ valid requests

TEST_CASE("parse_request accepts a full subscribe", "[messages]") {
  auto r = parse(R"({"type":"subscribe","topic":"orders","client_id":"s1","last_n":5,"request_id":"r-1"})");
  REQUIRE(r.ok);
  CHECK(r.error.empty());
  CHECK(r.request.type == RequestType::subscribe);
  CHECK(r.request.topic == "orders");
  CHECK(r.request.last_n == 5);
  REQUIRE(r.request.request_id.has_value());
  CHECK(*r.request.request_id == R"("r-1")");
}

TEST_CASE("parse_request accepts unsubscribe, ping and publish", "[messages]") {
  SECTION("unsubscribe") {
    auto r = parse(R"({"type":"unsubscribe","topic":"a.b_c-d:e","client_id":"x"})");
    REQUIRE(r.ok);
    CHECK(r.request.type == RequestType::unsubscribe);
    CHECK(r.request.topic == "a.b_c-d:e");
    CHECK_FALSE(r.request.request_id.has_value());
  }
  SECTION("ping needs nothing but its type") {
    auto r = parse(R"({"type":"ping"})");
    REQUIRE(r.ok);
    CHECK(r.request.type == RequestType::ping);
    CHECK_FALSE(r.request.request_id.has_value());
  }
  SECTION("ping ignores an invalid topic") {
    auto r = parse(R"({"type":"ping","topic":"bad topic","request_id":"p"})");
    REQUIRE(r.ok);
    CHECK(*r.request.request_id == R"("p")");
  }
  SECTION("publish keeps the id token and the payload bytes exactly") {
    const std::string payload = R"({ "b" : 99.50, "a":[1,2 ] ,"big": 123456789012345678901234567890, "s":"\u00e9" })";
    const std::string frame = R"({"type":"publish","topic":"orders","message":{"payload":)" + payload + R"(,"id":")" +
                              std::string(kUuid) + R"("},"request_id":"")";
    auto r = parse(frame + "}");
    REQUIRE(r.ok);
    CHECK(r.request.type == RequestType::publish);
    CHECK(r.request.topic == "orders");
    CHECK(r.request.message_id_raw == "\"" + std::string(kUuid) + "\"");
    CHECK(r.request.payload_raw == payload);
    CHECK(*r.request.request_id == R"("")");
  }
  SECTION("publish needs no client_id") { CHECK(parse(publish_frame("\"" + std::string(kUuid) + "\"")).ok); }
}

TEST_CASE("parse_request decodes escaped topic names and keys", "[messages]") {
  auto r = parse(R"({"typ\u0065":"subscribe","topic":"ord\u0065rs","client_\u0069d":"c"})");
  REQUIRE(r.ok);
  CHECK(r.request.type == RequestType::subscribe);
  CHECK(r.request.topic == "orders");
}

TEST_CASE("parse_request ignores unknown fields", "[messages]") {
  auto r = parse(R"({"extra":{"deep":[1,{"type":"bogus"}]},"type":"subscribe","x":null,"topic":"t",)"
                 R"("client_id":"c","message":"ignored for subscribe","last_n":2})");
  REQUIRE(r.ok);
  CHECK(r.request.type == RequestType::subscribe);
  CHECK(r.request.last_n == 2);
}

TEST_CASE("topic names of 1 to 255 allowed bytes are accepted", "[messages][topic]") {
  CHECK(is_valid_topic_name("a"));
  CHECK(is_valid_topic_name("AZaz09._-:"));
  CHECK(is_valid_topic_name(std::string(255, 'x')));
  CHECK_FALSE(is_valid_topic_name(""));
  CHECK_FALSE(is_valid_topic_name(std::string(256, 'x')));
  for (char c : std::string(" /\\?#%*+,;=@!\"'\t\n\x7f\xC3\xA9{}[]()<>|~`$&^")) {
    CAPTURE(c);
    CHECK_FALSE(is_valid_topic_name(std::string("a") + c));
  }
  auto r = parse(R"({"type":"publish","topic":")" + std::string(255, 'x') + R"(","message":{"id":")" +
                 std::string(kUuid) + R"(","payload":1}})");
  CHECK(r.ok);
  CHECK(r.request.topic.size() == 255);
}

TEST_CASE("is_uuid takes canonical 8-4-4-4-12 hex of either case", "[messages][uuid]") {
  CHECK(is_uuid(kUuid));
  CHECK(is_uuid("550E8400-E29B-41D4-A716-446655440000"));
  CHECK(is_uuid("00000000-0000-0000-0000-000000000000"));
  CHECK(is_uuid("ffffffff-FFFF-ffff-FFFF-ffffffffffff"));
  CHECK_FALSE(is_uuid(""));
  CHECK_FALSE(is_uuid("550e8400e29b41d4a716446655440000"));
  CHECK_FALSE(is_uuid("550e8400-e29b-41d4-a716-44665544000"));
  CHECK_FALSE(is_uuid("550e8400-e29b-41d4-a716-4466554400000"));
  CHECK_FALSE(is_uuid("550e8400-e29b-41d4-a716-44665544000g"));
  CHECK_FALSE(is_uuid("550e8400-e29b-41d4-a7164-46655440000"));
  CHECK_FALSE(is_uuid("550e8400-e29b-41d4-a716_446655440000"));
  CHECK_FALSE(is_uuid("{50e8400-e29b-41d4-a716-44665544000}"));
  CHECK_FALSE(is_uuid(" 550e8400-e29b-41d4-a716-44665544000"));
}

// ------------------------------------------------------------------ BAD_REQUEST

TEST_CASE("parse_request rejects invalid JSON", "[messages][bad]") {
  auto frame = GENERATE(as<std::string>{}, "", " ", "{", "not json", R"({"type":"ping")", R"({"type":"ping"} x)",
                        R"({"type":"ping",})", R"({'type':'ping'})", "{\"type\":\"p\xC0\x80\"}",
                        "{\"type\":\"ping\",\"request_id\":\"\xFF\"}");
  CAPTURE(frame);
  auto r = parse(frame);
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.error, ContainsSubstring("JSON"));
  CHECK_FALSE(r.request.request_id.has_value());
}

TEST_CASE("parse_request names the nesting limit when a frame nests too deep", "[messages][bad]") {
  const std::string deep_payload = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  auto frame = GENERATE_REF(as<std::string>{}, publish_frame(R"("id")", deep_payload),
                            std::string(kMaxJsonDepth + 1, '['), R"({"type":"ping","x":)" + deep_payload + "}");
  CAPTURE(frame.substr(0, 80));
  auto r = parse(frame);
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.error, ContainsSubstring("nesting deeper than 512 levels"));
}

TEST_CASE("parse_request accepts a payload nested up to the limit", "[messages][publish]") {
  // The frame and its message object are the first two levels.
  const std::size_t arrays = kMaxJsonDepth - 2;
  const std::string id = "\"" + std::string(kUuid) + "\"";
  CHECK(parse(publish_frame(id, std::string(arrays, '[') + std::string(arrays, ']'))).ok);
  CHECK_FALSE(parse(publish_frame(id, std::string(arrays + 1, '[') + std::string(arrays + 1, ']'))).ok);
}

TEST_CASE("parse_request rejects JSON that is not an object", "[messages][bad]") {
  auto frame = GENERATE(as<std::string>{}, "[]", R"([{"type":"ping"}])", R"("ping")", "42", "null", "true");
  CAPTURE(frame);
  auto r = parse(frame);
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.error, ContainsSubstring("object"));
}

TEST_CASE("parse_request rejects a missing or invalid type", "[messages][bad]") {
  auto frame =
      GENERATE(as<std::string>{}, R"({})", R"({"topic":"t","client_id":"c"})", R"({"type":1})", R"({"type":null})",
               R"({"type":["ping"]})", R"({"type":{}})", R"({"type":""})", R"({"type":"Ping"})",
               R"({"type":"SUBSCRIBE"})", R"({"type":"pong"})", R"({"type":"ping "})", R"({"type":"event"})");
  check_bad(BadCase{frame, "type"});
}

TEST_CASE("parse_request rejects a missing, non-string or invalid topic", "[messages][bad][topic]") {
  const std::string uuid = "\"" + std::string(kUuid) + "\"";
  auto prefix = GENERATE_COPY(as<std::string>{}, R"({"type":"subscribe","client_id":"c")",
                              R"({"type":"unsubscribe","client_id":"c")",
                              R"({"type":"publish","message":{"id":)" + uuid + R"(,"payload":1})");
  auto topic_member =
      GENERATE(as<std::string>{}, "",  // missing
               R"(,"topic":5)", R"(,"topic":null)", R"(,"topic":["a"])", R"(,"topic":{})", R"(,"topic":true)",
               R"(,"topic":"")", R"(,"topic":"a b")", R"(,"topic":"a/b")", R"(,"topic":"\u00e9")",
               ","
               R"("topic":"caf)"
               "\xC3\xA9"
               "\"",
               R"(,"topic":"a\u0000")", R"(,"topic":"a\nb")", R"(,"topic":"\ud800")",
               R"(,"topic":")" + std::string(256, 'x') + "\"");
  check_bad(BadCase{prefix + topic_member + "}", "topic"});
}

TEST_CASE("parse_request rejects a missing, empty or non-string client_id", "[messages][bad]") {
  auto type = GENERATE(as<std::string>{}, "subscribe", "unsubscribe");
  auto member = GENERATE(as<std::string>{}, "", R"(,"client_id":"")", R"(,"client_id":5)", R"(,"client_id":null)",
                         R"(,"client_id":["c"])", R"(,"client_id":{"id":"c"})", R"(,"client_id":false)");
  check_bad(BadCase{R"({"type":")" + type + R"(","topic":"t")" + member + "}", "client_id"});
}

TEST_CASE("parse_request rejects a missing or non-object message", "[messages][bad][publish]") {
  auto member = GENERATE(as<std::string>{}, "", R"(,"message":null)", R"(,"message":"hello")", R"(,"message":[])",
                         R"(,"message":42)");
  auto frame = R"({"type":"publish","topic":"t")" + member + "}";
  check_bad(BadCase{frame, "message"});
  CHECK_THAT(parse(frame).error, !ContainsSubstring("JSON"));  // not mistaken for a syntax error
}

TEST_CASE("parse_request rejects a missing, empty or non-string message.id", "[messages][bad][publish]") {
  auto uuid_required = GENERATE(true, false);
  auto message = GENERATE(as<std::string>{}, R"({"payload":1})", R"({"id":"","payload":1})", R"({"id":5,"payload":1})",
                          R"({"id":null,"payload":1})",
                          R"({"id":["550e8400-e29b-41d4-a716-446655440000"],"payload":1})", R"({"id":{},"payload":1})");
  check_bad(BadCase{R"({"type":"publish","topic":"t","message":)" + message + "}", "message.id"}, uuid_required);
}

TEST_CASE("parse_request requires a UUID message.id only while require_uuid is on", "[messages][bad][publish]") {
  auto id =
      GENERATE(as<std::string>{}, "\"abc\"", "\"550e8400e29b41d4a716446655440000\"",
               "\"550e8400-e29b-41d4-a716-44665544000g\"", "\"550e8400-e29b-41d4-a716-4466554400001\"",
               "\"{550e8400-e29b-41d4-a716-446655440000}\"", "\" 550e8400-e29b-41d4-a716-446655440000\"", "\"msg-1\"");
  check_bad(BadCase{publish_frame(id), "message.id"}, true);
  auto lenient = parse(publish_frame(id), false);
  REQUIRE(lenient.ok);
  CHECK(lenient.request.message_id_raw == id);
}

TEST_CASE("parse_request accepts UUIDs of either case", "[messages][publish]") {
  auto id = GENERATE(as<std::string>{}, "\"550e8400-e29b-41d4-a716-446655440000\"",
                     "\"550E8400-E29B-41D4-A716-446655440000\"", "\"550e8400-E29B-41d4-A716-446655440000\"",
                     // escapes are decoded before the check; the raw token is kept
                     "\"\\u0035\\u00350e8400-e29b-41d4-a716-446655440000\"");
  auto r = parse(publish_frame(id));
  REQUIRE(r.ok);
  CHECK(r.request.message_id_raw == id);
}

TEST_CASE("parse_request rejects a missing payload but accepts null", "[messages][bad][publish]") {
  const std::string id = "\"" + std::string(kUuid) + "\"";
  auto missing = R"({"type":"publish","topic":"t","message":{"id":)" + id + "}}";
  check_bad(BadCase{missing, "payload"});

  auto payload = GENERATE(as<std::string>{}, "null", "0", "\"\"", "[]", "{}", "false", " [ 1 ,\n2 ] ", "-1.50E+3",
                          "123456789012345678901234567890");
  auto r = parse(publish_frame(id, payload));
  REQUIRE(r.ok);
  std::string expected = payload;
  // The payload span starts and ends at the value; surrounding whitespace is JSON's.
  expected.erase(0, expected.find_first_not_of(" \n"));
  expected.erase(expected.find_last_not_of(" \n") + 1);
  CHECK(r.request.payload_raw == expected);
}

TEST_CASE("parse_request reads last_n", "[messages][last_n]") {
  const std::string prefix = R"({"type":"subscribe","topic":"t","client_id":"c")";
  SECTION("absent is 0") {
    auto r = parse(prefix + "}");
    REQUIRE(r.ok);
    CHECK(r.request.last_n == 0);
  }
  SECTION("integers") {
    CHECK(parse(prefix + R"(,"last_n":0})").request.last_n == 0);
    CHECK(parse(prefix + R"(,"last_n":100})").request.last_n == 100);
    CHECK(parse(prefix + R"(,"last_n":18446744073709551615})").request.last_n ==
          std::numeric_limits<std::uint64_t>::max());
  }
  SECTION("huge values saturate") {
    auto big = GENERATE(as<std::string>{}, "18446744073709551616", "99999999999999999999999999999999999999");
    auto r = parse(prefix + R"(,"last_n":)" + big + "}");
    REQUIRE(r.ok);
    CHECK(r.request.last_n == std::numeric_limits<std::uint64_t>::max());
  }
  SECTION("anything but a non-negative integer is rejected") {
    auto value = GENERATE(as<std::string>{}, "-1", "-0", "-18446744073709551616", "1.5", "1.0", "0.0", "1e2", "1E0",
                          "\"5\"", "null", "true", "[5]", "{}");
    check_bad(BadCase{prefix + R"(,"last_n":)" + value + "}", "last_n"});
  }
  SECTION("last_n is a subscribe field only") {
    CHECK(parse(R"({"type":"unsubscribe","topic":"t","client_id":"c","last_n":-1})").ok);
  }
}

TEST_CASE("parse_request rejects a non-string request_id and then echoes none", "[messages][bad][request_id]") {
  auto value = GENERATE(as<std::string>{}, "7", "null", "true", "[]", "{}", "[\"r\"]");
  auto frame = R"({"type":"ping","request_id":)" + value + "}";
  CAPTURE(frame);
  auto r = parse(frame);
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.error, ContainsSubstring("request_id"));
  CHECK_FALSE(r.request.request_id.has_value());
}

TEST_CASE("parse_request keeps a string request_id of a failing request for the error", "[messages][bad][request_id]") {
  struct Case {
    std::string frame;
    std::string_view field;
  };
  auto token = GENERATE(as<std::string>{}, R"("r-1")", R"("")", R"("a\"b\u00e9")", "\"\xC3\xA9\"");
  auto c = GENERATE_COPY(values<Case>({
      {R"({"type":"bogus","request_id":)" + token + "}", "type"},
      {R"({"request_id":)" + token + R"(,"type":"subscribe","client_id":"c"})", "topic"},
      {R"({"type":"subscribe","topic":"t","request_id":)" + token + "}", "client_id"},
      {R"({"type":"subscribe","topic":"t","client_id":"c","last_n":-3,"request_id":)" + token + "}", "last_n"},
      {R"({"type":"publish","topic":"t","request_id":)" + token + "}", "message"},
      {R"({"type":"publish","topic":"t","message":{"id":"x","payload":1},"request_id":)" + token + "}", "message.id"},
  }));
  CAPTURE(c.frame);
  auto r = parse(c.frame);
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.error, ContainsSubstring(std::string(c.field)));
  REQUIRE(r.request.request_id.has_value());
  CHECK(*r.request.request_id == token);  // the raw token, quotes and escapes included
}

TEST_CASE("error code spellings", "[messages]") {
  CHECK(to_string(ErrorCode::bad_request) == "BAD_REQUEST");
  CHECK(to_string(ErrorCode::topic_not_found) == "TOPIC_NOT_FOUND");
  CHECK(to_string(ErrorCode::slow_consumer) == "SLOW_CONSUMER");
  CHECK(to_string(ErrorCode::unauthorized) == "UNAUTHORIZED");
  CHECK(to_string(ErrorCode::internal) == "INTERNAL");
  CHECK(to_string(ErrorCode::forbidden) == "FORBIDDEN");
  CHECK(to_string(ErrorCode::limit_exceeded) == "LIMIT_EXCEEDED");
  CHECK(to_string(ErrorCode::rate_limited) == "RATE_LIMITED");
  CHECK(http_status(ErrorCode::forbidden) == 403);
  CHECK(http_status(ErrorCode::limit_exceeded) == 403);
  CHECK(http_status(ErrorCode::rate_limited) == 429);
}

// ------------------------------------------------------------------ frames

TEST_CASE("make_ack builds the ack of section 3", "[messages][frames]") {
  CHECK(make_ack(std::nullopt, "orders", kTs) ==
        R"({"type":"ack","topic":"orders","status":"ok","ts":"2025-08-25T10:00:00.123Z"})");
  CHECK(make_ack(R"("r-1")", "orders", kTs) ==
        R"({"type":"ack","request_id":"r-1","topic":"orders","status":"ok","ts":"2025-08-25T10:00:00.123Z"})");
  CHECK(make_ack(R"("")", "a:b", kTs) ==
        R"({"type":"ack","request_id":"","topic":"a:b","status":"ok","ts":"2025-08-25T10:00:00.123Z"})");
  // The request_id token is echoed as sent, escapes untouched.
  CHECK(make_ack(R"("q\"\u00e9")", "t", kTs) ==
        R"({"type":"ack","request_id":"q\"\u00e9","topic":"t","status":"ok","ts":"2025-08-25T10:00:00.123Z"})");
}

TEST_CASE("make_error builds the error of section 3", "[messages][frames]") {
  CHECK(make_error(std::nullopt, ErrorCode::slow_consumer, "too slow", kTs) ==
        R"({"type":"error","error":{"code":"SLOW_CONSUMER","message":"too slow"},"ts":"2025-08-25T10:00:00.123Z"})");
  CHECK(
      make_error(R"("r9")", ErrorCode::topic_not_found, "topic 'x' does not exist", kTs) ==
      R"({"type":"error","request_id":"r9","error":{"code":"TOPIC_NOT_FOUND","message":"topic 'x' does not exist"},"ts":"2025-08-25T10:00:00.123Z"})");
  // The message is escaped as a JSON string.
  auto frame = make_error(R"("")", ErrorCode::bad_request, "say \"hi\"\n\\", kTs);
  CHECK(
      frame ==
      R"({"type":"error","request_id":"","error":{"code":"BAD_REQUEST","message":"say \"hi\"\n\\"},"ts":"2025-08-25T10:00:00.123Z"})");
  CHECK(is_json(frame));
}

TEST_CASE("make_pong builds the pong of section 3", "[messages][frames]") {
  CHECK(make_pong(std::nullopt, kTs) == R"({"type":"pong","ts":"2025-08-25T10:00:00.123Z"})");
  CHECK(make_pong(R"("p1")", kTs) == R"({"type":"pong","request_id":"p1","ts":"2025-08-25T10:00:00.123Z"})");
}

TEST_CASE("make_heartbeat, make_topic_deleted and make_dropped build the infos of section 3", "[messages][frames]") {
  CHECK(make_heartbeat(kTs) == R"({"type":"info","msg":"ping","ts":"2025-08-25T10:00:00.123Z"})");
  CHECK(make_topic_deleted("orders", kTs) ==
        R"({"type":"info","topic":"orders","msg":"topic_deleted","ts":"2025-08-25T10:00:00.123Z"})");
  CHECK(make_dropped("orders", 7, kTs) ==
        R"({"type":"info","topic":"orders","msg":"dropped","dropped":7,"ts":"2025-08-25T10:00:00.123Z"})");
  CHECK(
      make_dropped("t", std::numeric_limits<std::uint64_t>::max(), kTs) ==
      R"({"type":"info","topic":"t","msg":"dropped","dropped":18446744073709551615,"ts":"2025-08-25T10:00:00.123Z"})");
}

TEST_CASE("make_event builds the event of section 3 with the payload untouched", "[messages][frames]") {
  CHECK(
      make_event("orders", "\"" + std::string(kUuid) + "\"", R"({ "b" : 99.50 , "a" : [1,2] })", 42, kTs) ==
      R"({"type":"event","topic":"orders","message":{"id":"550e8400-e29b-41d4-a716-446655440000","payload":{ "b" : 99.50 , "a" : [1,2] }},"seq":42,"ts":"2025-08-25T10:00:00.123Z"})");
  CHECK(make_event("t", R"("x")", "null", 1, kTs) ==
        R"({"type":"event","topic":"t","message":{"id":"x","payload":null},"seq":1,"ts":"2025-08-25T10:00:00.123Z"})");
}

TEST_CASE("a parsed publish becomes an event carrying its exact bytes", "[messages][frames]") {
  const std::string payload = "{\"n\":123456789012345678901234567890, \"s\":\"\\ud83d\\ude00\", \"k\":\"\xC3\xA9\"}";
  const std::string id = "\"550E8400-E29B-41D4-A716-446655440000\"";
  auto r = parse(publish_frame(id, payload));
  REQUIRE(r.ok);
  auto event = make_event(r.request.topic, r.request.message_id_raw, r.request.payload_raw, 3, kTs);
  CHECK(event == R"({"type":"event","topic":"orders","message":{"id":)" + id + R"(,"payload":)" + payload +
                     R"(},"seq":3,"ts":"2025-08-25T10:00:00.123Z"})");
  CHECK(is_json(event));
}

TEST_CASE("format_timestamp writes RFC 3339 UTC with milliseconds", "[messages][ts]") {
  using namespace std::chrono;
  CHECK(format_timestamp(system_clock::time_point{}) == "1970-01-01T00:00:00.000Z");
  CHECK(format_timestamp(at(sys_days{2025y / August / 25}, 10h, 0min, 0s, 3ms)) == "2025-08-25T10:00:00.003Z");
  CHECK(format_timestamp(at(sys_days{2025y / August / 25}, 10h, 0min, 0s, 123ms)) == "2025-08-25T10:00:00.123Z");
  CHECK(format_timestamp(at(sys_days{2025y / August / 25}, 10h, 0min, 0s, 50ms)) == "2025-08-25T10:00:00.050Z");
  CHECK(format_timestamp(at(sys_days{2024y / February / 29}, 23h, 59min, 59s, 999ms)) == "2024-02-29T23:59:59.999Z");
  CHECK(format_timestamp(at(sys_days{2000y / January / 1}, 0h, 0min, 0s, 0ms)) == "2000-01-01T00:00:00.000Z");
  CHECK(format_timestamp(at(sys_days{2038y / January / 19}, 3h, 14min, 8s, 7ms)) == "2038-01-19T03:14:08.007Z");
  // Sub-millisecond parts are cut off, not rounded.
  CHECK(format_timestamp(system_clock::time_point(sys_days{2025y / August / 25} + 10h + 999us)) ==
        "2025-08-25T10:00:00.000Z");
  CHECK(format_timestamp(system_clock::time_point(sys_days{2025y / August / 25} + 10h + 1999us)) ==
        "2025-08-25T10:00:00.001Z");
  // Before the epoch the millisecond part still counts forward.
  CHECK(format_timestamp(system_clock::time_point{} - 1ms) == "1969-12-31T23:59:59.999Z");
  CHECK(format_timestamp(system_clock::time_point{} - 1s) == "1969-12-31T23:59:59.000Z");
}

// ------------------------------------------------------------------ positions and resume (section 9)

TEST_CASE("parse_request reads since_seq and epoch of a subscribe", "[messages][resume]") {
  const std::string prefix = R"({"type":"subscribe","topic":"t","client_id":"c")";
  auto plain = parse(prefix + "}");
  REQUIRE(plain.ok);
  CHECK_FALSE(plain.request.since_seq);
  CHECK_FALSE(plain.request.epoch);
  auto since = parse(prefix + R"(,"since_seq":0})");
  REQUIRE(since.ok);
  CHECK(since.request.since_seq == 0u);
  auto both = parse(prefix + R"(,"since_seq":42,"epoch":"Ab_-\u0030"})");
  REQUIRE(both.ok);
  CHECK(both.request.since_seq == 42u);
  CHECK(both.request.epoch == "Ab_-0");  // decoded
  auto huge = parse(prefix + R"(,"since_seq":99999999999999999999999})");
  REQUIRE(huge.ok);
  CHECK(huge.request.since_seq == std::numeric_limits<std::uint64_t>::max());
  CHECK(parse(R"({"type":"unsubscribe","topic":"t","client_id":"c","since_seq":-1,"epoch":5})").ok);
}

TEST_CASE("parse_request refuses the resume fields the contract forbids", "[messages][resume][bad]") {
  const std::string prefix = R"({"type":"subscribe","topic":"t","client_id":"c")";
  auto value = GENERATE(as<std::string>{}, "-1", "1.5", "1e2", "\"5\"", "null", "true", "[1]", "{}");
  check_bad(BadCase{prefix + R"(,"since_seq":)" + value + "}", "since_seq"});
  check_bad(BadCase{prefix + R"(,"since_seq":1,"last_n":2})", "last_n"});
  check_bad(BadCase{prefix + R"(,"last_n":0,"since_seq":0})", "since_seq and last_n"});
  check_bad(BadCase{prefix + R"(,"epoch":"abc"})", "epoch needs since_seq"});
  auto epoch = GENERATE(as<std::string>{}, "5", "null", "[\"a\"]", "{}", "true");
  check_bad(BadCase{prefix + R"(,"since_seq":1,"epoch":)" + epoch + "}", "epoch must be a string"});
}

TEST_CASE("make_ack carries the epoch, seq and recovered it is given, in that order", "[messages][frames][resume]") {
  CHECK(make_ack(R"("s")", "t", kTs, {"E1", 7u, true}) ==
        R"({"type":"ack","request_id":"s","topic":"t","status":"ok","epoch":"E1","seq":7,"recovered":true,)"
        R"("ts":"2025-08-25T10:00:00.123Z"})");
  CHECK(make_ack(std::nullopt, "t", kTs, {"E1", 0u, false}) ==
        R"({"type":"ack","topic":"t","status":"ok","epoch":"E1","seq":0,"recovered":false,)"
        R"("ts":"2025-08-25T10:00:00.123Z"})");
  CHECK(make_ack(std::nullopt, "t", kTs, {std::nullopt, 12u, std::nullopt}) ==
        R"({"type":"ack","topic":"t","status":"ok","seq":12,"ts":"2025-08-25T10:00:00.123Z"})");
}

TEST_CASE("write_history_item keeps id and payload byte for byte", "[messages][history]") {
  // A payload that holds the very text the item is cut at.
  const std::string payload = R"({"x": "},\"seq\":", "message":{"id":1}, "n" : 1.50E+2})";
  const std::string event = make_event("t:1", R"("Id-\u0041")", payload, 31, kTs);
  std::string item;
  write_history_item(item, event);
  CHECK(item == R"({"id":"Id-\u0041","payload":)" + payload + R"(,"seq":31,"ts":"2025-08-25T10:00:00.123Z"})");
  CHECK(is_json(item));
}

TEST_CASE("parse_message_body reads an HTTP publish's body and names bad fields", "[messages][http]") {
  const std::string body = R"( {"payload": [1, 2] ,"id":")" + std::string(kUuid) + R"(","extra":1} )";
  auto ok = parse_message_body(body, {});
  REQUIRE(ok.ok);
  CHECK(ok.message.id_raw == "\"" + std::string(kUuid) + "\"");
  CHECK(ok.message.payload_raw == "[1, 2]");

  struct Bad {
    std::string body;
    std::string_view says;
  };
  auto c = GENERATE(values<Bad>({
      {"", "body is not valid JSON"},
      {"[1]", "body must be a JSON object"},
      {R"({"payload":1})", "id is required"},
      {R"({"id":"","payload":1})", "id must not be empty"},
      {R"({"id":"x","payload":1})", "id must be a UUID"},
      {R"({"id":"550e8400-e29b-41d4-a716-446655440000"})", "payload is required"},
  }));
  CAPTURE(c.body);
  auto bad = parse_message_body(c.body, {});
  CHECK_FALSE(bad.ok);
  CHECK_THAT(bad.error, ContainsSubstring(std::string(c.says)));
  CHECK(parse_message_body(R"({"id":"x","payload":1})", ParseOptions{false}).ok);
  CHECK_THAT(parse_message_body(R"({"id":7,"payload":1})", {}, "messages[3].").error,
             ContainsSubstring("messages[3].id is required"));
}

TEST_CASE("array_elements lists an array's elements in order", "[messages][json]") {
  const auto elements = array_elements(R"( [1, {"a":[2]} , "x",[]] )");
  REQUIRE(elements.size() == 4);
  CHECK(elements[0].raw == "1");
  CHECK(elements[1].raw == R"({"a":[2]})");
  CHECK(elements[1].type == JsonType::object);
  CHECK(elements[2].raw == R"("x")");
  CHECK(elements[3].raw == "[]");
  CHECK(array_elements("[]").empty());
  CHECK(array_elements("[1,").empty());
  CHECK(array_elements("{}").empty());
}
