// The GET /metrics page; see metrics_page.h.
#include "net/metrics_page.h"

#include <string>

#include "core/broker.h"
#include "metrics/exposition.h"
#include "metrics/process.h"
#include "net/server_state.h"
#include "net/shard.h"

namespace pubsub::net {

namespace {

using metrics::ExpositionWriter;
using metrics::MetricType;

// The shards' counts, summed.
struct Totals {
  std::uint64_t published_websocket = 0;
  std::uint64_t published_http = 0;
  std::uint64_t dropped = 0;
  std::uint64_t acks_ahead_of_event = 0;
  std::array<std::uint64_t, kRequestTypes * kRequestResults> requests{};
  metrics::HistogramSnapshot delivery_latency_ns;
  metrics::HistogramSnapshot queue_frames;
};

Totals sum_shards(const ServerState& server) {
  Totals t;
  for (const auto& shard : server.shards) {
    const ShardCounts& c = shard->context.counts;
    t.published_websocket += c.published_websocket.value();
    t.published_http += c.published_http.value();
    for (std::size_t i = 0; i < t.requests.size(); ++i) t.requests[i] += c.requests[i].value();
    c.delivery_latency_ns.snapshot_into(t.delivery_latency_ns);
    c.queue_frames.snapshot_into(t.queue_frames);
    t.dropped += shard->broker_shard.dropped_events();
    t.acks_ahead_of_event += c.acks_ahead_of_event.value();
  }
  return t;
}

void connection_families(ExpositionWriter& w, const ServerState& server) {
  const std::int64_t all = server.connections.load(std::memory_order_relaxed);
  const std::int64_t websocket = server.websocket_connections.load(std::memory_order_relaxed);
  w.family("pubsub_connections", MetricType::gauge, "Open connections, by transport.");
  w.sample("pubsub_connections", {{"transport", "websocket"}}, websocket);
  w.sample("pubsub_connections", {{"transport", "http"}}, std::max<std::int64_t>(all - websocket, 0));

  const ServerCounts& counts = server.counters.counts;
  w.family("pubsub_connections_accepted_total", MetricType::counter, "TCP connections accepted.");
  w.sample("pubsub_connections_accepted_total", {}, counts.accepted.load(std::memory_order_relaxed));

  w.family("pubsub_connections_rejected_total", MetricType::counter,
           "Connections refused: past --max-connections, or upgrades refused.");
  for (std::size_t i = 0; i < kRejectReasons; ++i) {
    w.sample("pubsub_connections_rejected_total", {{"reason", to_string(static_cast<RejectReason>(i))}},
             counts.rejected[i].load(std::memory_order_relaxed));
  }

  w.family("pubsub_disconnects_total", MetricType::counter, "WebSocket connections ended, by reason.");
  for (std::size_t i = 0; i < kCloseReasons; ++i) {
    w.sample("pubsub_disconnects_total", {{"reason", to_string(static_cast<CloseReason>(i))}},
             counts.disconnects[i].load(std::memory_order_relaxed));
  }
}

void message_families(ExpositionWriter& w, const ServerState& server, const Totals& t) {
  w.family("pubsub_topics", MetricType::gauge, "Topics that exist.");
  w.sample("pubsub_topics", {}, static_cast<std::uint64_t>(server.broker.topic_count()));
  w.family("pubsub_subscriptions", MetricType::gauge, "Subscriptions held, over all topics.");
  w.sample("pubsub_subscriptions", {}, server.broker.subscription_count());

  w.family("pubsub_messages_published_total", MetricType::counter, "Messages published, by how they came.");
  w.sample("pubsub_messages_published_total", {{"via", "websocket"}}, t.published_websocket);
  w.sample("pubsub_messages_published_total", {{"via", "http"}}, t.published_http);
  w.family("pubsub_messages_delivered_total", MetricType::counter, "Events written to subscribers' sockets.");
  w.sample("pubsub_messages_delivered_total", {}, t.delivery_latency_ns.count);  // one latency per delivery
  w.family("pubsub_messages_dropped_total", MetricType::counter,
           "Events dropped from slow subscribers' queues (drop_oldest).");
  w.sample("pubsub_messages_dropped_total", {}, t.dropped);

  w.family("pubsub_requests_total", MetricType::counter, "WebSocket requests, by type and result.");
  for (std::size_t type = 0; type < kRequestTypes; ++type) {
    const auto request_type = static_cast<protocol::RequestType>(type);
    w.sample("pubsub_requests_total", {{"type", to_string(request_type)}, {"result", "ok"}},
             t.requests[ShardCounts::request_slot(request_type, std::nullopt)]);
    for (std::size_t code = 0; code < kErrorCodes; ++code) {
      const auto error = static_cast<protocol::ErrorCode>(code);
      const std::string result = label_of(error);
      w.sample("pubsub_requests_total", {{"type", to_string(request_type)}, {"result", result}},
               t.requests[ShardCounts::request_slot(request_type, error)]);
    }
  }

  w.family("pubsub_acks_ahead_of_event_total", MetricType::counter,
           "--engine redis: publish acks that waited 1 s for the publisher's own event and went ahead of it.");
  w.sample("pubsub_acks_ahead_of_event_total", {}, t.acks_ahead_of_event);

  w.family("pubsub_delivery_latency_seconds", MetricType::histogram,
           "From a publish being accepted to its event leaving for a subscriber's socket.");
  w.histogram("pubsub_delivery_latency_seconds", {}, t.delivery_latency_ns, 1e9);
  w.family("pubsub_outbound_queue_frames", MetricType::histogram,
           "A connection's queued frames, observed when it is written.");
  w.histogram("pubsub_outbound_queue_frames", {}, t.queue_frames);
}

void topic_families(ExpositionWriter& w, const ServerState& server) {
  const std::vector<core::TopicStats> topics = server.broker.all_topics();
  w.family("pubsub_topic_messages_published_total", MetricType::counter,
           "Messages published to a topic in its current life (its seq).");
  for (const auto& t : topics) w.sample("pubsub_topic_messages_published_total", {{"topic", t.name}}, t.messages);
  w.family("pubsub_topic_subscriptions", MetricType::gauge, "Subscriptions a topic has.");
  for (const auto& t : topics) w.sample("pubsub_topic_subscriptions", {{"topic", t.name}}, t.subscribers);
  w.family("pubsub_topic_messages_dropped_total", MetricType::counter, "Events of a topic dropped from slow queues.");
  for (const auto& t : topics) w.sample("pubsub_topic_messages_dropped_total", {{"topic", t.name}}, t.dropped);
}

void process_families(ExpositionWriter& w) {
  const auto figures = metrics::read_process_figures();
  if (!figures) return;
  w.family("process_resident_memory_bytes", MetricType::gauge, "Resident memory size in bytes.");
  w.sample("process_resident_memory_bytes", {}, figures->resident_memory_bytes);
  w.family("process_cpu_seconds_total", MetricType::counter, "User and system CPU time spent in seconds.");
  w.sample("process_cpu_seconds_total", {}, figures->cpu_seconds);
  w.family("process_open_fds", MetricType::gauge, "Open file descriptors.");
  w.sample("process_open_fds", {}, figures->open_fds);
  w.family("process_start_time_seconds", MetricType::gauge, "Start time of the process since the Unix epoch.");
  w.sample("process_start_time_seconds", {}, figures->start_time_seconds);
}

}  // namespace

std::string render_metrics(const ServerState& server) {
  ExpositionWriter w;
  const Totals totals = sum_shards(server);
  connection_families(w, server);
  message_families(w, server, totals);
  if (server.options.metrics_topics) topic_families(w, server);
  process_families(w);
  return w.take();
}

}  // namespace pubsub::net
