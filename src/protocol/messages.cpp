// Client request parsing and server frame building; see messages.h.
#include "protocol/messages.h"

#include <charconv>
#include <limits>

#include "common/hex.h"
#include "protocol/json_scan.h"

namespace pubsub::protocol {
namespace {

constexpr std::string_view kTopicRule = "1-255 characters of A-Z a-z 0-9 . _ - :";

// Keeps the last value of each member the request parser cares about.
struct RequestMembers final : MemberVisitor {
  std::optional<JsonValue> type, topic, client_id, message, last_n, since_seq, epoch, request_id;

  void member(std::string_view raw_key, JsonValue value) override {
    std::string scratch;
    std::string_view key = decode_key(raw_key, scratch);
    if (key == "type") type = value;
    else if (key == "topic") topic = value;
    else if (key == "client_id") client_id = value;
    else if (key == "message") message = value;
    else if (key == "last_n") last_n = value;
    else if (key == "since_seq") since_seq = value;
    else if (key == "epoch") epoch = value;
    else if (key == "request_id") request_id = value;
  }
};

struct MessageMembers final : MemberVisitor {
  std::optional<JsonValue> id, payload;

  void member(std::string_view raw_key, JsonValue value) override {
    std::string scratch;
    std::string_view key = decode_key(raw_key, scratch);
    if (key == "id") id = value;
    else if (key == "payload") payload = value;
  }
};

// Decodes a validated JSON string token (quotes included). Returns false for
// a lone surrogate escape.
bool decode_token(JsonValue token, std::string& out) {
  return decode_json_string(token.raw.substr(1, token.raw.size() - 2), out);
}

bool parse_type(std::string_view name, RequestType& out) {
  for (std::size_t i = 0; i < kRequestTypes.size(); ++i) {
    if (name == kRequestTypes[i]) {
      out = static_cast<RequestType>(i);
      return true;
    }
  }
  return false;
}

// Reads a non-negative JSON integer spelled with digits only; larger values
// than uint64 saturate (last_n is clamped to the history anyway).
bool parse_count(JsonValue value, std::uint64_t& out) {
  if (value.type != JsonType::number) return false;
  for (char c : value.raw) {
    if (c < '0' || c > '9') return false;
  }
  auto [ptr, ec] = std::from_chars(value.raw.data(), value.raw.data() + value.raw.size(), out);
  if (ec == std::errc::result_out_of_range) out = std::numeric_limits<std::uint64_t>::max();
  return ec == std::errc{} || ec == std::errc::result_out_of_range;
}

// Appends `n` in decimal.
void append_decimal(std::string& out, std::uint64_t n) {
  char digits[20];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, end);
}

ParseResult fail(ParseResult& result, std::string message) {
  result.ok = false;
  result.error = std::move(message);
  return std::move(result);
}

// Validates the members of a message object (`message` of a publish, or
// an HTTP publish's body) into `out`. Returns an empty string on success,
// else the error message, naming fields after `prefix`.
std::string check_message_members(const MessageMembers& members, const ParseOptions& options, std::string_view prefix,
                                  MessageBody& out) {
  const std::string field_id = std::string(prefix) + "id";
  if (!members.id || members.id->type != JsonType::string) return field_id + " is required and must be a string";
  std::string id;
  if (!decode_token(*members.id, id)) return field_id + " is not a valid string";
  if (id.empty()) return field_id + " must not be empty";
  if (options.require_uuid && !is_uuid(id)) return field_id + " must be a UUID (8-4-4-4-12 hex digits)";
  if (!members.payload) return std::string(prefix) + "payload is required";
  out = {members.id->raw, members.payload->raw};
  return {};
}

// Validates the fields of a publish's `message` object into `request`.
// Returns an empty string on success, else the error message.
std::string parse_publish_message(JsonValue message, const ParseOptions& options, Request& request) {
  if (message.type != JsonType::object) return "message is required and must be an object with id and payload";
  MessageMembers members;
  scan_object(message.raw, members);  // already validated as part of the frame
  MessageBody body;
  std::string error = check_message_members(members, options, "message.", body);
  request.message_id_raw = body.id_raw;
  request.payload_raw = body.payload_raw;
  return error;
}

// Validates the resume fields of a subscribe (section 9) into `request`.
std::string parse_resume(const RequestMembers& m, Request& request) {
  if (m.since_seq) {
    std::uint64_t since = 0;
    if (!parse_count(*m.since_seq, since)) return "since_seq must be an integer >= 0";
    if (m.last_n) return "since_seq and last_n cannot be used together";
    request.since_seq = since;
  }
  if (m.epoch) {
    if (m.epoch->type != JsonType::string) return "epoch must be a string";
    if (!m.since_seq) return "epoch needs since_seq";
    std::string epoch;
    if (!decode_token(*m.epoch, epoch)) return "epoch is not a valid string";
    request.epoch = std::move(epoch);
  }
  return {};
}

// Starts a frame `{"type":"<type>"` with its request_id when there is one.
void open_frame(std::string& out, std::string_view type, std::optional<std::string_view> request_id,
                std::size_t extra) {
  out.reserve(out.size() + 64 + extra + (request_id ? request_id->size() : 0));
  out += R"({"type":")";
  out += type;
  out += '"';
  if (request_id) {
    out += R"(,"request_id":)";
    out += *request_id;
  }
}

