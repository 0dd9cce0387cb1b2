// GET /metrics (contract section 14): the server's figures in the
// Prometheus text format, read when scraped. Sums each shard's counts
// (metrics_counts.h), which their threads go on writing meanwhile: a
// scrape sees each count as it was at some moment during the scrape.
//
// Any thread.
#pragma once

#include <string>

namespace pubsub::net {

struct ServerState;

// The page's body (text/plain; version=0.0.4).
std::string render_metrics(const ServerState& server);

}  // namespace pubsub::net
