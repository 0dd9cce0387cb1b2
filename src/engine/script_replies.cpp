// Reading script and registry replies; see script_replies.h.
#include "engine/script_replies.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>

#include "engine/redis_schema.h"

namespace pubsub::engine {
namespace {

using redis::Reply;
using redis::ReplyKind;

template <typename Value>
StoreResult<Value> unavailable(std::string detail) {
  return {StoreStatus::unavailable, {}, std::move(detail)};
}

template <typename Value>
StoreResult<Value> malformed(std::string_view what, const Reply& reply) {
  return unavailable<Value>("unexpected reply to " + std::string(what) + " (" + std::string(to_string(reply.kind)) +
                            ")");
}

// The failure when `reply` is no answer or an error answer; nullopt when it
// is an answer to read.
template <typename Value>
std::optional<StoreResult<Value>> failure(std::string_view what, const Reply& reply) {
  if (reply.is_unavailable()) return unavailable<Value>(reply.text);
  if (reply.is_error()) return unavailable<Value>(std::string(what) + " failed: " + reply.text);
  return std::nullopt;
}

// A number >= 0, sent as an integer or as a decimal string.
std::optional<std::uint64_t> number_of(const Reply& reply) {
  if (reply.kind == ReplyKind::integer) {
    if (reply.integer < 0) return std::nullopt;
    return static_cast<std::uint64_t>(reply.integer);
  }
  if (reply.kind != ReplyKind::string || reply.text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  const char* end = reply.text.data() + reply.text.size();
  const auto [stop, error] = std::from_chars(reply.text.data(), end, value);
  if (error != std::errc{} || stop != end) return std::nullopt;
  return value;
}

bool is_string(const Reply& reply) { return reply.kind == ReplyKind::string || reply.kind == ReplyKind::status; }

// True if `reply` is an array of at least `size` elements whose first is
// the word `word`.
bool starts_with_word(const Reply& reply, std::string_view word, std::size_t size) {
  return reply.kind == ReplyKind::array && reply.elements.size() >= size && is_string(reply.elements[0]) &&
         reply.elements[0].text == word;
}

bool is_not_found(const Reply& reply) { return starts_with_word(reply, "not_found", 1); }

// Reads {epoch, seq} from elements[1] and [2].
std::optional<TopicPosition> position_of(const Reply& reply) {
  const Reply& epoch = reply.elements[1];
  const auto seq = number_of(reply.elements[2]);
  if (!is_string(epoch) || !is_valid_epoch(epoch.text) || !seq) return std::nullopt;
  return TopicPosition{epoch.text, *seq};
}

// Reads {epoch, seq, first-id, retained} from elements[1] to [4].
std::optional<TopicInfo> info_of(const Reply& reply) {
  const auto position = position_of(reply);
  const Reply& first_id = reply.elements[3];
  const auto retained = number_of(reply.elements[4]);
  if (!position || !is_string(first_id) || !retained) return std::nullopt;
  TopicInfo info{position->epoch, position->seq, 0, *retained};
  if (first_id.text.empty() != (*retained == 0)) return std::nullopt;
  if (!first_id.text.empty()) {
    const auto first = seq_of_entry_id(first_id.text);
    if (!first) return std::nullopt;
    info.first_retained = *first;
  }
  return info;
}

// Reads a stream entry {ID, {field, value, ...}}.
std::optional<StoredMessage> message_of(const Reply& entry) {
  if (entry.kind != ReplyKind::array || entry.elements.size() != 2 || !is_string(entry.elements[0])) {
    return std::nullopt;
  }
  const auto seq = seq_of_entry_id(entry.elements[0].text);
  const Reply& fields = entry.elements[1];
  if (!seq || fields.kind != ReplyKind::array || fields.elements.size() % 2 != 0) return std::nullopt;
  StoredMessage message;
  message.seq = *seq;
  bool has_id = false, has_payload = false, has_ts = false;
  for (std::size_t i = 0; i < fields.elements.size(); i += 2) {
    const Reply& name = fields.elements[i];
    const Reply& value = fields.elements[i + 1];
    if (!is_string(name) || !is_string(value)) return std::nullopt;
    if (name.text == "id") {
      message.id = value.text;
      has_id = true;
    } else if (name.text == "payload") {
      message.payload = value.text;
      has_payload = true;
    } else if (name.text == "ts") {
      message.ts = value.text;
      has_ts = true;
    }
  }
  if (!has_id || !has_payload || !has_ts) return std::nullopt;
  return message;
}

}  // namespace

StoreResult<TopicPosition> read_create_reply(const Reply& reply) {
  if (auto failed = failure<TopicPosition>("create", reply)) return std::move(*failed);
  const bool created = starts_with_word(reply, "created", 3);
  if (!created && !starts_with_word(reply, "exists", 3)) return malformed<TopicPosition>("create", reply);
  const auto position = position_of(reply);
  if (!position) return malformed<TopicPosition>("create", reply);
  return {created ? StoreStatus::ok : StoreStatus::exists, *position, {}};
}

StoreResult<TopicPosition> read_delete_reply(const Reply& reply) {
  if (auto failed = failure<TopicPosition>("delete", reply)) return std::move(*failed);
  if (is_not_found(reply)) return {StoreStatus::not_found, {}, {}};
  if (!starts_with_word(reply, "deleted", 3)) return malformed<TopicPosition>("delete", reply);
  const auto position = position_of(reply);
  if (!position) return malformed<TopicPosition>("delete", reply);
  return {StoreStatus::ok, *position, {}};
}

StoreResult<PublishReceipt> read_publish_reply(const Reply& reply) {
  if (auto failed = failure<PublishReceipt>("publish", reply)) return std::move(*failed);
  if (is_not_found(reply)) return {StoreStatus::not_found, {}, {}};
  if (!starts_with_word(reply, "published", 5)) return malformed<PublishReceipt>("publish", reply);
  const Reply& epoch = reply.elements[1];
  const auto first = number_of(reply.elements[2]);
  const auto last = number_of(reply.elements[3]);
  const auto created = number_of(reply.elements[4]);
  if (!is_string(epoch) || !is_valid_epoch(epoch.text) || !first || !last || *first == 0 || *first > *last ||
      !created || *created > 1) {
    return malformed<PublishReceipt>("publish", reply);
  }
  return {StoreStatus::ok, PublishReceipt{epoch.text, *first, *last, {}, *created == 1}, {}};
}

StoreResult<TopicInfo> read_info_reply(const Reply& reply) {
  if (auto failed = failure<TopicInfo>("info", reply)) return std::move(*failed);
  if (is_not_found(reply)) return {StoreStatus::not_found, {}, {}};
  if (!starts_with_word(reply, "ok", 5)) return malformed<TopicInfo>("info", reply);
  const auto info = info_of(reply);
  if (!info) return malformed<TopicInfo>("info", reply);
  return {StoreStatus::ok, *info, {}};
}

StoreResult<HistoryPage> read_history_reply(const Reply& reply, bool newest_first) {
  if (auto failed = failure<HistoryPage>("history", reply)) return std::move(*failed);
  if (is_not_found(reply)) return {StoreStatus::not_found, {}, {}};
  if (!starts_with_word(reply, "ok", 6)) return malformed<HistoryPage>("history", reply);
  const auto info = info_of(reply);
  const Reply& entries = reply.elements[5];
  if (!info || entries.kind != ReplyKind::array) return malformed<HistoryPage>("history", reply);
  StoreResult<HistoryPage> result{StoreStatus::ok, {*info, {}}, {}};
  result.value.messages.reserve(entries.elements.size());
  for (const Reply& entry : entries.elements) {
    auto message = message_of(entry);
    if (!message) return malformed<HistoryPage>("history", reply);
    result.value.messages.push_back(std::move(*message));
  }
  if (newest_first) std::reverse(result.value.messages.begin(), result.value.messages.end());
  return result;
}

StoreResult<std::vector<std::string>> read_registry_reply(const Reply& reply) {
  if (auto failed = failure<std::vector<std::string>>("SMEMBERS", reply)) return std::move(*failed);
  if (reply.kind != ReplyKind::array) return malformed<std::vector<std::string>>("SMEMBERS", reply);
  StoreResult<std::vector<std::string>> result{StoreStatus::ok, {}, {}};
  result.value.reserve(reply.elements.size());
  for (const Reply& name : reply.elements) {
    if (!is_string(name)) return malformed<std::vector<std::string>>("SMEMBERS", reply);
    result.value.push_back(name.text);
  }
  return result;
}

StoreResult<TopicListing> read_listing_reply(const Reply& reply, std::string name) {
  if (auto failed = failure<TopicListing>("HMGET", reply)) return std::move(*failed);
  if (reply.kind != ReplyKind::array || reply.elements.size() != 2) return malformed<TopicListing>("HMGET", reply);
  if (reply.elements[0].kind == ReplyKind::nil) return {StoreStatus::not_found, {}, {}};
  const Reply& epoch = reply.elements[0];
  const auto seq = number_of(reply.elements[1]);
  if (!is_string(epoch) || !is_valid_epoch(epoch.text) || !seq) return malformed<TopicListing>("HMGET", reply);
  return {StoreStatus::ok, TopicListing{std::move(name), epoch.text, *seq}, {}};
}

}  // namespace pubsub::engine
