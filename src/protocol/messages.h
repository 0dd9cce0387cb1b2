// The WebSocket wire format of the contract (sections 2, 3 and 5): parsing
// client requests and building every server frame as JSON text.
//
// Pure functions; callable from any thread. A parsed Request points into the
// frame it was parsed from, which must outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/text.h"
#include "protocol/error_code.h"

namespace pubsub::protocol {

enum class RequestType { subscribe, unsubscribe, publish, ping };

// Returns true if `name` is 1 to 255 bytes of A-Z a-z 0-9 . _ - :
bool is_valid_topic_name(std::string_view name);

// Returns true if `id` is a UUID: 8-4-4-4-12 hex digits of either case.
bool is_uuid(std::string_view id);

struct ParseOptions {
  bool require_uuid = true;
};

// A well-formed client request. String views point into the parsed frame.
struct Request {
  RequestType type = RequestType::ping;
  std::string topic;                           // decoded; set for all but ping
  std::string_view message_id_raw;             // publish: JSON string token, quotes included
  std::string_view payload_raw;                // publish: the payload's exact bytes
  std::uint64_t last_n = 0;                    // subscribe; saturates at UINT64_MAX
  std::optional<std::string_view> request_id;  // JSON string token, quotes included
};

// Outcome of parse_request: either `request` is valid, or `error` names the
// offending field (and `request.request_id` holds the id to echo, if any).
struct ParseResult {
  bool ok = false;
  Request request;
  std::string error;
};

// Parses one text frame. Never throws on bad input: every violation of
// section 2 comes back as !ok with a message naming the field.
ParseResult parse_request(std::string_view frame, const ParseOptions& options);

// Writes `t` as RFC 3339 UTC with milliseconds ("2025-08-25T10:00:00.123Z");
// shared with the logs.
using common::format_timestamp;

// Frame builders. `request_id` is a raw JSON string token (as parsed) or
// nullopt, in which case the field is left out. `ts` is a formatted
// timestamp. Each write_* appends the JSON text to `out`; each make_*
// returns it.
void write_ack(std::string& out, std::optional<std::string_view> request_id, std::string_view topic,
               std::string_view ts);
void write_error(std::string& out, std::optional<std::string_view> request_id, ErrorCode code, std::string_view message,
                 std::string_view ts);
void write_pong(std::string& out, std::optional<std::string_view> request_id, std::string_view ts);
void write_heartbeat(std::string& out, std::string_view ts);
void write_topic_deleted(std::string& out, std::string_view topic, std::string_view ts);
void write_dropped(std::string& out, std::string_view topic, std::uint64_t count, std::string_view ts);
void write_event(std::string& out, std::string_view topic, std::string_view message_id_raw,
                 std::string_view payload_raw, std::uint64_t seq, std::string_view ts);

std::string make_ack(std::optional<std::string_view> request_id, std::string_view topic, std::string_view ts);
std::string make_error(std::optional<std::string_view> request_id, ErrorCode code, std::string_view message,
                       std::string_view ts);
std::string make_pong(std::optional<std::string_view> request_id, std::string_view ts);
std::string make_heartbeat(std::string_view ts);
std::string make_topic_deleted(std::string_view topic, std::string_view ts);
std::string make_dropped(std::string_view topic, std::uint64_t count, std::string_view ts);
std::string make_event(std::string_view topic, std::string_view message_id_raw, std::string_view payload_raw,
                       std::uint64_t seq, std::string_view ts);

}  // namespace pubsub::protocol
