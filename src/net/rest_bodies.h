// The success bodies of the REST API (contract sections 6, 9 and 10),
// built from plain figures so that both engines answer with the same
// bytes. Each body takes `extra`: members (`,"engine":"redis",...`)
// written before its closing brace; memory mode gives none.
//
// Pure; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "net/rest.h"

namespace pubsub::net {

// What GET /topics/{name} and each topic of GET /stats show of a topic.
struct TopicFigures {
  std::string_view name;
  std::int64_t subscribers = 0;
  std::uint64_t messages = 0;  // every message ever published (also the newest seq)
  std::uint64_t dropped = 0;
  std::string_view epoch;
  std::uint64_t seq = 0;
};

// {"status":S,"topic":T}: a topic created or deleted.
std::string topic_status_body(std::string_view status, std::string_view topic);

// GET /topics/{name}: {"name":...,"subscribers":...,"messages":...,
// "dropped":...,"epoch":...,"seq":...}.
std::string topic_body(const TopicFigures& topic, std::string_view extra = {});

// A publish's answer: {"status":"published","topic":T,"seq":N}, or a
// batch's with "first_seq" and "last_seq".
std::string published_body(std::string_view topic, std::uint64_t first_seq, std::uint64_t last_seq, bool batch);

// GET /health: {"status":S,"uptime_sec":...,"topics":...,"subscribers":...,
// "connections":...}, the uptime and connections from `context`.
std::string health_body(std::string_view status, const RestContext& context, std::size_t topics,
                        std::int64_t subscribers, std::string_view extra = {});

// GET /topics: {"topics":[{"name":N,"subscribers":S},...]}, the topics
// added in order.
class TopicListBody {
 public:
  TopicListBody();
  void add(std::string_view name, std::int64_t subscribers);
  std::string finish(std::string_view extra = {});

 private:
  std::string body_;
  bool first_ = true;
};

// GET /stats: {"topics":{N:{...},...},"connections":...,...}, the topics
// added in order.
class StatsBody {
 public:
  StatsBody();
  void add(const TopicFigures& topic);
  std::string finish(const ServerCounters& counters, std::string_view extra = {});

 private:
  std::string body_;
  bool first_ = true;
};

// GET /topics/{name}/messages: {"topic":T,"epoch":E,"seq":S,"messages":[M,...]},
// each M {"id":...,"payload":...,"seq":N,"ts":"..."}, the messages added
// oldest first.
class HistoryBody {
 public:
  // `item_bytes`: about the size of the messages to come, reserved.
  HistoryBody(std::string_view topic, std::string_view epoch, std::uint64_t seq, std::size_t item_bytes);
  // Adds the message of an event frame's JSON text (as
  // protocol::write_event builds it).
  void add_event(std::string_view event_json);
  // Adds a message from its parts: `id_raw` the JSON string token (quotes
  // included), `payload_raw` the JSON text, `ts` the formatted time.
  void add(std::string_view id_raw, std::string_view payload_raw, std::uint64_t seq, std::string_view ts);
  std::string finish(std::string_view extra = {});

 private:
  void separate();

  std::string body_;
  bool first_ = true;
};

}  // namespace pubsub::net
