// What the REST API checks in a request's body and query before it reads
// or changes a topic (contract sections 6, 9 and 10), the same for both
// engines: the name of a topic to create, a history read's since_seq and
// limit, and the messages of a publish (with the shutdown and
// --max-publish-rate checks that come with publishing). Each check gives
// the value or the response that refuses the request.
//
// Pure, except that a publish check takes from the context's publish
// budget; the thread of the request (see rest.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/rest.h"
#include "protocol/messages.h"

namespace pubsub::net {

// A checked value, or the response that refuses the request.
template <typename Value>
struct Checked {
  Value value{};
  std::optional<RestResponse> refusal;  // set: answer with it and go no further
};

// POST /topics: the valid topic name of a body like {"name":"orders"}.
Checked<std::string> new_topic_name(std::string_view body);

// GET /topics/{name}/messages?since_seq=N&limit=K: the messages after
// since_seq (default 0), the oldest `limit` of them (1 to the history
// size; default the history size).
struct HistoryQuery {
  std::uint64_t since_seq = 0;
  std::size_t limit = 0;
};
Checked<HistoryQuery> history_query(std::string_view target, std::size_t history_size);

// POST /topics/{name}/messages: the message of the body. Refused while
// the server shuts down, and past the connection's publish budget (which
// this takes from).
Checked<protocol::MessageBody> message_to_publish(const RestContext& context, std::string_view body);

// POST /topics/{name}/messages:batch: the messages of {"messages":[...]},
// 1 to 1000 of them, every one checked before any is taken; refused as
// message_to_publish says, each message counting against the budget.
Checked<std::vector<protocol::MessageBody>> messages_to_publish(const RestContext& context, std::string_view body);

}  // namespace pubsub::net
