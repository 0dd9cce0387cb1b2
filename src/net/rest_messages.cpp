// History and publishing over HTTP; see rest_messages.h.
#include "net/rest_messages.h"

#include <charconv>
#include <optional>
#include <vector>

#include "core/broker.h"
#include "net/broker_frames.h"
#include "protocol/json_scan.h"
#include "protocol/messages.h"
#include "protocol/websocket_frame.h"

namespace pubsub::net {
namespace {

using protocol::append_json_string;
using protocol::ErrorCode;

constexpr std::size_t kMaxBatch = 1000;

RestResponse topic_not_found(std::string_view name) {
  return rest_error(ErrorCode::topic_not_found, "topic '" + std::string(name) + "' does not exist");
}

// Reads a query parameter that must be an integer in [min, max] when
// present. Sets `error` (naming the parameter) on a bad value.
std::optional<std::uint64_t> integer_parameter(std::string_view target, std::string_view name, std::uint64_t min,
                                               std::uint64_t max, std::optional<RestResponse>& error) {
  const std::optional<std::string> text = query_parameter(target, name);
  if (!text) return std::nullopt;
  std::uint64_t value = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (text->empty() || ec != std::errc{} || ptr != end || value < min || value > max) {
    error = rest_error(ErrorCode::bad_request, std::string(name) + " must be an integer from " + std::to_string(min) +
                                                   " to " + std::to_string(max));
  }
  return value;
}

// A query parameter given twice, or one that is malformed, is refused
// rather than guessed at.
bool has_malformed_parameter(std::string_view target, std::string_view name) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return false;
  std::string_view query = target.substr(q + 1);
  int seen = 0;
  bool undecodable = false;
  std::string decoded;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    ++seen;
    undecodable |= !percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), decoded);
  }
  return seen > 1 || undecodable;
}

std::string_view event_json(const core::Event& event) { return protocol::server_frame_payload(event.bytes()); }

// The members of a batch body: {"messages":[...]}.
struct BatchMembers final : protocol::MemberVisitor {
  std::optional<protocol::JsonValue> messages;
  void member(std::string_view raw_key, protocol::JsonValue value) override {
    std::string scratch;
    if (protocol::decode_key(raw_key, scratch) == "messages") messages = value;
  }
};

// The answer to a publish: its seq, or a batch's first and last.
RestResponse published(std::string_view name, const core::PublishResult& result, bool batch) {
  std::string answer = R"({"status":"published","topic":)";
  append_json_string(answer, name);
  if (batch) {
    answer += R"(,"first_seq":)" + std::to_string(result.first_seq);
    answer += R"(,"last_seq":)" + std::to_string(result.seq) + '}';
  } else {
    answer += R"(,"seq":)" + std::to_string(result.seq) + '}';
  }
  return {201, std::move(answer), {}};
}

// The answer to a publish the broker did not take.
RestResponse not_published(std::string_view name, const core::PublishResult& result) {
  if (result.topic_limit_reached) {
    return rest_error(ErrorCode::limit_exceeded,
                      "topic '" + std::string(name) + "' cannot be created: the server holds --max-topics topics");
  }
  return topic_not_found(name);
}

// Takes `count` publishes from the connection's --max-publish-rate budget.
bool within_rate(const RestContext& context, std::size_t count) {
  return context.publish_budget == nullptr ||
         context.publish_budget->take(static_cast<std::uint32_t>(count), common::TokenBucket::Clock::now());
}

RestResponse rate_limited() {
  return rest_error(ErrorCode::rate_limited, "publishes above --max-publish-rate on this connection; not published");
}

RestResponse publish_one(core::Broker& broker, const RestContext& context, std::string_view name,
                         std::string_view body) {
  const protocol::MessageBodyResult parsed = protocol::parse_message_body(body, {context.require_uuid});
  if (!parsed.ok) return rest_error(ErrorCode::bad_request, parsed.error);
  if (!within_rate(context, 1)) return rate_limited();
  const PublishEncoder encoder(parsed.message.id_raw, parsed.message.payload_raw);
  const core::PublishResult result = broker.publish(context.shard, name, context.auto_create_topics, encoder);
  if (!result.found) return not_published(name, result);
  if (context.counts != nullptr) context.counts->published_http.add();
  return published(name, result, false);
}

