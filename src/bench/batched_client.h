// The batched client style, pubsub-bench's original load: subscribers and
// publishers are coroutines spread over --client-threads Asio threads. Each
// publisher sends every publish its window (and --rate) allows in one write,
// then waits for acks (or, paced, up to 500 us), so its frames reach the
// server in batches. With several --port values each connection goes to
// the node node_assignment.h gives it.
//
// Main thread only: run_batched starts, measures and stops the client
// threads.
#pragma once

#include <optional>

#include "bench/options.h"
#include "bench/report.h"

namespace pubsub::bench {

// Runs the throughput load of `o` against topics that exist already: opens
// and subscribes every subscriber, starts the publishers, warms up,
// measures, stops publishing and waits (at most 5 s) for every acknowledged
// publish to reach every healthy subscriber. Returns what it measured, or
// nullopt (after saying why on standard error) if not every subscriber
// could subscribe.
std::optional<ThroughputResult> run_batched(const Options& o);

}  // namespace pubsub::bench