// Appends an info frame's ,"msg":"<message>".
void append_info_message(std::string& out, std::string_view message) {
  out += R"(,"msg":")";
  out += message;
  out += '"';
}

void close_frame(std::string& out, std::string_view ts) {
  out += R"(,"ts":")";
  out += ts;
  out += "\"}";
}

}  // namespace

bool is_valid_topic_name(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-' || c == ':';
    if (!ok) return false;
  }
  return true;
}

bool is_uuid(std::string_view id) {
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!common::is_hex_digit(c)) {
      return false;
    }
  }
  return true;
}

ParseResult parse_request(std::string_view frame, const ParseOptions& options) {
  ParseResult result;
  RequestMembers m;
  switch (scan_object(frame, m)) {
    case ObjectScan::invalid_json: return fail(result, "message is not valid JSON");
    case ObjectScan::too_deep: return fail(result, too_deep_error("message"));
    case ObjectScan::not_an_object: return fail(result, "message must be a JSON object");
    case ObjectScan::ok: break;
  }
  Request& req = result.request;
  if (m.request_id) {
    if (m.request_id->type != JsonType::string) return fail(result, "request_id must be a string");
    req.request_id = m.request_id->raw;
  }

  std::string text;
  if (!m.type || m.type->type != JsonType::string || !decode_token(*m.type, text) || !parse_type(text, req.type)) {
    return fail(result, "type is required and must be one of subscribe, unsubscribe, publish, ping");
  }
  result.type_known = true;
  if (req.type == RequestType::ping) {
    result.ok = true;
    return result;
  }

  if (!m.topic || m.topic->type != JsonType::string) return fail(result, "topic is required and must be a string");
  if (!decode_token(*m.topic, req.topic) || !is_valid_topic_name(req.topic)) {
    return fail(result, "topic must be " + std::string(kTopicRule));
  }

  if (req.type == RequestType::subscribe || req.type == RequestType::unsubscribe) {
    if (!m.client_id || m.client_id->type != JsonType::string || m.client_id->raw.size() <= 2) {
      return fail(result, "client_id is required and must be a non-empty string");
    }
  }
  if (req.type == RequestType::subscribe) {
    if (m.last_n && !parse_count(*m.last_n, req.last_n)) return fail(result, "last_n must be an integer >= 0");
    std::string error = parse_resume(m, req);
    if (!error.empty()) return fail(result, std::move(error));
  }
  if (req.type == RequestType::publish) {
    if (!m.message) return fail(result, "message is required and must be an object with id and payload");
    std::string error = parse_publish_message(*m.message, options, req);
    if (!error.empty()) return fail(result, std::move(error));
  }
  result.ok = true;
  return result;
}

MessageBodyResult parse_message_body(std::string_view text, const ParseOptions& options,
                                     std::string_view field_prefix) {
  MessageBodyResult result;
  MessageMembers members;
  const std::string what = field_prefix.empty() ? "body" : std::string(field_prefix.substr(0, field_prefix.size() - 1));
  switch (scan_object(text, members)) {
    case ObjectScan::invalid_json: result.error = what + " is not valid JSON"; return result;
    case ObjectScan::too_deep: result.error = too_deep_error(what); return result;
    case ObjectScan::not_an_object: result.error = what + " must be a JSON object with id and payload"; return result;
    case ObjectScan::ok: break;
  }
  result.error = check_message_members(members, options, field_prefix, result.message);
  result.ok = result.error.empty();
  return result;
}

