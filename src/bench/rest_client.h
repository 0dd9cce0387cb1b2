// pubsub-bench's REST calls: one blocking HTTP/1.1 request per call (to
// create the run's topics), and the run's topic names.
//
// Any thread: each call opens its own connection.
#pragma once

#include <string>

#include "bench/options.h"

namespace pubsub::bench {

// Sends one HTTP request to the (first) server of `o` (with its API key, if any)
// (over TLS with --tls) and returns the response's status, or 0 if there was none.
int http_status(const Options& o, const std::string& method, const std::string& target, const std::string& body);

// Returns the name of topic `index`: PREFIX-index.
std::string topic_name(const Options& o, int index);

// Creates topics 0 to o.topics - 1 (an existing one is fine). Returns
// false, after saying which on standard error, if one cannot be created.
bool create_topics(const Options& o);

}  // namespace pubsub::bench
