// HTTP publish mode: publishers POST /topics/{name}/messages on keep-alive
// connections (--publishers of them, --window requests pipelined on each,
// round robin over --topics), for --warmup then --duration seconds, and
// report the rate and the server's CPU per publish.
//
// Main thread only.
#pragma once

#include "bench/options.h"
#include "bench/report.h"

namespace pubsub::bench {

HttpPublishResult run_http_publish(const Options& o);

}  // namespace pubsub::bench
