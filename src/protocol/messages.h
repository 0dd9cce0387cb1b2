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
#include "protocol/message_types.h"

namespace pubsub::protocol {

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
  std::optional<std::uint64_t> since_seq;      // subscribe: resume after it (saturates)
  std::optional<std::string> epoch;            // subscribe with since_seq: decoded
  std::optional<std::string_view> request_id;  // JSON string token, quotes included
};

// Outcome of parse_request: either `request` is valid, or `error` names the
// offending field (and `request.request_id` holds the id to echo, if any).
struct ParseResult {
  bool ok = false;
  // The frame named a known type (request.type), even if it was refused.
  bool type_known = false;
  Request request;
  std::string error;
};

// Parses one text frame. Never throws on bad input: every violation of
// section 2 comes back as !ok with a message naming the field.
ParseResult parse_request(std::string_view frame, const ParseOptions& options);

// A publish's `message` object as the HTTP publish takes it (section 10),
// parsed on its own: `message_id_raw` and `payload_raw` point into it.
struct MessageBody {
  std::string_view id_raw;
  std::string_view payload_raw;
};
struct MessageBodyResult {
  bool ok = false;
  MessageBody message;
  std::string error;  // names the field, after `field_prefix`
};
// Parses the JSON object `text` as a message: `{"id":...,"payload":...}`.
// Error messages name fields with `field_prefix` before them ("" or
// "messages[3].").
MessageBodyResult parse_message_body(std::string_view text, const ParseOptions& options,
                                     std::string_view field_prefix = {});

// Writes `t` as RFC 3339 UTC with milliseconds ("2025-08-25T10:00:00.123Z");
// shared with the logs.
using common::format_timestamp;

// Frame builders. `request_id` is a raw JSON string token (as parsed) or
// nullopt, in which case the field is left out. `ts` is a formatted
// timestamp. Each write_* appends the JSON text to `out`; each make_*
// returns it.
// The fields an ack carries beyond the core contract's (section 9): the
// topic's epoch and a seq, and whether a resume recovered.
struct AckPosition {
  std::optional<std::string_view> epoch;
  std::optional<std::uint64_t> seq;
  std::optional<bool> recovered;
};
void write_ack(std::string& out, std::optional<std::string_view> request_id, std::string_view topic,
               std::string_view ts, const AckPosition& position = {});
void write_error(std::string& out, std::optional<std::string_view> request_id, ErrorCode code, std::string_view message,
                 std::string_view ts);
void write_pong(std::string& out, std::optional<std::string_view> request_id, std::string_view ts);
void write_heartbeat(std::string& out, std::string_view ts);
void write_topic_deleted(std::string& out, std::string_view topic, std::string_view ts);
void write_dropped(std::string& out, std::string_view topic, std::uint64_t count, std::string_view ts);
void write_event(std::string& out, std::string_view topic, std::string_view message_id_raw,
                 std::string_view payload_raw, std::uint64_t seq, std::string_view ts);

std::string make_ack(std::optional<std::string_view> request_id, std::string_view topic, std::string_view ts,
                     const AckPosition& position = {});
std::string make_error(std::optional<std::string_view> request_id, ErrorCode code, std::string_view message,
                       std::string_view ts);
std::string make_pong(std::optional<std::string_view> request_id, std::string_view ts);
std::string make_heartbeat(std::string_view ts);
std::string make_topic_deleted(std::string_view topic, std::string_view ts);
std::string make_dropped(std::string_view topic, std::uint64_t count, std::string_view ts);
std::string make_event(std::string_view topic, std::string_view message_id_raw, std::string_view payload_raw,
                       std::uint64_t seq, std::string_view ts);

// Appends the history item of the event whose JSON text (an `event` frame's
// payload, as write_event builds it) is `event_json`:
// {"id":...,"payload":...,"seq":N,"ts":"..."}, id and payload byte for byte.
void write_history_item(std::string& out, std::string_view event_json);

}  // namespace pubsub::protocol
