// Tests of the strict JSON validator (json_scan.h): RFC 8259 grammar, UTF-8
// validation inside strings, the nesting limit, raw spans, string decoding
// and encoding. Inputs are byte strings, malformed and truncated ones
// included.
#include "protocol/json_scan.h"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace std::string_view_literals;
using pubsub::protocol::append_json_string;
using pubsub::protocol::decode_json_string;
using pubsub::protocol::JsonType;
using pubsub::protocol::JsonValue;
using pubsub::protocol::kMaxJsonDepth;
using pubsub::protocol::MemberVisitor;
using pubsub::protocol::ObjectScan;
using pubsub::protocol::scan_json;
using pubsub::protocol::scan_object;

namespace {

bool valid(std::string_view text) {
  JsonValue ignored;
  return scan_json(text, ignored);
}

// Wraps raw bytes in quotes: the bytes are then the inside of a JSON string.
std::string quoted(std::string_view inner) { return "\"" + std::string(inner) + "\""; }

// Records every member a scan reports.
struct Recorder final : MemberVisitor {
  struct Member {
    std::string key;
    std::string raw;
    JsonType type;
    const char* data;  // where the raw span points
  };
  std::vector<Member> members;
  void member(std::string_view raw_key, JsonValue value) override {
    members.push_back({std::string(raw_key), std::string(value.raw), value.type, value.raw.data()});
  }
};

std::string nested_arrays(int depth) {
  return std::string(static_cast<std::size_t>(depth), '[') + std::string(static_cast<std::size_t>(depth), ']');
}

std::string nested_objects(int depth) {
  std::string out;
  for (int i = 0; i < depth; ++i) out += R"({"a":)";
  out += "1";
  out += std::string(static_cast<std::size_t>(depth), '}');
  return out;
}

}  // namespace

TEST_CASE("scan_json accepts every kind of valid JSON value", "[json_scan]") {
  auto text = GENERATE(as<std::string_view>{}, "null", "true", "false", "0", "-0", "7", "-12", "1.5", "-0.25", "1e5",
                       "1E5", "1e+5", "1e-5", "-1.25E-10", "0.0e0",
                       // integers beyond 64 bits are valid JSON
                       "123456789012345678901234567890", "-98765432109876543210987654321", R"("")", R"("abc")",
                       R"("a\"b")", R"("\\ \/ \b \f \n \r \t")", R"("\u00e9\u00E9")", R"("\uD83D\uDE00")",
                       // a lone surrogate escape is valid JSON syntax (decoding it fails)
                       R"("\uD800")", R"("\uDC00")",
                       "\"\x7f\"",  // DEL is not a control character in JSON
                       "[]", "{}", "[1,2,3]", "[ 1 , [ 2 , [ ] ] ]", R"({"a":1})", R"({"a":{"b":[null,true]}})",
                       R"({"":0})", " \t\r\n{\"a\" : 1 }\n\t ", "[\"x\",{\"y\":[-1.5e3]}]");
  CAPTURE(text);
  CHECK(valid(text));
}

TEST_CASE("scan_json accepts valid UTF-8 of every length inside strings", "[json_scan][utf8]") {
  auto inner = GENERATE(as<std::string_view>{},
                        "\xC2\x80",          // U+0080, smallest 2-byte
                        "\xC3\xA9",          // é
                        "\xDF\xBF",          // U+07FF, largest 2-byte
                        "\xE0\xA0\x80",      // U+0800, smallest 3-byte
                        "\xE2\x82\xAC",      // €
                        "\xED\x9F\xBF",      // U+D7FF, just below the surrogates
                        "\xEE\x80\x80",      // U+E000, just above the surrogates
                        "\xEF\xBF\xBF",      // U+FFFF
                        "\xF0\x90\x80\x80",  // U+10000, smallest 4-byte
                        "\xF0\x9F\x98\x80",  // 😀
                        "\xF4\x8F\xBF\xBF"   // U+10FFFF, the largest code point
  );
  CAPTURE(inner);
  CHECK(valid(quoted(inner)));
  CHECK(valid("{" + quoted(inner) + ":" + quoted(inner) + "}"));
}

