// The checks of REST requests' bodies and queries; see rest_requests.h.
#include "net/rest_requests.h"

#include <algorithm>
#include <charconv>

#include "common/percent_decode.h"
#include "protocol/json_scan.h"

namespace pubsub::net {
namespace {

using protocol::ErrorCode;

constexpr std::size_t kMaxBatch = 1000;

template <typename Value>
Checked<Value> refused(RestResponse response) {
  return {{}, std::move(response)};
}

// Finds the `name` member of a POST /topics body.
struct NameMember final : protocol::MemberVisitor {
  std::optional<protocol::JsonValue> name;
  void member(std::string_view raw_key, protocol::JsonValue value) override {
    std::string scratch;
    if (protocol::decode_key(raw_key, scratch) == "name") name = value;
  }
};

// The members of a batch body: {"messages":[...]}.
struct BatchMembers final : protocol::MemberVisitor {
  std::optional<protocol::JsonValue> messages;
  void member(std::string_view raw_key, protocol::JsonValue value) override {
    std::string scratch;
    if (protocol::decode_key(raw_key, scratch) == "messages") messages = value;
  }
};

// What an integer parameter beyond 64 bits reads as.
enum class Beyond64Bits { refused, largest };

// Reads a query parameter that must be an integer in [min, max] when
// present; with Beyond64Bits::largest, one past 64 bits reads as max (as a
// subscribe's since_seq does). Sets `error` (naming the parameter) on a bad
// value.
std::optional<std::uint64_t> integer_parameter(std::string_view target, std::string_view name, std::uint64_t min,
                                               std::uint64_t max, std::optional<RestResponse>& error,
                                               Beyond64Bits beyond = Beyond64Bits::refused) {
  const std::optional<std::string> text = query_parameter(target, name);
  if (!text) return std::nullopt;
  std::uint64_t value = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (beyond == Beyond64Bits::largest && ec == std::errc::result_out_of_range && ptr == end) return max;
  if (text->empty() || ec != std::errc{} || ptr != end || value < min || value > max) {
    const std::string range = beyond == Beyond64Bits::largest ? " up" : " to " + std::to_string(max);
    error = rest_error(ErrorCode::bad_request,
                       std::string(name) + " must be an integer from " + std::to_string(min) + range);
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
    undecodable |=
        !common::percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), decoded);
  }
  return seen > 1 || undecodable;
}

// The refusal of a publish that must not go on before its body is read
// (the server shuts down).
std::optional<RestResponse> publishing_closed(const RestContext& context) {
  if (context.counters.shutting_down) return rest_error(ErrorCode::unavailable, "server is shutting down");
  return std::nullopt;
}

// Takes `count` publishes from the connection's --max-publish-rate budget;
// the refusal if there are not as many.
std::optional<RestResponse> over_rate(const RestContext& context, std::size_t count) {
  if (context.publish_budget == nullptr ||
      context.publish_budget->take(static_cast<std::uint32_t>(count), common::TokenBucket::Clock::now())) {
    return std::nullopt;
  }
  return rest_error(ErrorCode::rate_limited, "publishes above --max-publish-rate on this connection; not published");
}

}  // namespace

Checked<std::string> new_topic_name(std::string_view body) {
  NameMember member;
  const protocol::ObjectScan scan = protocol::scan_object(body, member);
  if (scan == protocol::ObjectScan::too_deep) {
    return refused<std::string>(rest_error(ErrorCode::bad_request, protocol::too_deep_error("body")));
  }
  if (scan != protocol::ObjectScan::ok) {
    return refused<std::string>(
        rest_error(ErrorCode::bad_request, R"(body must be a JSON object like {"name":"orders"})"));
  }
  Checked<std::string> name;
  if (!member.name || member.name->type != protocol::JsonType::string ||
      !protocol::decode_json_string(member.name->raw.substr(1, member.name->raw.size() - 2), name.value)) {
    return refused<std::string>(rest_error(ErrorCode::bad_request, "name is required and must be a string"));
  }
  if (!protocol::is_valid_topic_name(name.value)) return refused<std::string>(bad_topic_name());
  return name;
}

Checked<HistoryQuery> history_query(std::string_view target, std::size_t history_size) {
  for (std::string_view parameter : {"since_seq", "limit"}) {
    if (has_malformed_parameter(target, parameter)) {
      return refused<HistoryQuery>(
          rest_error(ErrorCode::bad_request, std::string(parameter) + " must be given once, as an integer"));
    }
  }
  std::optional<RestResponse> error;
  const auto since_seq = integer_parameter(target, "since_seq", 0, UINT64_MAX, error, Beyond64Bits::largest);
  if (error) return refused<HistoryQuery>(std::move(*error));
  const auto limit = integer_parameter(target, "limit", 1, std::max<std::uint64_t>(history_size, 1), error);
  if (error) return refused<HistoryQuery>(std::move(*error));
  return {{since_seq.value_or(0), static_cast<std::size_t>(limit.value_or(history_size))}, std::nullopt};
}

Checked<protocol::MessageBody> message_to_publish(const RestContext& context, std::string_view body) {
  if (auto closed = publishing_closed(context)) return refused<protocol::MessageBody>(std::move(*closed));
  const protocol::MessageBodyResult parsed = protocol::parse_message_body(body, {context.require_uuid});
  if (!parsed.ok) return refused<protocol::MessageBody>(rest_error(ErrorCode::bad_request, parsed.error));
  if (auto refusal = over_rate(context, 1)) return refused<protocol::MessageBody>(std::move(*refusal));
  return {parsed.message, std::nullopt};
}

Checked<std::vector<protocol::MessageBody>> messages_to_publish(const RestContext& context, std::string_view body) {
  using Messages = std::vector<protocol::MessageBody>;
  if (auto closed = publishing_closed(context)) return refused<Messages>(std::move(*closed));
  BatchMembers members;
  const protocol::ObjectScan scan = protocol::scan_object(body, members);
  if (scan == protocol::ObjectScan::too_deep) {
    return refused<Messages>(rest_error(ErrorCode::bad_request, protocol::too_deep_error("body")));
  }
  if (scan != protocol::ObjectScan::ok || !members.messages || members.messages->type != protocol::JsonType::array) {
    return refused<Messages>(
        rest_error(ErrorCode::bad_request, R"(body must be {"messages":[{"id":...,"payload":...}, ...]})"));
  }
  const std::vector<protocol::JsonValue> elements = protocol::array_elements(members.messages->raw);
  if (elements.empty() || elements.size() > kMaxBatch) {
    return refused<Messages>(
        rest_error(ErrorCode::bad_request, "messages must hold 1 to " + std::to_string(kMaxBatch) + " messages"));
  }
  Checked<Messages> messages;
  messages.value.reserve(elements.size());
  for (std::size_t i = 0; i < elements.size(); ++i) {
    const std::string prefix = "messages[" + std::to_string(i) + "].";
    const protocol::MessageBodyResult parsed =
        protocol::parse_message_body(elements[i].raw, {context.require_uuid}, prefix);
    if (!parsed.ok) return refused<Messages>(rest_error(ErrorCode::bad_request, parsed.error));
    messages.value.push_back(parsed.message);
  }
  if (auto refusal = over_rate(context, messages.value.size())) return refused<Messages>(std::move(*refusal));
  return messages;
}

}  // namespace pubsub::net
