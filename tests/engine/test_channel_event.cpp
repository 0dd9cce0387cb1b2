// Unit tests of the decoding of what a topic's events channel carries
// (engine/channel_event.h): events and deletions, typed, with the topic
// taken from the channel; malformed and truncated messages, and messages
// on other channels, refused with a reason.
#include "engine/channel_event.h"

#include <catch2/catch_test_macros.hpp>
#include <string>

#include "engine/redis_schema.h"

using namespace pubsub::engine;
using namespace std::string_literals;

TEST_CASE("channel event: an event, its topic from the channel and its payload byte for byte") {
  const std::string channel = events_channel("orders.eu:1");
  const std::string payload = "{\"a\":\"x\ny\"}\n\r\n\0\xff"s;
  const std::string bytes = "event\nq3JkVm9tT2E\n42\n2025-08-25T10:00:00.123Z\n\"id-1\"\n" + payload;
  const ChannelDecode decoded = decode_channel_event(channel, bytes);
  REQUIRE(decoded.event);
  CHECK(decoded.error.empty());
  const ChannelEvent& event = *decoded.event;
  CHECK(event.kind == ChannelEventKind::event);
  CHECK(event.topic == "orders.eu:1");
  CHECK(event.epoch == "q3JkVm9tT2E");
  CHECK(event.seq == 42);
  CHECK(event.ts == "2025-08-25T10:00:00.123Z");
  CHECK(event.id == "\"id-1\"");
  CHECK(event.payload == payload);
  // The views point into what was decoded: nothing is copied.
  CHECK(event.topic.data() >= channel.data());
  CHECK(event.topic.data() < channel.data() + channel.size());
  CHECK(event.payload.data() == bytes.data() + bytes.size() - payload.size());
}

TEST_CASE("channel event: a deletion, with the life that ended and its last seq") {
  // The event points into the channel name: it must outlive the event.
  const std::string channel = events_channel("orders");
  const ChannelDecode decoded = decode_channel_event(channel, "deleted\nE-1_x\n17");
  REQUIRE(decoded.event);
  CHECK(decoded.event->kind == ChannelEventKind::deleted);
  CHECK(decoded.event->topic == "orders");
  CHECK(decoded.event->epoch == "E-1_x");
  CHECK(decoded.event->seq == 17);
  CHECK(decoded.event->payload.empty());
  CHECK(decoded.event->id.empty());

  const ChannelDecode before_any = decode_channel_event(channel, "deleted\nE\n0");
  REQUIRE(before_any.event);
  CHECK(before_any.event->seq == 0);
}

TEST_CASE("channel event: a message on a channel that is not a topic's events channel is refused") {
  const char* const channels[] = {
      "pubsub:lifecycle", "pubsub:{orders}:meta", "pubsub:{}:events", "pubsub:{a b}:events", "pubsub:{x", "", "orders",
  };
  for (const char* channel : channels) {
    INFO(channel);
    const ChannelDecode decoded = decode_channel_event(channel, "event\nE\n1\nT\n\"i\"\np");
    CHECK_FALSE(decoded.event);
    CHECK(decoded.error == "not the events channel of a valid topic name");
  }
  CHECK_FALSE(decode_channel_event("pubsub:{" + std::string(256, 't') + "}:events", "deleted\nE\n1").event);
}

TEST_CASE("channel event: malformed and truncated messages are refused with a reason, never read past") {
  const std::string channel = events_channel("orders");
  const std::string valid = "event\nE\n7\nT\n\"i\"\npayload";
  REQUIRE(decode_channel_event(channel, valid).event);

  // Every truncation that loses a separator, each in a buffer of its own
  // size (AddressSanitizer would see a read past it).
  for (std::size_t size = 0; size < valid.rfind('\n') + 1; ++size) {
    INFO("first " << size << " bytes");
    const std::string truncated = valid.substr(0, size);
    const ChannelDecode decoded = decode_channel_event(channel, truncated);
    CHECK_FALSE(decoded.event);
    CHECK_FALSE(decoded.error.empty());
  }

  struct Case {
    std::string bytes;
    std::string_view error;
  };
  const Case cases[] = {
      {"event\nE\n0\nT\n\"i\"\np", "malformed event"},                     // events start at seq 1
      {"event\nE\nx\nT\n\"i\"\np", "malformed event"},                     // not a number
      {"event\nE\n-1\nT\n\"i\"\np", "malformed event"},                    // signed
      {"event\n\n7\nT\n\"i\"\np", "malformed event"},                      // empty epoch
      {"event\nE.x\n7\nT\n\"i\"\np", "malformed event"},                   // epoch outside A-Z a-z 0-9 _ -
      {"event\nE\n7\n\n\"i\"\np", "malformed event"},                      // empty ts
      {"event\nE\n7\nT\n\np", "malformed event"},                          // empty id
      {"event\nE\n7\nT", "malformed event"},                               // no id line
      {"event\nE\n99999999999999999999\nT\n\"i\"\np", "malformed event"},  // past 64 bits
      {"deleted\nE\n", "malformed deletion"},                              // no seq
      {"deleted\nE\n7\n", "malformed deletion"},                           // bytes after the seq
      {"deleted\nE\n7 ", "malformed deletion"},                            //
      {"deleted\nE", "malformed deletion"},                                // no seq line
      {"deleted\n\0\n7"s, "malformed deletion"},                           // a NUL epoch
      {"", "neither an event nor a deletion"},                             //
      {"event", "neither an event nor a deletion"},                        // kind alone
      {"Event\nE\n7\nT\n\"i\"\np", "neither an event nor a deletion"},
      {"created E orders", "neither an event nor a deletion"},  // a lifecycle message
      {"\xff\xfe\n\n\n", "neither an event nor a deletion"},
  };
  for (const Case& c : cases) {
    INFO(c.bytes);
    const ChannelDecode decoded = decode_channel_event(channel, c.bytes);
    CHECK_FALSE(decoded.event);
    CHECK(decoded.error == c.error);
  }
}
