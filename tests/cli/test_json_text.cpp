// The layout of printed JSON: compact lines, and --pretty.
#include <catch2/catch_test_macros.hpp>

#include "cli/json_text.h"

using namespace pubsub::cli;

TEST_CASE("compact JSON drops white space outside strings only") {
  CHECK(compact_json("{ \"a\" : [1, 2],\n\t\"b\": \"x y\\\" z\" }") == R"({"a":[1,2],"b":"x y\" z"})");
  CHECK(compact_json(R"({"type":"event","seq":1})") == R"({"type":"event","seq":1})");
  CHECK(compact_json(R"("a\\" )") == R"("a\\")");
  CHECK(compact_json("  12345678901234567890123 ") == "12345678901234567890123");
}

TEST_CASE("compact JSON is one line even when the payload was sent over several") {
  const std::string event = "{\"type\":\"event\",\"message\":{\"payload\":{\n  \"a\": 1\n}},\"seq\":2}";
  const std::string line = compact_json(event);
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line == R"({"type":"event","message":{"payload":{"a":1}},"seq":2})");
}

TEST_CASE("pretty JSON indents by two spaces per level") {
  CHECK(pretty_json(R"({"a":[1,{"b":null}],"c":{},"d":[],"e":"x:{,}"})") ==
        "{\n"
        "  \"a\": [\n"
        "    1,\n"
        "    {\n"
        "      \"b\": null\n"
        "    }\n"
        "  ],\n"
        "  \"c\": {},\n"
        "  \"d\": [],\n"
        "  \"e\": \"x:{,}\"\n"
        "}");
  CHECK(pretty_json(" 42 ") == "42");
  CHECK(pretty_json("{ }") == "{}");
}