TEST_CASE("scan_json rejects truncated input", "[json_scan]") {
  auto text = GENERATE(as<std::string_view>{}, "", " ", "\n\t", "{", "[", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":1,",
                       "[1,", "[1", "\"", "\"abc", "\"abc\\", "\"\\u12", "t", "tr", "tru", "fals", "nul", "-", "1.",
                       "1e", "1e+", "[\"a\",{\"b\":[");
  CAPTURE(text);
  CHECK_FALSE(valid(text));
}

TEST_CASE("scan_json rejects trailing garbage after the value", "[json_scan]") {
  auto text = GENERATE(as<std::string_view>{}, "{} x", "{}}", "[]]", "1 2", "\"a\" \"b\"", "null,", "truex", "nulll",
                       "{\"a\":1} {}", "0 0", "[] ,", "1x");
  CAPTURE(text);
  CHECK_FALSE(valid(text));
}

TEST_CASE("scan_json rejects malformed structure", "[json_scan]") {
  auto text = GENERATE(as<std::string_view>{}, "[1,]", "[,1]", "[1 2]", "{\"a\":1,}", "{,}", "{\"a\"}", "{\"a\" 1}",
                       "{\"a\"::1}", "{a:1}", "{'a':1}", "{1:1}", "{\"a\":1 \"b\":2}", "[}", "{]", "'a'", "True",
                       "NULL", "undefined", "NaN", "Infinity", "-Infinity", "{\"a\":}", ":", ",");
  CAPTURE(text);
  CHECK_FALSE(valid(text));
}

TEST_CASE("scan_json checks number spelling", "[json_scan][number]") {
  SECTION("invalid numbers") {
    auto text = GENERATE(as<std::string_view>{}, "01", "-01", "00", "-", "--1", "+1", "1.", "-1.", "1.e5", ".5", "-.5",
                         "1e", "1E", "1e+", "1e-", "1.5.5", "1e5e5", "0x10", "1_000", "- 1", "[01]", "[1.]",
                         "{\"a\":-}", "{\"a\":1e}");
    CAPTURE(text);
    CHECK_FALSE(valid(text));
  }
  SECTION("valid numbers keep their spelling") {
    auto text = GENERATE(as<std::string_view>{}, "99.50", "1.0", "-0.0", "1E+05", "1e-0007", "0.000",
                         "18446744073709551616", "100000000000000000000000000000000000000000");
    JsonValue out;
    REQUIRE(scan_json(text, out));
    CHECK(out.type == JsonType::number);
    CHECK(out.raw == text);
  }
}

TEST_CASE("scan_json rejects bad escapes", "[json_scan][string]") {
  auto inner = GENERATE(as<std::string_view>{}, "\\x41", "\\a", "\\'", "\\0", "\\U0041", "\\u", "\\u1", "\\u12",
                        "\\u123", "\\u12G4", "\\uXYZW", "\\u-123", "\\ ", "\\\n", "\\");
  CAPTURE(inner);
  CHECK_FALSE(valid(quoted(inner)));
}

TEST_CASE("scan_json rejects raw control characters in strings", "[json_scan][string]") {
  for (int c = 0; c < 0x20; ++c) {
    std::string inner = "a";
    inner += static_cast<char>(c);
    inner += "b";
    CAPTURE(c);
    CHECK_FALSE(valid(quoted(inner)));
    // ... also in keys
    CHECK_FALSE(valid("{" + quoted(inner) + ":1}"));
  }
  // The escaped forms are fine.
  CHECK(valid(R"("a\u0000b\u001fc\n")"));
}

TEST_CASE("scan_json rejects invalid UTF-8 inside strings", "[json_scan][utf8]") {
  auto inner = GENERATE(as<std::string_view>{},
                        // overlong encodings
                        "\xC0\x80", "\xC1\xBF", "\xE0\x80\x80", "\xE0\x9F\xBF", "\xF0\x80\x80\x80", "\xF0\x8F\xBF\xBF",
                        // UTF-16 surrogates encoded in UTF-8 (CESU-style)
                        "\xED\xA0\x80", "\xED\xAF\xBF", "\xED\xB0\x80", "\xED\xBF\xBF", "\xED\xA0\xBD\xED\xB8\x80",
                        // above U+10FFFF and bytes that never occur
                        "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xF7\xBF\xBF\xBF", "\xF8\x88\x80\x80\x80",
                        "\xFC\x84\x80\x80\x80\x80", "\xFE", "\xFF",
                        // continuation bytes without a lead byte
                        "\x80", "\xBF", "a\x80", "\xC3\xA9\xA9",
                        // truncated sequences (followed by the closing quote)
                        "\xC2", "\xE2\x82", "\xE2", "\xF0\x9F\x98", "\xF0\x9F", "\xF0",
                        // bad continuation bytes
                        "\xC2\x41", "\xC2\xC2\x80", "\xE2\x28\xA1", "\xE2\x82\x28", "\xE2\x82\xC0", "\xF0\x9F\x98\x41",
                        "\xF0\x28\x8C\xBC");
  CAPTURE(inner);
  CHECK_FALSE(valid(quoted(inner)));
  CHECK_FALSE(valid("{" + quoted(inner) + ":1}"));  // keys are checked too
  CHECK_FALSE(valid("[\"ok\"," + quoted(inner) + "]"));
}

