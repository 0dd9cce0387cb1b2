// Connections mode: holds --connections idle subscribed WebSocket
// connections (from 127.0.0.x source addresses, past one address's ports)
// and samples the server's memory before, while and after holding them.
//
// Main thread only: run_connections starts and stops its client threads.
#pragma once

#include "bench/options.h"
#include "bench/report.h"

namespace pubsub::bench {

// Opens o.connections connections (500 at a time), each subscribed to a
// topic in turn; topics must exist. Holds them for 1 s plus o.duration,
// then closes them all. Returns what it measured.
ConnectionsResult run_connections(const Options& o);

}  // namespace pubsub::bench
