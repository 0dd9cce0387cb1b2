// What the Redis store (engine/redis_store.h) answers: a status and, when
// it says so, a value. Positions follow contract section 9: a topic's
// epoch names its life, `seq` is its newest seq (0 before the first
// publish, also the count of messages ever published), and the history
// retains the seqs first_retained to seq, `retained` of them.
//
// Plain values; any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace pubsub::engine {

enum class StoreStatus : std::uint8_t {
  ok,           // done; the value holds the answer
  exists,       // create_topic only: the topic was there; the value holds its position
  not_found,    // no such topic
  unavailable,  // no answer (Redis down, the connection lost, past the command timeout) or an error answer
};

constexpr std::string_view to_string(StoreStatus status) {
  switch (status) {
    case StoreStatus::ok: return "ok";
    case StoreStatus::exists: return "exists";
    case StoreStatus::not_found: return "not_found";
    case StoreStatus::unavailable: return "unavailable";
  }
  return "?";
}

template <typename Value>
struct StoreResult {
  StoreStatus status = StoreStatus::unavailable;
  Value value{};
  std::string detail;  // unavailable: why (never a password)

  bool ok() const { return status == StoreStatus::ok; }
};

template <typename Value>
using StoreHandler = std::function<void(StoreResult<Value>)>;

// A life of a topic and how far it went.
struct TopicPosition {
  std::string epoch;
  std::uint64_t seq = 0;
};

struct TopicInfo {
  std::string epoch;
  std::uint64_t seq = 0;
  std::uint64_t first_retained = 0;  // oldest retained seq; 0 when nothing is retained
  std::uint64_t retained = 0;        // retained messages: seq - first_retained + 1, or 0
};

// A message to publish, as the core holds it: `id` is the JSON string
// token the publisher sent (quotes included), `payload` its JSON text.
struct OutgoingMessage {
  std::string_view id;
  std::string_view payload;
};

struct PublishReceipt {
  std::string epoch;
  std::uint64_t first_seq = 0;  // of the first message
  std::uint64_t last_seq = 0;   // of the last; the seqs between are the others', in order
  std::string ts;               // the publish time every message carries
  bool created = false;         // the publish created the topic
};

// A retained message.
struct StoredMessage {
  std::uint64_t seq = 0;
  std::string id;       // the JSON string token, quotes included
  std::string payload;  // byte for byte
  std::string ts;
};

// Messages read from a topic's history with the topic's position at that
// moment (one atomic read).
struct HistoryPage {
  TopicInfo topic;
  std::vector<StoredMessage> messages;  // oldest first
};

struct TopicListing {
  std::string name;
  std::string epoch;
  std::uint64_t seq = 0;
};

}  // namespace pubsub::engine
