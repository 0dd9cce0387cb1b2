// What pubsub reads out of the server's JSON: the fields of a WebSocket
// frame of the contract (section 3 and 9) and the error object that both
// `error` frames and REST failure bodies carry.
//
// Pure functions; callable from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pubsub::cli {

enum class FrameType { ack, event, error, info, pong, other };

// The contract's error object: {"code":"TOPIC_NOT_FOUND","message":"..."}.
struct ErrorObject {
  std::string code;
  std::string message;
};

// The fields of one server frame; each is set when the frame has it with
// the right JSON type.
struct ServerFrame {
  FrameType type = FrameType::other;
  std::optional<std::string> request_id;
  std::optional<std::string> topic;
  std::optional<std::uint64_t> seq;
  std::optional<std::string> epoch;
  std::optional<bool> recovered;
  std::optional<std::string> msg;        // info: "ping", "topic_deleted", "dropped"
  std::optional<std::uint64_t> dropped;  // info "dropped"
  std::optional<ErrorObject> error;      // error frames
};

// Reads `json`, a server frame (or a REST body). Returns nullopt if it is
// not a JSON object.
std::optional<ServerFrame> read_server_frame_fields(std::string_view json);

// The "error" object of `json`, a REST failure body or an `error` frame;
// nullopt if there is none.
std::optional<ErrorObject> read_error_object(std::string_view json);

}  // namespace pubsub::cli