TEST_CASE("scan_json rejects truncated UTF-8 at the end of the input", "[json_scan][utf8]") {
  auto text = GENERATE(as<std::string_view>{}, "\"\xC2", "\"\xE2\x82", "\"\xF0\x9F\x98", "\"\xF0");
  CAPTURE(text);
  CHECK_FALSE(valid(text));
}

TEST_CASE("scan_json rejects bytes outside strings", "[json_scan][utf8]") {
  CHECK_FALSE(valid("\xC3\xA9"));
  CHECK_FALSE(valid("[\xC3\xA9]"));
  CHECK_FALSE(valid("\xEF\xBB\xBF{}"));  // no byte order mark
  CHECK_FALSE(valid("{}\x00"sv));
  CHECK_FALSE(valid("\x0b{}"));  // vertical tab is not JSON whitespace
  CHECK_FALSE(valid("\f[]"));
}

TEST_CASE("scan_json enforces the nesting limit", "[json_scan][depth]") {
  CHECK(valid(nested_arrays(1)));
  CHECK(valid(nested_arrays(kMaxJsonDepth)));
  CHECK_FALSE(valid(nested_arrays(kMaxJsonDepth + 1)));
  CHECK_FALSE(valid(nested_arrays(100000)));  // deep hostile input fails cleanly

  CHECK(valid(nested_objects(kMaxJsonDepth)));
  CHECK_FALSE(valid(nested_objects(kMaxJsonDepth + 1)));

  // Mixed nesting counts both kinds.
  std::string mixed;
  for (int i = 0; i < kMaxJsonDepth / 2; ++i) mixed += R"([{"k":)";
  mixed += "0";
  for (int i = 0; i < kMaxJsonDepth / 2; ++i) mixed += "}]";
  CHECK(valid(mixed));
  CHECK_FALSE(valid("[" + mixed + "]"));

  // scan_object counts its top-level object as depth 1, like scan_json.
  Recorder recorder;
  CHECK(scan_object(nested_objects(kMaxJsonDepth), recorder) == ObjectScan::ok);
  CHECK(scan_object(nested_objects(kMaxJsonDepth + 1), recorder) == ObjectScan::too_deep);
  CHECK(scan_object(R"({"a":)" + nested_arrays(kMaxJsonDepth - 1) + "}", recorder) == ObjectScan::ok);
  CHECK(scan_object(R"({"a":)" + nested_arrays(kMaxJsonDepth) + "}", recorder) == ObjectScan::too_deep);
}

TEST_CASE("scan_object tells nesting past the limit from invalid JSON", "[json_scan][depth]") {
  Recorder recorder;
  // Past the limit, whatever follows: the scan stops there.
  CHECK(scan_object(nested_objects(100000), recorder) == ObjectScan::too_deep);
  std::string unclosed;
  for (int i = 0; i <= kMaxJsonDepth; ++i) unclosed += R"({"a":)";
  CHECK(scan_object(unclosed, recorder) == ObjectScan::too_deep);
  CHECK(scan_object(R"({"a":)" + std::string(kMaxJsonDepth, '['), recorder) == ObjectScan::too_deep);
  // A value that is not an object says the same when it is too deep.
  CHECK(scan_object(nested_arrays(kMaxJsonDepth), recorder) == ObjectScan::not_an_object);
  CHECK(scan_object(nested_arrays(kMaxJsonDepth + 1), recorder) == ObjectScan::too_deep);
  // An error before the limit is reached is invalid JSON.
  CHECK(scan_object(R"({"a":x,"b":)" + nested_arrays(kMaxJsonDepth + 1) + "}", recorder) == ObjectScan::invalid_json);
  CHECK(scan_object("[x," + nested_arrays(kMaxJsonDepth + 1) + "]", recorder) == ObjectScan::invalid_json);
}

