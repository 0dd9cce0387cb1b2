// Fuzz target of the text a WebSocket client sends: the JSON scanner
// (protocol/json_scan.h) and the request parser (protocol/messages.h), fed
// the input as one text frame; and the client's framing
// (protocol/client_frames.h), fed it as bytes from a server and as a
// payload to frame. Where a parse succeeds it checks that every view it
// returns lies inside the input and is valid JSON of the right type, that
// the frames the server would build from the request (event, history item,
// ack, error) are valid JSON that carry the request's bytes unchanged, and
// that decoding and re-encoding strings gives them back.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.h"
#include "fuzz_check.h"
#include "protocol/client_frames.h"
#include "protocol/json_scan.h"
#include "protocol/messages.h"
#include "protocol/websocket_reader.h"

namespace {

using namespace pubsub::protocol;

constexpr std::string_view kTs = "2025-08-25T10:00:00.123Z";

// True if `part` is a view into `whole`.
bool inside(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

JsonType type_of_first(char c) {
  switch (c) {
    case '{': return JsonType::object;
    case '[': return JsonType::array;
    case '"': return JsonType::string;
    case 't':
    case 'f': return JsonType::boolean;
    case 'n': return JsonType::null;
    default: return JsonType::number;
  }
}

// Scans `raw`, which must be one valid JSON value of type `type`.
void check_value(std::string_view raw, JsonType type) {
  JsonValue again;
  FUZZ_CHECK(scan_json(raw, again));
  FUZZ_CHECK(again.raw == raw && again.type == type);
  FUZZ_CHECK(!raw.empty() && type_of_first(raw.front()) == type);
}

// A string token's inside decodes to valid UTF-8 (unless it holds a lone
// surrogate), which encodes back to a string token that decodes the same.
void check_string(std::string_view token) {
  FUZZ_CHECK(token.size() >= 2 && token.front() == '"' && token.back() == '"');
  std::string decoded;
  if (!decode_json_string(token.substr(1, token.size() - 2), decoded)) return;
  FUZZ_CHECK(pubsub::common::valid_utf8(decoded));
  std::string encoded;
  append_json_string(encoded, decoded);
  check_value(encoded, JsonType::string);
  std::string twice;
  FUZZ_CHECK(decode_json_string(std::string_view(encoded).substr(1, encoded.size() - 2), twice));
  FUZZ_CHECK(twice == decoded);
}

struct Members final : MemberVisitor {
  explicit Members(std::string_view text) : text(text) {}
  std::string_view text;
  std::vector<std::pair<std::string_view, JsonValue>> seen;
  void member(std::string_view raw_key, JsonValue value) override {
    FUZZ_CHECK(inside(raw_key, text) && inside(value.raw, text));
    seen.emplace_back(raw_key, value);
  }
};

void check_scanner(std::string_view text) {
  JsonValue value;
  const bool valid = scan_json(text, value);
  if (valid) {
    FUZZ_CHECK(inside(value.raw, text));
    check_value(value.raw, value.type);
    if (value.type == JsonType::string) check_string(value.raw);
  }

  Members members(text);
  const ObjectScan scan = scan_object(text, members);
  switch (scan) {
    case ObjectScan::ok: FUZZ_CHECK(valid && value.type == JsonType::object); break;
    case ObjectScan::not_an_object:
      FUZZ_CHECK(valid && value.type != JsonType::object);
      FUZZ_CHECK(members.seen.empty());
      break;
    case ObjectScan::invalid_json:
    case ObjectScan::too_deep: FUZZ_CHECK(!valid); break;
  }
  if (scan == ObjectScan::ok) {
    for (const auto& [raw_key, member] : members.seen) {
      check_value(member.raw, member.type);
      check_string(std::string(1, '"') + std::string(raw_key) + '"');
      std::string scratch;
      const std::string_view key = decode_key(raw_key, scratch);
      if (raw_key.find('\\') == std::string_view::npos) FUZZ_CHECK(key.data() == raw_key.data());
      if (member.type == JsonType::string) check_string(member.raw);
    }
  }

  const std::vector<JsonValue> elements = array_elements(text);
  if (valid && value.type == JsonType::array) {
    // The elements, joined again, are the same array.
    std::string joined = "[";
    for (const JsonValue& element : elements) {
      FUZZ_CHECK(inside(element.raw, text));
      check_value(element.raw, element.type);
      if (joined.size() > 1) joined += ',';
      joined += element.raw;
    }
    joined += ']';
    check_value(joined, JsonType::array);
    const std::vector<JsonValue> again = array_elements(joined);
    FUZZ_CHECK(again.size() == elements.size());
    for (std::size_t i = 0; i < again.size(); ++i) FUZZ_CHECK(again[i].raw == elements[i].raw);
  }
  for (const JsonValue& element : elements) FUZZ_CHECK(inside(element.raw, text));
}

// The members of a JSON object that this target looks at again.
struct Object final : MemberVisitor {
  std::vector<std::pair<std::string, std::string_view>> members;
  void member(std::string_view raw_key, JsonValue value) override { members.emplace_back(raw_key, value.raw); }
  std::string_view get(std::string_view key) const {
    for (const auto& [k, v] : members) {
      if (k == key) return v;
    }
    return {};
  }
};

void check_request(std::string_view text, const ParseResult& result, bool require_uuid) {
  if (result.request.request_id) {
    FUZZ_CHECK(inside(*result.request.request_id, text));
    check_value(*result.request.request_id, JsonType::string);
  }
  if (!result.ok) {
    FUZZ_CHECK(!result.error.empty());
    // The error frame the server answers with is valid JSON.
    Object error;
    FUZZ_CHECK(scan_object(make_error(result.request.request_id, ErrorCode::bad_request, result.error, kTs), error) ==
               ObjectScan::ok);
    return;
  }
  Members any(text);
  FUZZ_CHECK(scan_object(text, any) == ObjectScan::ok);
  const Request& request = result.request;
  Object frame;
  FUZZ_CHECK(scan_object(make_pong(request.request_id, kTs), frame) == ObjectScan::ok);
  if (request.type == RequestType::ping) return;
  FUZZ_CHECK(is_valid_topic_name(request.topic));
  FUZZ_CHECK(scan_object(make_ack(request.request_id, request.topic, kTs), frame) == ObjectScan::ok);
  if (request.type == RequestType::subscribe) {
    if (request.since_seq) FUZZ_CHECK(request.last_n == 0);
    if (request.epoch) FUZZ_CHECK(request.since_seq.has_value());
  }
  if (request.type != RequestType::publish) return;

  FUZZ_CHECK(inside(request.message_id_raw, text) && inside(request.payload_raw, text));
  check_value(request.message_id_raw, JsonType::string);
  JsonValue payload;
  FUZZ_CHECK(scan_json(request.payload_raw, payload) && payload.raw == request.payload_raw);
  std::string id;
  FUZZ_CHECK(decode_json_string(request.message_id_raw.substr(1, request.message_id_raw.size() - 2), id));
  FUZZ_CHECK(!id.empty());
  if (require_uuid) FUZZ_CHECK(is_uuid(id));

  // The event carries the id and payload byte for byte, and so does the
  // history item cut out of it.
  const std::string event = make_event(request.topic, request.message_id_raw, request.payload_raw, 7, kTs);
  Object event_members;
  FUZZ_CHECK(scan_object(event, event_members) == ObjectScan::ok);
  Object message;
  FUZZ_CHECK(scan_object(event_members.get("message"), message) == ObjectScan::ok);
  FUZZ_CHECK(message.get("id") == request.message_id_raw && message.get("payload") == request.payload_raw);
  std::string item;
  write_history_item(item, event);
  Object item_members;
  FUZZ_CHECK(scan_object(item, item_members) == ObjectScan::ok);
  FUZZ_CHECK(item_members.members.size() == 4);
  FUZZ_CHECK(item_members.get("id") == request.message_id_raw);
  FUZZ_CHECK(item_members.get("payload") == request.payload_raw);
  FUZZ_CHECK(item_members.get("seq") == "7");
}

void check_parsers(std::string_view text) {
  const ParseResult strict = parse_request(text, {true});
  const ParseResult loose = parse_request(text, {false});
  check_request(text, strict, true);
  check_request(text, loose, false);
  if (strict.ok) FUZZ_CHECK(loose.ok);  // a UUID is one more rule, never one less

  const MessageBodyResult body = parse_message_body(text, {false});
  if (body.ok) {
    FUZZ_CHECK(inside(body.message.id_raw, text) && inside(body.message.payload_raw, text));
    check_value(body.message.id_raw, JsonType::string);
    JsonValue payload;
    FUZZ_CHECK(scan_json(body.message.payload_raw, payload));
  } else {
    FUZZ_CHECK(!body.error.empty());
  }
}

// The input as the bytes a server sent, and as the payload of a client's
// frame read back by the server's reader.
void check_framing(std::string_view bytes) {
  if (const auto frame = read_server_frame(bytes)) {
    FUZZ_CHECK(frame->size() <= bytes.size());
    FUZZ_CHECK(inside(frame->payload, bytes));
    FUZZ_CHECK(frame->payload.data() == bytes.data() + frame->header_size);
    FUZZ_CHECK(frame->opcode == (static_cast<unsigned char>(bytes[0]) & 0x0F));
  }
  for (const std::uint8_t first : {std::uint8_t{0x81}, std::uint8_t{0x82}}) {
    std::string wire = client_frame(first, bytes);
    FUZZ_CHECK(wire.size() == client_frame_header_size(bytes.size()) + bytes.size());
    ClientFrameReader reader(bytes.size());
    std::span<char> input(wire.data(), wire.size());
    const ClientFrameReader::Item item = reader.next(input);
    FUZZ_CHECK(input.empty());
    if (first == 0x81 && !pubsub::common::valid_utf8(bytes)) {
      FUZZ_CHECK(item.kind == ClientFrameReader::Kind::violation);
    } else {
      FUZZ_CHECK(item.kind == (first == 0x81 ? ClientFrameReader::Kind::text : ClientFrameReader::Kind::binary));
      FUZZ_CHECK(item.payload == bytes);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_scanner(text);
  check_parsers(text);
  check_framing(text);
  return 0;
}