void write_ack(std::string& out, std::optional<std::string_view> request_id, std::string_view topic,
               std::string_view ts, const AckPosition& position) {
  open_frame(out, frame_type::ack, request_id, topic.size() + 64);
  out += R"(,"topic":)";
  append_json_string(out, topic);
  out += R"(,"status":"ok")";
  if (position.epoch) {
    out += R"(,"epoch":)";
    append_json_string(out, *position.epoch);
  }
  if (position.seq) {
    out += R"(,"seq":)";
    append_decimal(out, *position.seq);
  }
  if (position.recovered) out += *position.recovered ? R"(,"recovered":true)" : R"(,"recovered":false)";
  close_frame(out, ts);
}

void write_error(std::string& out, std::optional<std::string_view> request_id, ErrorCode code, std::string_view message,
                 std::string_view ts) {
  open_frame(out, frame_type::error, request_id, message.size());
  out += R"(,"error":{"code":")";
  out += to_string(code);
  out += R"(","message":)";
  append_json_string(out, message);
  out += '}';
  close_frame(out, ts);
}

void write_pong(std::string& out, std::optional<std::string_view> request_id, std::string_view ts) {
  open_frame(out, frame_type::pong, request_id, 0);
  close_frame(out, ts);
}

void write_heartbeat(std::string& out, std::string_view ts) {
  open_frame(out, frame_type::info, std::nullopt, 0);
  append_info_message(out, info_message::heartbeat);
  close_frame(out, ts);
}

void write_topic_deleted(std::string& out, std::string_view topic, std::string_view ts) {
  open_frame(out, frame_type::info, std::nullopt, topic.size());
  out += R"(,"topic":)";
  append_json_string(out, topic);
  append_info_message(out, info_message::topic_deleted);
  close_frame(out, ts);
}

void write_dropped(std::string& out, std::string_view topic, std::uint64_t count, std::string_view ts) {
  open_frame(out, frame_type::info, std::nullopt, topic.size());
  out += R"(,"topic":)";
  append_json_string(out, topic);
  append_info_message(out, info_message::dropped);
  out += R"(,"dropped":)";
  append_decimal(out, count);
  close_frame(out, ts);
}

void write_event(std::string& out, std::string_view topic, std::string_view message_id_raw,
                 std::string_view payload_raw, std::uint64_t seq, std::string_view ts) {
  open_frame(out, frame_type::event, std::nullopt, topic.size() + message_id_raw.size() + payload_raw.size());
  out += R"(,"topic":)";
  append_json_string(out, topic);
  out += R"(,"message":{"id":)";
  out += message_id_raw;
  out += R"(,"payload":)";
  out += payload_raw;
  out += R"(},"seq":)";
  append_decimal(out, seq);
  close_frame(out, ts);
}

std::string make_ack(std::optional<std::string_view> request_id, std::string_view topic, std::string_view ts,
                     const AckPosition& position) {
  std::string out;
  write_ack(out, request_id, topic, ts, position);
  return out;
}

std::string make_error(std::optional<std::string_view> request_id, ErrorCode code, std::string_view message,
                       std::string_view ts) {
  std::string out;
  write_error(out, request_id, code, message, ts);
  return out;
}

std::string make_pong(std::optional<std::string_view> request_id, std::string_view ts) {
  std::string out;
  write_pong(out, request_id, ts);
  return out;
}

std::string make_heartbeat(std::string_view ts) {
  std::string out;
  write_heartbeat(out, ts);
  return out;
}

std::string make_topic_deleted(std::string_view topic, std::string_view ts) {
  std::string out;
  write_topic_deleted(out, topic, ts);
  return out;
}

std::string make_dropped(std::string_view topic, std::uint64_t count, std::string_view ts) {
  std::string out;
  write_dropped(out, topic, count, ts);
  return out;
}

std::string make_event(std::string_view topic, std::string_view message_id_raw, std::string_view payload_raw,
                       std::uint64_t seq, std::string_view ts) {
  std::string out;
  write_event(out, topic, message_id_raw, payload_raw, seq, ts);
  return out;
}

void write_history_item(std::string& out, std::string_view event_json) {
  // {"type":"event","topic":T,"message":{M},"seq":N,"ts":"..."}: a topic
  // name holds no quote, so the first `"message":{` opens M; the payload
  // may hold anything, so M ends at the last `},"seq":`.
  constexpr std::string_view kOpen = R"("message":{)";
  constexpr std::string_view kClose = R"(},"seq":)";
  const std::size_t open = event_json.find(kOpen);
  const std::size_t close = event_json.rfind(kClose);
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return;
  const std::size_t members = open + kOpen.size();
  out += '{';
  out += event_json.substr(members, close - members);
  out += ',';
  out += event_json.substr(close + 2);  // "seq":N,"ts":"..."}
}

}  // namespace pubsub::protocol
