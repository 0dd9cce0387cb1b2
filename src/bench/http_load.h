// pubsub-bench's HTTP load: requests over keep-alive HTTP/1.1 connections,
// each connection keeping up to a window of requests unanswered
// (pipelined), every request its own send(), all on the calling thread
// (poll over the connections), as a plain HTTP load tool drives a server.
//
// Any thread; a run uses only the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "bench/options.h"

namespace pubsub::bench {

struct HttpLoadSpec {
  int connections = 1;
  int window = 1;           // unanswered requests per connection
  std::uint64_t total = 0;  // requests to send; 0: until `seconds` pass
  double seconds = 0;       // stop sending after this long; 0: no limit
  // The method, target and body of request `index` (0, 1, ...).
  std::function<void(std::uint64_t index, std::string& target, std::string& body)> request;
  std::string method = "POST";
  int expected_status = 201;
};

struct HttpLoadResult {
  std::uint64_t answered = 0;    // responses with the expected status
  std::uint64_t unexpected = 0;  // responses with another status
  double seconds = 0;            // from the first send to the last response
  bool failed = false;           // a connection could not be made or broke
};

// Runs `spec` against the server of `o` (connection i against node
// publisher_node(i), with several --port values).
HttpLoadResult run_http_load(const Options& o, const HttpLoadSpec& spec);

// Appends to `out` the request bytes for `method` `target` with `body` to
// the server of `o` (keep-alive, JSON, the API key if any).
void append_http_request(std::string& out, const Options& o, std::string_view method, std::string_view target,
                         std::string_view body);

}  // namespace pubsub::bench
