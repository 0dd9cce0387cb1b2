// Topics mode; see topics_run.h.
#include "bench/topics_run.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "bench/http_load.h"
#include "bench/process_sample.h"
#include "bench/rest_client.h"
#include "protocol/messages.h"
#include "protocol/websocket_frame.h"

namespace pubsub::bench {
namespace {

constexpr int kBatch = 1000;  // messages per batch publish (the contract's most)

// A UUID-shaped id unique to `n`.
std::string message_id(std::uint64_t n) {
  char id[40];
  std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012llx", static_cast<unsigned long long>(n));
  return id;
}

std::string payload_json(std::size_t bytes) { return '"' + std::string(bytes > 2 ? bytes - 2 : 0, 'x') + '"'; }

// RSS once the server has settled (freed buffers, trimmed pools).
long settled_rss_kib(const std::vector<int>& pids) {
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  return total_rss_kib(pids);
}

}  // namespace

TopicsResult run_topics(const Options& o) {
  TopicsResult r;
  r.topics = o.topics;
  r.rss_before_kib = settled_rss_kib(o.server_pids);

  HttpLoadSpec create;
  create.connections = o.publishers;
  create.window = o.window;
  create.total = static_cast<std::uint64_t>(o.topics);
  create.request = [&](std::uint64_t i, std::string& target, std::string& body) {
    target = "/topics";
    body = R"({"name":")" + topic_name(o, static_cast<int>(i)) + "\"}";
  };
  const HttpLoadResult created = run_http_load(o, create);
  r.created = created.answered;
  r.create_seconds = created.seconds;
  r.failed = created.failed || created.unexpected != 0;
  r.rss_topics_kib = settled_rss_kib(o.server_pids);

  const int retain_topics = std::min(o.retain_topics, o.topics);
  if (o.retain > 0 && retain_topics > 0 && !r.failed) {
    const std::string payload = payload_json(o.payload);
    const int batches_per_topic = (o.retain + kBatch - 1) / kBatch;
    HttpLoadSpec fill;
    fill.connections = o.publishers;
    fill.window = std::max(1, o.window / 8);
    fill.total = static_cast<std::uint64_t>(retain_topics) * static_cast<std::uint64_t>(batches_per_topic);
    fill.request = [&](std::uint64_t i, std::string& target, std::string& body) {
      const int topic = static_cast<int>(i / static_cast<std::uint64_t>(batches_per_topic));
      const int batch = static_cast<int>(i % static_cast<std::uint64_t>(batches_per_topic));
      const int count = std::min(kBatch, o.retain - batch * kBatch);
      target = "/topics/" + topic_name(o, topic) + "/messages:batch";
      body = R"({"messages":[)";
      for (int m = 0; m < count; ++m) {
        if (m > 0) body += ',';
        body +=
            R"({"id":")" + message_id(i * kBatch + static_cast<std::uint64_t>(m)) + R"(","payload":)" + payload + '}';
      }
      body += "]}";
    };
    const HttpLoadResult filled = run_http_load(o, fill);
    r.failed = filled.failed || filled.unexpected != 0;
    r.retained = static_cast<std::uint64_t>(retain_topics) * static_cast<std::uint64_t>(o.retain);
    r.rss_retained_kib = settled_rss_kib(o.server_pids);
    // The frame of a retained event as subscribers receive it: topic, id,
    // payload, a seq of the run's size and a timestamp.
    std::string frame;
    protocol::begin_server_frame(frame);
    protocol::write_event(frame, topic_name(o, retain_topics - 1), '"' + message_id(0) + '"', payload,
                          static_cast<std::uint64_t>(o.retain), "2025-08-25T10:00:00.123Z");
    r.frame_bytes = protocol::finish_server_frame(frame, protocol::Opcode::text).size();
  }
  return r;
}

}  // namespace pubsub::bench
