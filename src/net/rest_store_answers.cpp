// The REST answers made from the store's; see rest_store_answers.h.
#include "net/rest_store_answers.h"

#include <algorithm>

#include "net/link_states.h"
#include "net/rest_bodies.h"
#include "protocol/json_scan.h"

namespace pubsub::net {
namespace {

using engine::StoreStatus;
using protocol::ErrorCode;

// What each body adds in redis mode: which of its fields are the
// cluster's (from the store) and which the node's.
constexpr std::string_view kEngine = R"(,"engine":"redis")";
constexpr std::string_view kListScope = R"(,"scope":{"cluster":["topics"],"node":["subscribers"]})";
constexpr std::string_view kTopicScope =
    R"(,"scope":{"cluster":["messages","epoch","seq"],"node":["subscribers","dropped"]})";
constexpr std::string_view kStatsScope =
    R"(,"scope":{"cluster":["topics","messages","epoch","seq"],"node":["subscribers","dropped","connections",)"
    R"("websocket_connections","rejected_connections","slow_consumer_disconnects"]})";
constexpr std::string_view kHealthScope = R"(,"scope":{"cluster":[],"node":["topics","subscribers","connections"]})";

std::string redis_extra(std::string_view scope) {
  std::string extra(kEngine);
  extra += scope;
  return extra;
}

template <typename Value>
RestResponse refusal_of(std::string_view topic, const engine::StoreResult<Value>& result) {
  return store_refusal(topic, result.status, result.detail);
}

// The mirror of `name` in `here` (sorted by name) at or after `next`,
// which moves past it; null if there is none.
const core::TopicStats* mirror_of(std::span<const core::TopicStats> here, std::size_t& next, std::string_view name) {
  while (next < here.size() && here[next].name < name) ++next;
  return next < here.size() && here[next].name == name ? &here[next] : nullptr;
}

TopicFigures figures_of(const engine::TopicListing& topic, const core::TopicStats* here) {
  return {topic.name, here ? here->subscribers : 0, topic.seq, here ? here->dropped : 0, topic.epoch, topic.seq};
}

void append_server(std::string& out, const StoreServerState& server) {
  out += R"({"endpoint":)";
  protocol::append_json_string(out, server.endpoint);
  out += R"(,"error":)";
  protocol::append_json_string(out, server.error);
  out += '}';
}

// ,"redis":{"servers":N,"servers_up":M,"down":[{"endpoint":...,"error":...},...]}
std::string servers_member(std::span<const StoreServerState> servers) {
  const auto up = std::count_if(servers.begin(), servers.end(), [](const StoreServerState& s) { return s.up; });
  std::string out = R"(,"redis":{"servers":)" + std::to_string(servers.size());
  out += R"(,"servers_up":)" + std::to_string(up) + R"(,"down":[)";
  bool first = true;
  for (const StoreServerState& server : servers) {
    if (server.up) continue;
    if (!first) out += ',';
    first = false;
    append_server(out, server);
  }
  out += "]}";
  return out;
}

}  // namespace

RestResponse store_refusal(std::string_view topic, StoreStatus status, std::string_view detail) {
  switch (status) {
    case StoreStatus::exists: return topic_exists(topic);
    case StoreStatus::not_found: return topic_not_found(topic);
    case StoreStatus::ok:
    case StoreStatus::unavailable: break;
  }
  std::string message = "Valkey/Redis is unreachable; try again later";
  if (!detail.empty()) message += " (" + std::string(detail) + ")";
  return rest_error(ErrorCode::unavailable, message);
}

RestResponse created_answer(std::string_view topic, const engine::StoreResult<engine::TopicPosition>& result) {
  if (!result.ok()) return refusal_of(topic, result);
  return {201, topic_status_body("created", topic), {}};
}

RestResponse deleted_answer(std::string_view topic, const engine::StoreResult<engine::TopicPosition>& result) {
  if (!result.ok()) return refusal_of(topic, result);
  return {200, topic_status_body("deleted", topic), {}};
}

RestResponse topic_answer(std::string_view topic, const engine::StoreResult<engine::TopicInfo>& result,
                          const std::optional<core::TopicStats>& here) {
  if (!result.ok()) return refusal_of(topic, result);
  const engine::TopicInfo& info = result.value;
  const TopicFigures figures{topic,   here ? here->subscribers : 0, info.seq, here ? here->dropped : 0, info.epoch,
                             info.seq};
  return {200, topic_body(figures, redis_extra(kTopicScope)), {}};
}

RestResponse topic_list_answer(const engine::StoreResult<std::vector<engine::TopicListing>>& result,
                               std::span<const core::TopicStats> here) {
  if (!result.ok()) return refusal_of({}, result);
  TopicListBody body;
  std::size_t next = 0;
  for (const engine::TopicListing& topic : result.value) {
    const core::TopicStats* mirror = mirror_of(here, next, topic.name);
    body.add(topic.name, mirror ? mirror->subscribers : 0);
  }
  return {200, body.finish(redis_extra(kListScope)), {}};
}

RestResponse stats_answer(const engine::StoreResult<std::vector<engine::TopicListing>>& result,
                          std::span<const core::TopicStats> here, const ServerCounters& counters) {
  if (!result.ok()) return refusal_of({}, result);
  StatsBody body;
  std::size_t next = 0;
  for (const engine::TopicListing& topic : result.value) body.add(figures_of(topic, mirror_of(here, next, topic.name)));
  return {200, body.finish(counters, redis_extra(kStatsScope)), {}};
}

RestResponse history_answer(std::string_view topic, const engine::StoreResult<engine::HistoryPage>& result) {
  if (!result.ok()) return refusal_of(topic, result);
  const engine::HistoryPage& page = result.value;
  std::size_t bytes = 0;
  for (const engine::StoredMessage& message : page.messages) {
    bytes += message.id.size() + message.payload.size() + message.ts.size() + 48;
  }
  HistoryBody body(topic, page.topic.epoch, page.topic.seq, bytes);
  for (const engine::StoredMessage& message : page.messages) {
    body.add(message.id, message.payload, message.seq, message.ts);
  }
  return {200, body.finish(), {}};
}

RestResponse published_answer(std::string_view topic, const engine::StoreResult<engine::PublishReceipt>& result,
                              bool batch) {
  if (!result.ok()) return refusal_of(topic, result);
  return {201, published_body(topic, result.value.first_seq, result.value.last_seq, batch), {}};
}

void count_live_feed(std::span<StoreServerState> servers, const LinkStates& feed) {
  for (std::size_t i = 0; i < servers.size() && i < feed.size(); ++i) {
    if (!servers[i].up || feed.up(i)) continue;
    servers[i].up = false;
    servers[i].error = "live feed: " + feed.error(i);
  }
}

RestResponse health_answer(const RestContext& context, std::size_t topics, std::int64_t subscribers,
                           std::span<const StoreServerState> servers) {
  const bool degraded = std::any_of(servers.begin(), servers.end(), [](const StoreServerState& s) { return !s.up; });
  const bool ending = context.counters.shutting_down;
  const std::string_view status = ending ? "shutting_down" : degraded ? "degraded" : "ok";
  std::string extra(kEngine);
  extra += servers_member(servers);
  extra += kHealthScope;
  return {ending || degraded ? 503u : 200u, health_body(status, context, topics, subscribers, extra), {}};
}

}  // namespace pubsub::net
