// The per-frame client style: the load of many independent clients, each
// sending a publish as soon as it may, driven from ONE thread by a raw
// epoll loop over non-blocking sockets.
//
// - Every connection is opened (blocking) before the loop: subscribers
//   first, subscriber i on topic i % T, then the publishers; with several
//   --port values, each on the node node_assignment.h gives it.
// - Each publisher keeps at most --window publishes unacknowledged and
//   sends each publish frame with its own send(), as soon as an ack frees a
//   slot (or, with --rate, as soon as its share of the rate allows).
//   Publisher p's k-th publish goes to topic (p + k) % T, and its "bn" counts
//   p's publishes to that topic, so every subscriber sees each publisher's
//   stream numbered 0, 1, 2, ...
// - Each pass of the loop handles every ready socket: reads until it is
//   empty, handles every whole frame (acks, events, dropped infos, pings).
//   After a pass that handled data the loop sleeps out the rest of
//   --poll-interval-us, so that it polls at most that often under load;
//   idle, it waits in epoll_wait (1 ms at most, to keep the clock).
// - Slow subscribers (--slow-fraction) subscribe and never read.
//
// Main thread only: run_per_frame runs the whole load on the calling thread.
#pragma once

#include <optional>

#include "bench/options.h"
#include "bench/report.h"

namespace pubsub::bench {

// Runs the throughput load of `o` in the per-frame style against topics that
// exist already: opens every connection, warms up, measures, stops
// publishing and waits (at most 5 s) for every acknowledged publish to reach
// every healthy subscriber. Returns what it measured, or nullopt (after
// saying why on standard error) if a connection could not be set up.
std::optional<ThroughputResult> run_per_frame(const Options& o);

}  // namespace pubsub::bench
