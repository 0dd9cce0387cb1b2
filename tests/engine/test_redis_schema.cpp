// Unit tests of the Valkey/Redis layout of topics (engine/redis_schema.h):
// key and channel names with the topic as hash tag, history entry IDs, and
// the decoding of channel messages, malformed and truncated ones included.
#include "engine/redis_schema.h"

#include <catch2/catch_test_macros.hpp>
#include <string>

using namespace pubsub::engine;
using namespace std::string_literals;

namespace {

// The hash tag Redis Cluster hashes for `key`: what lies between the first
// `{` and the first `}` after it, if not empty; else the whole key.
std::string hash_tag(const std::string& key) {
  const auto open = key.find('{');
  if (open == std::string::npos) return key;
  const auto close = key.find('}', open + 1);
  if (close == std::string::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

}  // namespace

TEST_CASE("schema: a topic's keys and channel carry the topic as hash tag") {
  CHECK(meta_key("orders") == "pubsub:{orders}:meta");
  CHECK(history_key("orders") == "pubsub:{orders}:history");
  CHECK(events_channel("orders") == "pubsub:{orders}:events");
  for (const std::string& topic : {"a"s, "orders.eu:1"s, "A-b_c.d:e"s, std::string(255, 'x')}) {
    INFO(topic);
    CHECK(hash_tag(meta_key(topic)) == topic);
    CHECK(hash_tag(history_key(topic)) == topic);
    CHECK(hash_tag(events_channel(topic)) == topic);
  }
  // The registry and the lifecycle channel belong to no topic.
  CHECK(std::string(kTopicsKey).find('{') == std::string::npos);
  CHECK(std::string(kLifecycleChannel).find('{') == std::string::npos);
}

TEST_CASE("schema: the topic of an events channel") {
  CHECK(topic_of_events_channel(events_channel("orders")) == "orders");
  CHECK(topic_of_events_channel(events_channel("a.b:c")) == "a.b:c");
  CHECK_FALSE(topic_of_events_channel("pubsub:{}:events"));
  CHECK_FALSE(topic_of_events_channel(meta_key("orders")));
  CHECK_FALSE(topic_of_events_channel(kLifecycleChannel));
  CHECK_FALSE(topic_of_events_channel("pubsub:{a b}:events"));
  CHECK_FALSE(topic_of_events_channel("pubsub:{events"));
  CHECK_FALSE(topic_of_events_channel(""));
}

TEST_CASE("schema: history entry IDs are <seq>-0") {
  CHECK(seq_of_entry_id("1-0") == 1u);
  CHECK(seq_of_entry_id("42-0") == 42u);
  CHECK(seq_of_entry_id("18446744073709551615-0") == 18446744073709551615u);
  CHECK_FALSE(seq_of_entry_id("18446744073709551616-0"));
  CHECK_FALSE(seq_of_entry_id("5-1"));
  CHECK_FALSE(seq_of_entry_id("5"));
  CHECK_FALSE(seq_of_entry_id("-0"));
  CHECK_FALSE(seq_of_entry_id("+5-0"));
  CHECK_FALSE(seq_of_entry_id("a-0"));
  CHECK_FALSE(seq_of_entry_id(""));
}

TEST_CASE("schema: epochs are 1 to 32 characters of A-Z a-z 0-9 _ -") {
  CHECK(is_valid_epoch("q3JkVm9tT2E"));
  CHECK(is_valid_epoch("-_09azAZ"));
  CHECK(is_valid_epoch(std::string(32, 'e')));
  CHECK_FALSE(is_valid_epoch(""));
  CHECK_FALSE(is_valid_epoch(std::string(33, 'e')));
  CHECK_FALSE(is_valid_epoch("a b"));
  CHECK_FALSE(is_valid_epoch("a.b"));
  CHECK_FALSE(is_valid_epoch("a\nb"));
}

TEST_CASE("schema: an event decodes to its fields, the payload byte for byte") {
  const std::string payload = "{\"text\":\"line 1\nline 2\",\"q\":\"\\\"quoted\\\"\"}\n\r\n\0\xff"s;
  const std::string bytes =
      "event\nq3JkVm9tT2E\n42\n2025-08-25T10:00:00.123Z\n\"550e8400-e29b-41d4-a716-446655440000\"\n" + payload;
  const auto message = decode_topic_message(bytes);
  REQUIRE(message);
  CHECK(message->kind == TopicMessageKind::event);
  CHECK(message->epoch == "q3JkVm9tT2E");
  CHECK(message->seq == 42);
  CHECK(message->ts == "2025-08-25T10:00:00.123Z");
  CHECK(message->id == "\"550e8400-e29b-41d4-a716-446655440000\"");
  CHECK(message->payload == payload);

  // A payload that is one newline, or none at all.
  const auto newline = decode_topic_message("event\nE\n1\nT\n\"i\"\n\n");
  REQUIRE(newline);
  CHECK(newline->payload == "\n");
  const auto empty = decode_topic_message("event\nE\n1\nT\n\"i\"\n");
  REQUIRE(empty);
  CHECK(empty->payload.empty());
}

TEST_CASE("schema: a deletion decodes to the life that ended and its last seq") {
  const auto deleted = decode_topic_message("deleted\nq3JkVm9tT2E\n17");
  REQUIRE(deleted);
  CHECK(deleted->kind == TopicMessageKind::deleted);
  CHECK(deleted->epoch == "q3JkVm9tT2E");
  CHECK(deleted->seq == 17);
  const auto before_any = decode_topic_message("deleted\nE\n0");
  REQUIRE(before_any);
  CHECK(before_any->seq == 0);
}

TEST_CASE("schema: malformed topic messages are refused") {
  const std::string valid = "event\nE\n7\nT\n\"i\"\npayload";
  REQUIRE(decode_topic_message(valid));
  // Every truncation that loses a separator.
  for (std::size_t size = 0; size < valid.rfind('\n') + 1; ++size) {
    INFO("first " << size << " bytes");
    CHECK_FALSE(decode_topic_message(valid.substr(0, size)));
  }
  const char* const malformed[] = {
      "Event\nE\n7\nT\n\"i\"\np",                     // unknown kind
      "events\nE\n7\nT\n\"i\"\np",                    //
      "\nE\n7\nT\n\"i\"\np",                          // no kind
      "event\n\n7\nT\n\"i\"\np",                      // empty epoch
      "event\nE E\n7\nT\n\"i\"\np",                   // epoch with a space
      "event\nE\n0\nT\n\"i\"\np",                     // events start at seq 1
      "event\nE\n\nT\n\"i\"\np",                      // empty seq
      "event\nE\n-7\nT\n\"i\"\np",                    // signed
      "event\nE\n+7\nT\n\"i\"\np",                    //
      "event\nE\n7a\nT\n\"i\"\np",                    // not a number
      "event\nE\n 7\nT\n\"i\"\np",                    //
      "event\nE\n18446744073709551616\nT\n\"i\"\np",  // past 64 bits
      "event\nE\n7\n\n\"i\"\np",                      // empty ts
      "event\nE\n7\nT\n\np",                          // empty id
      "deleted\nE\n",                                 // deletion without seq
      "deleted\nE\n7\n",                              // bytes after the seq
      "deleted\nE\n7\nmore",                          //
      "deleted\nE\nx",                                //
      "deleted\n\n7",                                 // empty epoch
  };
  for (const char* bytes : malformed) {
    INFO(bytes);
    CHECK_FALSE(decode_topic_message(bytes));
  }
  const std::string long_epoch = "event\n" + std::string(33, 'e') + "\n7\nT\n\"i\"\np";
  CHECK_FALSE(decode_topic_message(long_epoch));
  CHECK(decode_topic_message("event\n" + std::string(32, 'e') + "\n7\nT\n\"i\"\np"));
}

TEST_CASE("schema: lifecycle messages") {
  const auto created = decode_lifecycle_message("created q3JkVm9tT2E orders.eu:1");
  REQUIRE(created);
  CHECK(created->kind == LifecycleKind::created);
  CHECK(created->epoch == "q3JkVm9tT2E");
  CHECK(created->topic == "orders.eu:1");
  const auto deleted = decode_lifecycle_message("deleted E t");
  REQUIRE(deleted);
  CHECK(deleted->kind == LifecycleKind::deleted);
  CHECK(deleted->topic == "t");

  const char* const malformed[] = {
      "",
      "created",
      "created E",
      "created E ",
      "created  E t",
      "created E t ",
      "created E  t",
      "renamed E t",
      "created E t u",
      "created E\nt",
      "created E.x t",
      "deleted E {t}",
  };
  for (const char* bytes : malformed) {
    INFO(bytes);
    CHECK_FALSE(decode_lifecycle_message(bytes));
  }
  CHECK_FALSE(decode_lifecycle_message("created E " + std::string(256, 't')));
  CHECK(decode_lifecycle_message("created E " + std::string(255, 't')));
}
