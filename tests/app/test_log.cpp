// Tests of log line rendering (log.h): the text format and the JSON format
// (one valid object per line, numbers unquoted, strings escaped).
#include "common/log.h"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>

#include "protocol/json_scan.h"

using namespace pubsub;
using log::Format;
using log::Level;

namespace {

constexpr std::string_view kTime = "2025-08-25T10:00:00.003Z";

struct Members final : protocol::MemberVisitor {
  std::map<std::string, protocol::JsonValue> values;
  std::vector<std::string> order;
  void member(std::string_view key, protocol::JsonValue value) override {
    values[std::string(key)] = value;
    order.emplace_back(key);
  }
};

// Decodes a JSON string token.
std::string decoded(protocol::JsonValue value) {
  REQUIRE(value.type == protocol::JsonType::string);
  std::string out;
  REQUIRE(protocol::decode_json_string(value.raw.substr(1, value.raw.size() - 2), out));
  return out;
}

}  // namespace

TEST_CASE("text lines: time, level, message, then key=value fields", "[log][text]") {
  CHECK(log::format_line(Format::text, Level::info, kTime, "listening",
                         {{"host", "0.0.0.0"}, {"port", 8080}, {"threads", std::size_t{2}}}) ==
        "2025-08-25T10:00:00.003Z info listening host=0.0.0.0 port=8080 threads=2\n");
  CHECK(log::format_line(Format::text, Level::error, kTime, "stopped", {}) ==
        "2025-08-25T10:00:00.003Z error stopped\n");
}

TEST_CASE("text lines quote values that need it", "[log][text]") {
  CHECK(log::format_line(Format::text, Level::warn, kTime, "slow consumer disconnected",
                         {{"connection", 7}, {"reason", "outbound queue overflow"}}) ==
        "2025-08-25T10:00:00.003Z warn slow consumer disconnected connection=7 reason=\"outbound queue overflow\"\n");
  CHECK(log::format_line(Format::text, Level::info, kTime, "m", {{"empty", ""}}) ==
        "2025-08-25T10:00:00.003Z info m empty=\"\"\n");
  CHECK(log::format_line(Format::text, Level::info, kTime, "m", {{"eq", "a=b"}}) ==
        "2025-08-25T10:00:00.003Z info m eq=\"a=b\"\n");
  CHECK(log::format_line(Format::text, Level::info, kTime, "m", {{"q", "say \"hi\""}}) ==
        "2025-08-25T10:00:00.003Z info m q=\"say \\\"hi\\\"\"\n");
  // A newline in a value never splits the line.
  std::string line = log::format_line(Format::text, Level::info, kTime, "m", {{"error", "line1\nline2"}});
  CHECK(line == "2025-08-25T10:00:00.003Z info m error=\"line1\\u000aline2\"\n");
  CHECK(line.find('\n') == line.size() - 1);
}

TEST_CASE("level names", "[log]") {
  auto [level, name] = GENERATE(table<Level, std::string>({
      {Level::debug, "debug"},
      {Level::info, "info"},
      {Level::warn, "warn"},
      {Level::error, "error"},
  }));
  CHECK(log::format_line(Format::text, level, "T", "m", {}) == "T " + name + " m\n");
  CHECK(log::format_line(Format::json, level, "T", "m", {}) ==
        R"({"time":"T","level":")" + name + R"(","message":"m"})" + "\n");
}

TEST_CASE("json lines are one object with time, level, message and fields", "[log][json]") {
  std::string line = log::format_line(Format::json, Level::warn, kTime, "slow consumer disconnected",
                                      {{"connection", 7}, {"reason", "outbound queue overflow"}});
  CHECK(line == R"({"time":"2025-08-25T10:00:00.003Z","level":"warn","message":"slow consumer disconnected",)"
                R"("connection":7,"reason":"outbound queue overflow"})"
                "\n");
  REQUIRE(line.ends_with("\n"));
  CHECK(line.find('\n') == line.size() - 1);

  Members m;
  REQUIRE(protocol::scan_object(std::string_view(line).substr(0, line.size() - 1), m) == protocol::ObjectScan::ok);
  CHECK(m.order == std::vector<std::string>{"time", "level", "message", "connection", "reason"});
  CHECK(m.values["connection"].type == protocol::JsonType::number);
  CHECK(m.values["reason"].type == protocol::JsonType::string);
}