TEST_CASE("scan_json reports the type and exact raw span of the value", "[json_scan][raw]") {
  struct Case {
    std::string_view text;
    std::string_view raw;
    JsonType type;
  };
  auto c = GENERATE(values<Case>({
      {"null", "null", JsonType::null},
      {" true ", "true", JsonType::boolean},
      {"\tfalse\n", "false", JsonType::boolean},
      {" 99.50 ", "99.50", JsonType::number},
      {"-0.0e-00", "-0.0e-00", JsonType::number},
      {"123456789012345678901234567890", "123456789012345678901234567890", JsonType::number},
      {R"(  "a\u0041\n"  )", R"("a\u0041\n")", JsonType::string},
      {"\r\n[1 , 2,\t3 ]\r\n", "[1 , 2,\t3 ]", JsonType::array},
      {R"( { "b" : 1 , "a" : [ ] } )", R"({ "b" : 1 , "a" : [ ] })", JsonType::object},
  }));
  JsonValue out;
  REQUIRE(scan_json(c.text, out));
  CHECK(out.type == c.type);
  CHECK(out.raw == c.raw);
  // The span points into the input, not into a copy.
  CHECK(out.raw.data() >= c.text.data());
  CHECK(out.raw.data() + out.raw.size() <= c.text.data() + c.text.size());
}

TEST_CASE("scan_object reports top-level members in document order with raw spans", "[json_scan][raw]") {
  const std::string_view text =
      " {\"b\" : 99.50 ,\"a\":{ \"x\" : [1,  2] , \"y\":null },\"c\" :\"\\u00e9\\n\", \"\\u0061\":true,"
      "\"big\":123456789012345678901234567890,\"b\":-1E+2,\"e\":[ ] } ";
  Recorder recorder;
  REQUIRE(scan_object(text, recorder) == ObjectScan::ok);
  REQUIRE(recorder.members.size() == 7);

  const auto& m = recorder.members;
  CHECK(m[0].key == "b");
  CHECK(m[0].raw == "99.50");
  CHECK(m[0].type == JsonType::number);
  CHECK(m[1].key == "a");
  CHECK(m[1].raw == R"({ "x" : [1,  2] , "y":null })");  // nested members are not reported separately
  CHECK(m[1].type == JsonType::object);
  CHECK(m[2].key == "c");
  CHECK(m[2].raw == R"("\u00e9\n")");
  CHECK(m[2].type == JsonType::string);
  CHECK(m[3].key == R"(\u0061)");  // keys are handed out undecoded
  CHECK(m[3].raw == "true");
  CHECK(m[3].type == JsonType::boolean);
  CHECK(m[4].key == "big");
  CHECK(m[4].raw == "123456789012345678901234567890");
  CHECK(m[5].key == "b");  // duplicates are reported as they come
  CHECK(m[5].raw == "-1E+2");
  CHECK(m[6].raw == "[ ]");
  CHECK(m[6].type == JsonType::array);
  for (const auto& member : m) {
    CHECK(member.data >= text.data());
    CHECK(member.data < text.data() + text.size());
  }
}

TEST_CASE("scan_object classifies its input", "[json_scan]") {
  SECTION("objects") {
    auto text = GENERATE(as<std::string_view>{}, "{}", " { } ", "\n{\"a\":[{}]}\n");
    Recorder recorder;
    CHECK(scan_object(text, recorder) == ObjectScan::ok);
  }
  SECTION("valid JSON of another type is not_an_object and reports nothing") {
    auto text = GENERATE(as<std::string_view>{}, "[]", "[{\"a\":1}]", "1", "\"{}\"", "null", "true", " 0 ");
    Recorder recorder;
    CHECK(scan_object(text, recorder) == ObjectScan::not_an_object);
    CHECK(recorder.members.empty());
  }
  SECTION("invalid JSON") {
    auto text = GENERATE(as<std::string_view>{}, "", "   ", "{", "[", "{\"a\":1", "{\"a\":1} x", "{\"a\":1}}", "{} {}",
                         "[1,]", "x", "{\"a\":\"\xC0\x80\"}", "{\"a\":1,}", "{\"a\":01}");
    Recorder recorder;
    CHECK(scan_object(text, recorder) == ObjectScan::invalid_json);
  }
}

