// HTTP publish mode; see http_publish_run.h.
#include "bench/http_publish_run.h"

#include <cstdio>

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
  const ProcSample server_before = sample_process(o.server_pid);
  const double client_before = client_cpu_seconds();
  spec.seconds = o.duration;
  const HttpLoadResult measured = run_http_load(o, spec);
  const ProcSample server_after = sample_process(o.server_pid);
  r.published = measured.answered;
  r.refused = measured.unexpected;
  r.seconds = measured.seconds;
  r.failed = measured.failed;
  r.server_cpu_seconds = server_after.cpu_seconds - server_before.cpu_seconds;
  r.client_cpu_seconds = client_cpu_seconds() - client_before;
  return r;
}

}  // namespace pubsub::bench
