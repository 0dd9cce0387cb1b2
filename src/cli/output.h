// Where pubsub's output goes: data (JSON) to standard output, one document
// per line unless pretty; messages and errors to standard error, one line
// each, after "pubsub: ".
//
// The main thread only (stdio's own locking aside, lines from two threads
// could interleave).
#pragma once

#include <string_view>

namespace pubsub::cli {

// Writes `json` (valid JSON) to standard output on one line, compacted,
// or indented when `pretty`, and flushes it so that a reader of a pipe
// sees it at once.
void print_json(std::string_view json, bool pretty = false);

// Writes `line` and a newline to standard output as it is, and flushes.
void print_line(std::string_view line);

// Writes "pubsub: " + `message` and a newline to standard error.
void report(std::string_view message);

}  // namespace pubsub::cli
