// The topics `pubsub sub` follows and where it is in each: the epoch of the
// topic's life and the seq of the last event printed (section 9). On every
// new connection it gives the subscribe requests that resume each topic
// after that position, and reads their acks to say whether the resume
// recovered everything.
//
// Not thread-safe: one per `sub` run, on its thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/server_frame.h"

namespace pubsub::cli {

class Subscriptions {
 public:
  // `last_n` is asked for on a topic's first subscribe only.
  Subscriptions(std::vector<std::string> topics, std::optional<std::uint64_t> last_n, std::string client_id);

  // The subscribe requests for a new connection, one per topic still
  // followed, with request ids of their own: a topic with a position
  // resumes after it (since_seq, and epoch when known); one without
  // subscribes afresh (with last_n).
  std::vector<std::string> subscribe_requests();

  struct Acknowledged {
    std::string topic;
    // For a resume: "TOPIC resumed after seq N (recovered: true|false)",
    // with ": messages may have been missed" after false; for a fresh
    // subscribe after a reconnect: "TOPIC subscribed".
    std::string note;
    bool resumed = false;
  };
  // Takes the ack of one of the requests above. nullopt if its request_id
  // is not one of theirs.
  std::optional<Acknowledged> on_ack(const ServerFrame& ack);

  // The topic that the request `request_id` subscribes to, if it is one of
  // the requests above.
  std::optional<std::string> topic_of_request(std::string_view request_id) const;

  // An event of `topic` with `seq` was printed: the position moves to it.
  void on_event(std::string_view topic, std::uint64_t seq);

  // The server deleted `topic`: it is followed no more. Returns false if it
  // was not followed.
  bool forget(std::string_view topic);

  // True when no topic is followed any more.
  bool empty() const;
  // True when every request of the last subscribe_requests() has its ack.
  bool all_acknowledged() const;

  // Where the client is in `topic`: {epoch, seq}; nullopt before the
  // first ack of it.
  struct Position {
    std::string epoch;
    std::uint64_t seq = 0;
  };
  std::optional<Position> position(std::string_view topic) const;

 private:
  struct Followed {
    std::string topic;
    bool followed = true;
    bool positioned = false;  // epoch (if any) and seq are known
    std::string epoch;
    std::uint64_t seq = 0;
    bool acknowledged = false;
    bool resuming = false;  // the last request resumed after `resumed_after`
    std::uint64_t resumed_after = 0;
  };

  Followed* find(std::string_view topic);
  const Followed* find(std::string_view topic) const;
  Followed* by_request(std::string_view request_id);
  std::string request_for(const Followed& followed, std::size_t index) const;

  std::vector<Followed> topics_;
  std::optional<std::uint64_t> last_n_;
  std::string client_id_;
};

}  // namespace pubsub::cli
