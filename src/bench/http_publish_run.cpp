// HTTP publish mode; see http_publish_run.h.
#include "bench/http_publish_run.h"

#include <cstdio>
#include <vector>

#include "bench/http_load.h"
#include "bench/process_sample.h"
#include "bench/rest_client.h"

namespace pubsub::bench {

HttpPublishResult run_http_publish(const Options& o) {
  const std::string payload = '"' + std::string(o.payload > 2 ? o.payload - 2 : 0, 'x') + '"';
  HttpLoadSpec spec;
  spec.connections = o.publishers;
  spec.window = o.window;
  spec.request = [&](std::uint64_t i, std::string& target, std::string& body) {
    char id[40];
    std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012llx", static_cast<unsigned long long>(i));
    target = "/topics/" + topic_name(o, static_cast<int>(i % static_cast<std::uint64_t>(o.topics))) + "/messages";
    body = R"({"id":")";
    body += id;
    body += R"(","payload":)" + payload + '}';
  };
  HttpPublishResult r;
  spec.seconds = o.warmup;
  if (o.warmup > 0 && run_http_load(o, spec).failed) {
    r.failed = true;
    return r;
  }
  const std::vector<ProcSample> servers_before = sample_processes(o.server_pids);
  const double client_before = client_cpu_seconds();
  spec.seconds = o.duration;
  const HttpLoadResult measured = run_http_load(o, spec);
  const std::vector<ProcSample> servers_after = sample_processes(o.server_pids);
  r.published = measured.answered;
  r.refused = measured.unexpected;
  r.seconds = measured.seconds;
  r.failed = measured.failed;
  for (const ProcessUsage& s : usage_between(o.server_pids, servers_before, servers_after)) {
    r.server_cpu_seconds += s.cpu_seconds;
  }
  r.client_cpu_seconds = client_cpu_seconds() - client_before;
  return r;
}

}  // namespace pubsub::bench