TEST_CASE("decode_json_string resolves escapes", "[json_scan][decode]") {
  struct Case {
    std::string_view raw;
    std::string_view decoded;
  };
  auto c = GENERATE(values<Case>({
      {"", ""},
      {"plain text", "plain text"},
      {R"(a\"b)", "a\"b"},
      {R"(\\)", "\\"},
      {R"(\/)", "/"},
      {R"(\b\f\n\r\t)", "\b\f\n\r\t"},
      {R"(\u0041\u0062)", "Ab"},
      {R"(\u00e9\u00E9)", "\xC3\xA9\xC3\xA9"},
      {R"(\u07FF)", "\xDF\xBF"},
      {R"(\u0800)", "\xE0\xA0\x80"},
      {R"(\u20AC)", "\xE2\x82\xAC"},
      {R"(\uFFFF)", "\xEF\xBF\xBF"},
      {R"(\uD83D\uDE00)", "\xF0\x9F\x98\x80"},  // surrogate pair
      {R"(\ud83d\ude00)", "\xF0\x9F\x98\x80"},  // lower-case hex
      {R"(\uD800\uDC00)", "\xF0\x90\x80\x80"},  // U+10000
      {R"(\uDBFF\uDFFF)", "\xF4\x8F\xBF\xBF"},  // U+10FFFF
      {R"(x\uD83D\uDE00y)", "x\xF0\x9F\x98\x80y"},
      {"\xC3\xA9\xE2\x82\xAC", "\xC3\xA9\xE2\x82\xAC"},  // raw UTF-8 passes through
      {R"(\u0000)", "\0"sv},
  }));
  std::string out = "leftover";  // cleared first
  REQUIRE(decode_json_string(c.raw, out));
  CHECK(out == c.decoded);
}

TEST_CASE("decode_json_string fails on lone surrogates", "[json_scan][decode]") {
  auto raw = GENERATE(as<std::string_view>{}, R"(\uD800)", R"(\uDBFF)", R"(\uDC00)", R"(\uDFFF)", R"(a\uD83Dz)",
                      R"(\uD83D\u0041)", R"(\uD83D\uD83D)", R"(\uDE00\uD83D)", R"(\uD83D\n)", R"(\uD83Dabcdef)");
  CAPTURE(raw);
  std::string out;
  CHECK_FALSE(decode_json_string(raw, out));
}

TEST_CASE("append_json_string escapes what JSON requires", "[json_scan][encode]") {
  struct Case {
    std::string_view text;
    std::string_view json;
  };
  auto c = GENERATE(values<Case>({
      {"", R"("")"},
      {"orders", R"("orders")"},
      {"a\"b", R"("a\"b")"},
      {"back\\slash", R"("back\\slash")"},
      {"\n\r\t", R"("\n\r\t")"},
      {"\b\f", R"("\u0008\u000c")"},
      {"\x01\x1f", R"("\u0001\u001f")"},
      {"\0"sv, R"("\u0000")"},
      {"/", R"("/")"},
      {"\x7f", "\"\x7f\""},
      {"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", "\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\""},
  }));
  std::string out = "prefix:";
  append_json_string(out, c.text);
  CHECK(out == "prefix:" + std::string(c.json));  // appends, never clears
}

TEST_CASE("append_json_string round-trips through scan_json and decode_json_string", "[json_scan][encode]") {
  std::string all_ascii;
  for (int c = 0; c < 0x80; ++c) all_ascii += static_cast<char>(c);
  for (const std::string& text : {all_ascii, std::string("\xC3\xA9 \xF4\x8F\xBF\xBF \"quoted\" \\")}) {
    std::string json;
    append_json_string(json, text);
    JsonValue value;
    REQUIRE(scan_json(json, value));
    REQUIRE(value.type == JsonType::string);
    REQUIRE(value.raw == json);
    std::string decoded;
    REQUIRE(decode_json_string(value.raw.substr(1, value.raw.size() - 2), decoded));
    CHECK(decoded == text);
  }
}
