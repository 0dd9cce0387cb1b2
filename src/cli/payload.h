// What `pubsub pub` sends: a payload read from an argument or a line, the
// message's fresh id, and the publish request (WebSocket, section 2) or
// message body (HTTP, section 10) that carries them.
//
// A payload is JSON if the text parses as one JSON value (an object, an
// array, a string in quotes, a number, true, false or null); any other
// text is sent as a JSON string of itself. With --raw-string every text is
// sent as a string.
//
// Functions: any thread. A MessageIds belongs to one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace pubsub::cli {

// The JSON text of the payload `text` stands for: its JSON value (without
// surrounding white space) unless `as_string` or it is not JSON, else a
// JSON string of it. nullopt if it must be a string but is not valid UTF-8.
std::optional<std::string> payload_json(std::string_view text, bool as_string);

// Fresh random (version 4) UUIDs, in lower case.
class MessageIds {
 public:
  MessageIds();
  std::string next();

 private:
  std::mt19937_64 random_;
};

// The publish request of `payload` (JSON text) to `topic`, with message id
// `id` and request id `request_id`. `topic` must be valid UTF-8.
std::string publish_request(std::string_view topic, std::string_view id, std::string_view payload,
                            std::string_view request_id);

// The body of POST /topics/{name}/messages: {"id":...,"payload":...}.
std::string message_body(std::string_view id, std::string_view payload);

}  // namespace pubsub::cli
