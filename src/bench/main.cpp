// pubsub-bench: a load generator for any server speaking the pubsub
// contract, in the spirit of redis-benchmark and `nats bench`.
//
// Throughput mode: N subscribers on each of T topics and P publishers
// (round robin over the topics) publish payloads that carry the publisher
// id, a counter and the send time. Subscribers check every stream for gaps,
// duplicates and re-ordering, and record publish-to-delivery latency.
// Connections mode: holds C idle subscribed connections and reports the
// server's memory per connection. Topics mode: creates T topics, fills the
// history of some, and reports the rate and the memory per topic and per
// retained event. HTTP publish mode: publishes over keep-alive HTTP.
//
// Two client styles drive the throughput load: batched (Asio coroutines;
// each publisher writes what its window allows at once) and per-frame (one
// thread, an epoll loop, one send() per publish).
//
// This file only dispatches: options.h parses the command line,
// batched_client.h, per_frame_client.h and connections_run.h drive the
// server, report.h prints what they measured. Main thread.
#include <optional>

#include "bench/batched_client.h"
#include "bench/connections_run.h"
#include "bench/http_publish_run.h"
#include "bench/options.h"
#include "bench/per_frame_client.h"
#include "bench/report.h"
#include "bench/rest_client.h"
#include "bench/topics_run.h"

namespace {

using namespace pubsub::bench;

// Returns the exit code: 0, 1 if the run could not be set up, 3 if a
// stream had a gap, duplicate or step back, or an error came.
int run_throughput(const Options& o) {
  if (!create_topics(o)) return 1;
  std::optional<ThroughputResult> r = o.client_style == "per-frame" ? run_per_frame(o) : run_batched(o);
  if (!r) return 1;
  print_throughput(o, *r);
  return r->clean() ? 0 : 3;
}

// Returns the exit code: 0, 1 if the topics could not be created, 3 if a
// connection failed.
int run_connections_mode(const Options& o) {
  if (!create_topics(o)) return 1;
  ConnectionsResult r = run_connections(o);
  print_connections(o, r);
  return r.failed == 0 ? 0 : 3;
}

// Returns the exit code: 0, or 3 if a request failed or was refused.
int run_topics_mode(const Options& o) {
  TopicsResult r = run_topics(o);
  print_topics(o, r);
  return r.failed ? 3 : 0;
}

// Returns the exit code: 0, 1 if the topics could not be created, 3 if a
// publish failed or was refused.
int run_http_publish_mode(const Options& o) {
  if (!create_topics(o)) return 1;
  HttpPublishResult r = run_http_publish(o);
  print_http_publish(o, r);
  return r.failed || r.refused != 0 ? 3 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  std::optional<Options> o = parse_options(argc, argv, exit_code);
  if (!o) return exit_code;
  if (o->mode == "topics") return run_topics_mode(*o);
  if (o->mode == "http-publish") return run_http_publish_mode(*o);
  return o->mode == "throughput" ? run_throughput(*o) : run_connections_mode(*o);
}
