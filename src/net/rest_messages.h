// The REST routes of a topic's messages (contract sections 9 and 10) in
// memory mode: reading the history, and publishing one message or a batch
// over HTTP, through the broker. Used by handle_rest (rest.h), which has
// checked the credential and the topic name.
//
// Reading: any thread. Publishing: the thread of the shard named by the
// context (see rest.h).
#pragma once

#include <string_view>

#include "net/rest.h"

namespace pubsub::core {
class Broker;
}

namespace pubsub::net {

// GET /topics/{name}/messages?since_seq=N&limit=K
RestResponse read_history(const core::Broker& broker, std::string_view name, std::string_view target);

// POST /topics/{name}/messages with one message as the body, or, when
// `batch`, POST /topics/{name}/messages:batch with {"messages":[...]}.
RestResponse publish_messages(core::Broker& broker, const RestContext& context, std::string_view name,
                              std::string_view body, bool batch);

}  // namespace pubsub::net