TEST_CASE("json lines keep numbers unquoted", "[log][json]") {
  std::string line = log::format_line(Format::json, Level::info, kTime, "numbers",
                                      {{"zero", 0},
                                       {"negative", -42},
                                       {"big", std::numeric_limits<std::uint64_t>::max()},
                                       {"small", std::numeric_limits<std::int64_t>::min()},
                                       {"text_number", "42"}});
  Members m;
  REQUIRE(protocol::scan_object(std::string_view(line).substr(0, line.size() - 1), m) == protocol::ObjectScan::ok);
  CHECK(m.values["zero"].raw == "0");
  CHECK(m.values["negative"].raw == "-42");
  CHECK(m.values["big"].raw == "18446744073709551615");
  CHECK(m.values["small"].raw == "-9223372036854775808");
  CHECK(m.values["text_number"].raw == R"("42")");  // strings stay strings
  CHECK(m.values["text_number"].type == protocol::JsonType::string);
}

TEST_CASE("json lines escape strings", "[log][json]") {
  const std::string nasty = "quote\" backslash\\ newline\n tab\t cr\r bell\x07 nul" + std::string(1, '\0') +
                            " unicode \xC3\xA9\xF0\x9F\x98\x80";
  std::string line =
      log::format_line(Format::json, Level::error, kTime, nasty,
                       {{"k\"ey", nasty}, {"std_string", std::string("s")}, {"view", std::string_view("v")}});
  REQUIRE(line.ends_with("}\n"));
  CHECK(line.find('\n') == line.size() - 1);  // one line whatever the content
  Members m;
  REQUIRE(protocol::scan_object(std::string_view(line).substr(0, line.size() - 1), m) == protocol::ObjectScan::ok);
  CHECK(decoded(m.values["message"]) == nasty);
  CHECK(m.values.contains(R"(k\"ey)"));
  CHECK(decoded(m.values[R"(k\"ey)"]) == nasty);
  CHECK(decoded(m.values["std_string"]) == "s");
  CHECK(decoded(m.values["view"]) == "v");
  CHECK(decoded(m.values["time"]) == kTime);
  CHECK(decoded(m.values["level"]) == "error");
}

// The server logs text it does not control (an HTTP target may hold any
// byte from 0x80 up), so a JSON line must stay valid JSON even then.
TEST_CASE("json lines stay valid JSON when a value is not UTF-8", "[log][json]") {
  const std::string target =
      "/topics/\xFF\xC0\x80"
      "caf\xC3";  // invalid UTF-8
  std::string line = log::format_line(Format::json, Level::debug, kTime, "http request",
                                      {{"method", "GET"}, {"target", target}, {"status", 404}});
  CAPTURE(line);
  protocol::JsonValue ignored;
  CHECK(protocol::scan_json(std::string_view(line).substr(0, line.size() - 1), ignored));
}

TEST_CASE("configure sets the enabled levels", "[log]") {
  log::configure(Level::warn, Format::text);
  CHECK_FALSE(log::enabled(Level::debug));
  CHECK_FALSE(log::enabled(Level::info));
  CHECK(log::enabled(Level::warn));
  CHECK(log::enabled(Level::error));
  log::configure(Level::debug, Format::text);
  CHECK(log::enabled(Level::debug));
  log::configure(Level::info, Format::text);  // back to the default
  CHECK_FALSE(log::enabled(Level::debug));
  CHECK(log::enabled(Level::info));
}
