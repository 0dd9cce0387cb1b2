// Key and channel names, and the decoding of channel messages; see
// redis_schema.h.
#include "engine/redis_schema.h"

#include <charconv>

#include "protocol/messages.h"

namespace pubsub::engine {
namespace {

constexpr std::string_view kTopicPrefix = "pubsub:{";
constexpr std::string_view kEventsSuffix = "}:events";

std::string topic_name(std::string_view topic, std::string_view suffix) {
  std::string name;
  name.reserve(kTopicPrefix.size() + topic.size() + suffix.size());
  name += kTopicPrefix;
  name += topic;
  name += suffix;
  return name;
}

// Reads a decimal number of digits only (no sign, no spaces) within 64 bits.
std::optional<std::uint64_t> parse_decimal(std::string_view text) {
  if (text.empty()) return std::nullopt;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Takes the bytes of `rest` up to the next `separator` (returned) and the
// separator itself off `rest`; nullopt if there is no separator.
std::optional<std::string_view> take_until(std::string_view& rest, char separator) {
  const std::size_t at = rest.find(separator);
  if (at == std::string_view::npos) return std::nullopt;
  const std::string_view field = rest.substr(0, at);
  rest.remove_prefix(at + 1);
  return field;
}

}  // namespace

std::string meta_key(std::string_view topic) { return topic_name(topic, "}:meta"); }

std::string history_key(std::string_view topic) { return topic_name(topic, "}:history"); }

std::string events_channel(std::string_view topic) { return topic_name(topic, kEventsSuffix); }

std::optional<std::string_view> topic_of_events_channel(std::string_view channel) {
  if (!channel.starts_with(kTopicPrefix) || !channel.ends_with(kEventsSuffix)) return std::nullopt;
  if (channel.size() < kTopicPrefix.size() + kEventsSuffix.size()) return std::nullopt;
  const std::string_view topic =
      channel.substr(kTopicPrefix.size(), channel.size() - kTopicPrefix.size() - kEventsSuffix.size());
  if (!protocol::is_valid_topic_name(topic)) return std::nullopt;
  return topic;
}

std::optional<std::uint64_t> seq_of_entry_id(std::string_view entry_id) {
  if (!entry_id.ends_with("-0")) return std::nullopt;
  return parse_decimal(entry_id.substr(0, entry_id.size() - 2));
}

bool is_valid_epoch(std::string_view epoch) {
  if (epoch.empty() || epoch.size() > 32) return false;
  for (const char c : epoch) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<TopicMessage> decode_topic_message(std::string_view bytes) {
  std::string_view rest = bytes;
  const auto kind = take_until(rest, '\n');
  const auto epoch = take_until(rest, '\n');
  if (!kind || !epoch || !is_valid_epoch(*epoch)) return std::nullopt;
  TopicMessage message;
  message.epoch = *epoch;
  if (*kind == "deleted") {
    const auto seq = parse_decimal(rest);
    if (!seq) return std::nullopt;
    message.kind = TopicMessageKind::deleted;
    message.seq = *seq;
    return message;
  }
  if (*kind != "event") return std::nullopt;
  const auto seq_text = take_until(rest, '\n');
  const auto ts = take_until(rest, '\n');
  const auto id = take_until(rest, '\n');
  if (!seq_text || !ts || !id || ts->empty() || id->empty()) return std::nullopt;
  const auto seq = parse_decimal(*seq_text);
  if (!seq || *seq == 0) return std::nullopt;
  message.kind = TopicMessageKind::event;
  message.seq = *seq;
  message.ts = *ts;
  message.id = *id;
  message.payload = rest;
  return message;
}

std::optional<LifecycleMessage> decode_lifecycle_message(std::string_view bytes) {
  std::string_view rest = bytes;
  const auto kind = take_until(rest, ' ');
  const auto epoch = take_until(rest, ' ');
  if (!kind || !epoch || !is_valid_epoch(*epoch) || !protocol::is_valid_topic_name(rest)) return std::nullopt;
  LifecycleMessage message;
  if (*kind == "created") message.kind = LifecycleKind::created;
  else if (*kind == "deleted") message.kind = LifecycleKind::deleted;
  else return std::nullopt;
  message.epoch = *epoch;
  message.topic = rest;
  return message;
}

}  // namespace pubsub::engine