RestResponse publish_batch(core::Broker& broker, const RestContext& context, std::string_view name,
                           std::string_view body) {
  BatchMembers members;
  const protocol::ObjectScan scan = protocol::scan_object(body, members);
  if (scan == protocol::ObjectScan::too_deep) {
    return rest_error(ErrorCode::bad_request, protocol::too_deep_error("body"));
  }
  if (scan != protocol::ObjectScan::ok || !members.messages || members.messages->type != protocol::JsonType::array) {
    return rest_error(ErrorCode::bad_request, R"(body must be {"messages":[{"id":...,"payload":...}, ...]})");
  }
  const std::vector<protocol::JsonValue> elements = protocol::array_elements(members.messages->raw);
  if (elements.empty() || elements.size() > kMaxBatch) {
    return rest_error(ErrorCode::bad_request, "messages must hold 1 to " + std::to_string(kMaxBatch) + " messages");
  }
  // Every message is checked before any is published.
  std::vector<PublishEncoder> encoders;
  encoders.reserve(elements.size());
  for (std::size_t i = 0; i < elements.size(); ++i) {
    const std::string prefix = "messages[" + std::to_string(i) + "].";
    const protocol::MessageBodyResult parsed =
        protocol::parse_message_body(elements[i].raw, {context.require_uuid}, prefix);
    if (!parsed.ok) return rest_error(ErrorCode::bad_request, parsed.error);
    encoders.emplace_back(parsed.message.id_raw, parsed.message.payload_raw);
  }
  if (!within_rate(context, encoders.size())) return rate_limited();
  std::vector<const core::EventEncoder*> pointers;
  pointers.reserve(encoders.size());
  for (const PublishEncoder& encoder : encoders) pointers.push_back(&encoder);
  const core::PublishResult result = broker.publish_all(context.shard, name, context.auto_create_topics, pointers);
  if (!result.found) return not_published(name, result);
  if (context.counts != nullptr) context.counts->published_http.add(result.seq - result.first_seq + 1);
  return published(name, result, true);
}

}  // namespace

RestResponse read_history(const core::Broker& broker, std::string_view name, std::string_view target) {
  for (std::string_view parameter : {"since_seq", "limit"}) {
    if (has_malformed_parameter(target, parameter)) {
      return rest_error(ErrorCode::bad_request, std::string(parameter) + " must be given once, as an integer");
    }
  }
  std::optional<RestResponse> error;
  const std::uint64_t history_size = broker.options().history_size;
  const auto since_seq = integer_parameter(target, "since_seq", 0, UINT64_MAX, error);
  if (error) return *error;
  const auto limit = integer_parameter(target, "limit", 1, std::max<std::uint64_t>(history_size, 1), error);
  if (error) return *error;

  auto page = broker.history(name, since_seq.value_or(0), limit.value_or(history_size));
  if (!page) return topic_not_found(name);
  std::string body = R"({"topic":)";
  append_json_string(body, page->name);
  body += R"(,"epoch":)";
  append_json_string(body, page->epoch.text());
  body += R"(,"seq":)" + std::to_string(page->seq) + R"(,"messages":[)";
  std::size_t bytes = 0;
  for (const core::EventRef& event : page->events) bytes += event->size();
  body.reserve(body.size() + bytes + 2);
  bool first = true;
  for (const core::EventRef& event : page->events) {
    if (!first) body += ',';
    first = false;
    protocol::write_history_item(body, event_json(*event));
  }
  body += "]}";
  return {200, std::move(body), {}};
}

RestResponse publish_messages(core::Broker& broker, const RestContext& context, std::string_view name,
                              std::string_view body, bool batch) {
  if (context.counters.shutting_down) return rest_error(ErrorCode::unavailable, "server is shutting down");
  return batch ? publish_batch(broker, context, name, body) : publish_one(broker, context, name, body);
}

}  // namespace pubsub::net
