// The layout of the JSON that pubsub prints: compact (one line, for JSON
// lines that jq reads) or pretty (indented by two spaces, with --pretty).
// Only white space outside strings changes: strings, numbers and key order
// stay byte for byte.
//
// Pure functions; callable from any thread.
#pragma once

#include <string>
#include <string_view>

namespace pubsub::cli {

// `json` (valid JSON) without white space outside its strings.
std::string compact_json(std::string_view json);

// `json` (valid JSON) with each member and element on its own line,
// indented by two spaces per level, and ": " after each key.
std::string pretty_json(std::string_view json);

}  // namespace pubsub::cli
