// pubsub-bench's command line: what to run against which server (or
// which nodes of one cluster), parsed and checked once at start.
//
// Main thread only (parse_options); an Options value is then read-only and
// may be read from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pubsub::bench {

struct Options {
  std::string host = "127.0.0.1";
  // --port, once per node: connections are spread over the nodes
  // (node_assignment.h); REST calls go to the first.
  std::vector<std::uint16_t> ports{8080};
  std::string mode = "throughput";
  std::string client_style = "batched";  // throughput mode: batched or per-frame
  int topics = 1;
  int subscribers = 100;  // per topic
  int publishers = 1;
  std::size_t payload = 100;
  double rate = 0;           // total publishes per second; 0 = as fast as the window allows
  double slow_fraction = 0;  // share of each topic's subscribers that never read
  int window = 64;           // unacknowledged publishes per publisher
  double warmup = 1;
  double duration = 5;
  int client_threads = 1;      // batched only: per-frame runs on one thread
  int poll_interval_us = 250;  // per-frame only: at most one poll per interval under load
  int connections = 1000;      // connections mode
  int sources = 0;             // connections mode: 127.0.0.x source addresses (0: auto)
  int retain = 0;              // topics mode: messages retained per filled topic
  int retain_topics = 10000;   // topics mode: topics whose history is filled
  std::string api_key;
  std::string token;  // a JSON Web Token, sent as Authorization: Bearer
  bool tls = false;   // wss:// and https://, the certificate not checked
  std::string topic_prefix = "bench";
  // --server-pid, once per process to sample (the nodes, a Valkey server):
  // CPU per delivery and RSS are their sum. Never holds a pid <= 0.
  std::vector<int> server_pids;
  bool json = false;
};

// Parses and checks the command line. Returns the options to run with, or
// nullopt when the program should stop with `exit_code`: 0 after --help
// (printed to standard output), 2 for a bad option (explained on standard
// error).
std::optional<Options> parse_options(int argc, char** argv, int& exit_code);

// The header lines (each ending in CRLF) that carry --api-key and --token.
std::string credential_headers(const Options& o);

}  // namespace pubsub::bench
