// A strict, allocation-free JSON validator that keeps the raw text of values.
//
// The server must pass a message's payload on byte-for-byte (whitespace,
// escapes, key order, number spelling, integers beyond 64 bits), so it never
// builds a DOM: it validates the whole text against RFC 8259 (including the
// UTF-8 inside strings) and hands out spans of the original bytes.
//
// Pure functions; callable from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pubsub::protocol {

enum class JsonType { null, boolean, number, string, array, object };

// A validated JSON value: `raw` is its exact text in the input (strings
// include their quotes).
struct JsonValue {
  std::string_view raw;
  JsonType type = JsonType::null;
};

// Nesting deeper than this is refused rather than risking the stack on
// hostile input (scan_json: false; scan_object: too_deep).
inline constexpr int kMaxJsonDepth = 512;

// The error for JSON nested too deep: "<what> has JSON nesting deeper
// than 512 levels".
std::string too_deep_error(std::string_view what);

enum class ObjectScan { ok, invalid_json, too_deep, not_an_object };

// Receives each member of a scanned object: the key as it appears between
// its quotes (escapes not decoded) and the member's value.
class MemberVisitor {
 public:
  virtual void member(std::string_view raw_key, JsonValue value) = 0;

 protected:
  ~MemberVisitor() = default;
};

// Validates that `text` is exactly one JSON value (surrounding whitespace
// allowed). Returns true and fills `out` if it is, false otherwise.
bool scan_json(std::string_view text, JsonValue& out);

// Validates `text` as one JSON value and, if it is an object, reports each
// of its top-level members to `visitor` in document order. Returns ok,
// invalid_json (the visitor may have seen members before the error),
// too_deep (arrays and objects nested deeper than kMaxJsonDepth before
// any other error; the visitor may have seen members), or not_an_object
// (valid JSON of another type; the visitor saw nothing).
ObjectScan scan_object(std::string_view text, MemberVisitor& visitor);

// Returns the elements of the JSON array `text` (surrounding whitespace
// allowed) in order; empty if it is not a valid array.
std::vector<JsonValue> array_elements(std::string_view text);

// Decodes the inside of a validated JSON string (without its quotes) into
// `out`, resolving escapes and surrogate pairs to UTF-8. Returns false only
// for a lone surrogate escape, which has no UTF-8 form.
bool decode_json_string(std::string_view raw_inner, std::string& out);

// Returns the text of an object key as reported to a MemberVisitor: the key
// itself when it has no escapes, otherwise its decoding, stored in `scratch`
// (an empty view if it holds a lone surrogate).
std::string_view decode_key(std::string_view raw_key, std::string& scratch);

// Appends `text` to `out` as a quoted JSON string, escaping `"`, `\` and
// control characters. `text` must be valid UTF-8.
void append_json_string(std::string& out, std::string_view text);

}  // namespace pubsub::protocol
