// The REST API's success bodies; see rest_bodies.h.
#include "net/rest_bodies.h"

#include <chrono>

#include "protocol/json_scan.h"
#include "protocol/messages.h"

namespace pubsub::net {
namespace {

using protocol::append_json_string;

// Appends a topic's position (section 9): ,"epoch":E,"seq":S.
void append_position(std::string& body, const TopicFigures& topic) {
  body += R"(,"epoch":)";
  append_json_string(body, topic.epoch);
  body += R"(,"seq":)" + std::to_string(topic.seq);
}

// Closes a body with its `extra` members.
std::string close_body(std::string& body, std::string_view extra) {
  body += extra;
  body += '}';
  return std::move(body);
}

}  // namespace

std::string topic_status_body(std::string_view status, std::string_view topic) {
  std::string body = R"({"status":")";
  body += status;
  body += R"(","topic":)";
  append_json_string(body, topic);
  body += '}';
  return body;
}

std::string topic_body(const TopicFigures& topic, std::string_view extra) {
  std::string body = R"({"name":)";
  append_json_string(body, topic.name);
  body += R"(,"subscribers":)" + std::to_string(topic.subscribers);
  body += R"(,"messages":)" + std::to_string(topic.messages);
  body += R"(,"dropped":)" + std::to_string(topic.dropped);
  append_position(body, topic);
  return close_body(body, extra);
}

std::string published_body(std::string_view topic, std::uint64_t first_seq, std::uint64_t last_seq, bool batch) {
  std::string body = R"({"status":"published","topic":)";
  append_json_string(body, topic);
  if (batch) {
    body += R"(,"first_seq":)" + std::to_string(first_seq);
    body += R"(,"last_seq":)" + std::to_string(last_seq) + '}';
  } else {
    body += R"(,"seq":)" + std::to_string(last_seq) + '}';
  }
  return body;
}

std::string health_body(std::string_view status, const RestContext& context, std::size_t topics,
                        std::int64_t subscribers, std::string_view extra) {
  const auto uptime =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - context.started);
  std::string body = R"({"status":")";
  body += status;
  body += R"(","uptime_sec":)" + std::to_string(uptime.count());
  body += R"(,"topics":)" + std::to_string(topics);
  body += R"(,"subscribers":)" + std::to_string(subscribers);
  body += R"(,"connections":)" + std::to_string(context.counters.connections);
  return close_body(body, extra);
}

// ------------------------------------------------------------------ GET /topics

TopicListBody::TopicListBody() : body_(R"({"topics":[)") {}

void TopicListBody::add(std::string_view name, std::int64_t subscribers) {
  if (!first_) body_ += ',';
  first_ = false;
  body_ += R"({"name":)";
  append_json_string(body_, name);
  body_ += R"(,"subscribers":)" + std::to_string(subscribers) + '}';
}

std::string TopicListBody::finish(std::string_view extra) {
  body_ += ']';
  return close_body(body_, extra);
}

// ------------------------------------------------------------------ GET /stats

StatsBody::StatsBody() : body_(R"({"topics":{)") {}

void StatsBody::add(const TopicFigures& topic) {
  if (!first_) body_ += ',';
  first_ = false;
  append_json_string(body_, topic.name);
  body_ += R"(:{"messages":)" + std::to_string(topic.messages);
  body_ += R"(,"subscribers":)" + std::to_string(topic.subscribers);
  body_ += R"(,"dropped":)" + std::to_string(topic.dropped);
  append_position(body_, topic);
  body_ += '}';
}

std::string StatsBody::finish(const ServerCounters& counters, std::string_view extra) {
  body_ += R"(},"connections":)" + std::to_string(counters.connections);
  body_ += R"(,"websocket_connections":)" + std::to_string(counters.websocket_connections);
  body_ += R"(,"rejected_connections":)" + std::to_string(counters.rejected_connections);
  body_ += R"(,"slow_consumer_disconnects":)" + std::to_string(counters.slow_consumer_disconnects);
  return close_body(body_, extra);
}

// ------------------------------------------------------------------ GET /topics/{name}/messages

HistoryBody::HistoryBody(std::string_view topic, std::string_view epoch, std::uint64_t seq, std::size_t item_bytes)
    : body_(R"({"topic":)") {
  append_json_string(body_, topic);
  body_ += R"(,"epoch":)";
  append_json_string(body_, epoch);
  body_ += R"(,"seq":)" + std::to_string(seq) + R"(,"messages":[)";
  body_.reserve(body_.size() + item_bytes + 2);
}

void HistoryBody::separate() {
  if (!first_) body_ += ',';
  first_ = false;
}

void HistoryBody::add_event(std::string_view event_json) {
  separate();
  protocol::write_history_item(body_, event_json);
}

void HistoryBody::add(std::string_view id_raw, std::string_view payload_raw, std::uint64_t seq, std::string_view ts) {
  separate();
  body_ += R"({"id":)";
  body_ += id_raw;
  body_ += R"(,"payload":)";
  body_ += payload_raw;
  body_ += R"(,"seq":)" + std::to_string(seq);
  body_ += R"(,"ts":")";
  body_ += ts;
  body_ += "\"}";
}

std::string HistoryBody::finish(std::string_view extra) {
  body_ += ']';
  return close_body(body_, extra);
}

}  // namespace pubsub::net
