// Topics mode: creates --topics topics over pipelined keep-alive REST
// requests, then fills the history of the first --retain-topics of them
// with --retain messages each (batch HTTP publishes), and reports the rate
// of creation and the server's memory per topic and per retained event.
//
// Main thread only.
#pragma once

#include "bench/options.h"
#include "bench/report.h"

namespace pubsub::bench {

TopicsResult run_topics(const Options& o);

}  // namespace pubsub::bench
