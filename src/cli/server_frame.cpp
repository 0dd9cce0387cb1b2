// Reading the server's frames and error bodies; see server_frame.h.
#include "cli/server_frame.h"

#include <charconv>

#include "protocol/json_scan.h"

namespace pubsub::cli {

namespace {

// A JSON string value, decoded; nullopt if `value` is not a string.
std::optional<std::string> string_value(const protocol::JsonValue& value) {
  if (value.type != protocol::JsonType::string) return std::nullopt;
  std::string out;
  if (!protocol::decode_json_string(value.raw.substr(1, value.raw.size() - 2), out)) return std::nullopt;
  return out;
}

// A JSON integer >= 0 that fits 64 bits; nullopt otherwise.
std::optional<std::uint64_t> unsigned_value(const protocol::JsonValue& value) {
  if (value.type != protocol::JsonType::number) return std::nullopt;
  std::uint64_t out = 0;
  const char* end = value.raw.data() + value.raw.size();
  auto [ptr, ec] = std::from_chars(value.raw.data(), end, out);
  if (ec != std::errc{} || ptr != end) return std::nullopt;
  return out;
}

FrameType frame_type(std::string_view name) {
  if (name == "ack") return FrameType::ack;
  if (name == "event") return FrameType::event;
  if (name == "error") return FrameType::error;
  if (name == "info") return FrameType::info;
  if (name == "pong") return FrameType::pong;
  return FrameType::other;
}

class ErrorObjectReader final : public protocol::MemberVisitor {
 public:
  ErrorObject object;
  bool has_code = false;

  void member(std::string_view raw_key, protocol::JsonValue value) override {
    std::string scratch;
    const std::string_view key = protocol::decode_key(raw_key, scratch);
    if (key == "code") {
      if (auto code = string_value(value)) {
        object.code = std::move(*code);
        has_code = true;
      }
    } else if (key == "message") {
      if (auto message = string_value(value)) object.message = std::move(*message);
    }
  }
};

std::optional<ErrorObject> error_object_of(const protocol::JsonValue& value) {
  if (value.type != protocol::JsonType::object) return std::nullopt;
  ErrorObjectReader reader;
  if (protocol::scan_object(value.raw, reader) != protocol::ObjectScan::ok || !reader.has_code) return std::nullopt;
  return std::move(reader.object);
}

class FrameReader final : public protocol::MemberVisitor {
 public:
  ServerFrame frame;

  void member(std::string_view raw_key, protocol::JsonValue value) override {
    std::string scratch;
    const std::string_view key = protocol::decode_key(raw_key, scratch);
    if (key == "type") {
      if (auto type = string_value(value)) frame.type = frame_type(*type);
    } else if (key == "request_id") {
      frame.request_id = string_value(value);
    } else if (key == "topic") {
      frame.topic = string_value(value);
    } else if (key == "seq") {
      frame.seq = unsigned_value(value);
    } else if (key == "epoch") {
      frame.epoch = string_value(value);
    } else if (key == "recovered") {
      if (value.type == protocol::JsonType::boolean) frame.recovered = value.raw == "true";
    } else if (key == "msg") {
      frame.msg = string_value(value);
    } else if (key == "dropped") {
      frame.dropped = unsigned_value(value);
    } else if (key == "error") {
      frame.error = error_object_of(value);
    }
  }
};

}  // namespace

std::optional<ServerFrame> read_server_frame_fields(std::string_view json) {
  FrameReader reader;
  if (protocol::scan_object(json, reader) != protocol::ObjectScan::ok) return std::nullopt;
  return std::move(reader.frame);
}

std::optional<ErrorObject> read_error_object(std::string_view json) {
  auto frame = read_server_frame_fields(json);
  if (!frame) return std::nullopt;
  return std::move(frame->error);
}

}  // namespace pubsub::cli
