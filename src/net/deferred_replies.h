// The replies of one connection kept in request order while some of them
// wait for an answer from elsewhere (--engine redis: a publish's seq comes
// from Valkey/Redis). A request answered later takes a place in line
// (reserve); a reply made while places are held joins the line ready
// (append); take_ready() gives the replies that may go out now, oldest
// first, and stops at the first place still waiting. With no place held,
// replies go out at once and this is not used.
//
// A plain value; the connection's shard thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace pubsub::net {

class DeferredReplies {
 public:
  using Place = std::uint64_t;

  // True while no reply waits in line.
  bool empty() const { return line_.empty(); }
  // Replies in line, waiting or ready.
  std::size_t size() const { return line_.size(); }

  // Holds the next place in line for a reply to come.
  Place reserve() {
    line_.emplace_back();
    return first_ + line_.size() - 1;
  }
  // A reply made now, behind every place held.
  void append(std::string_view frame) { line_.emplace_back(std::string(frame)); }
  // The reply of place `place` (from reserve(), not yet filled) came.
  void fill(Place place, std::string_view frame) {
    if (place < first_ || place - first_ >= line_.size()) return;
    line_[place - first_] = std::string(frame);
  }
  // Calls `send(frame)` for each reply at the head of the line that is
  // ready, oldest first, and removes it.
  template <typename Send>
  void take_ready(Send&& send) {
    while (!line_.empty() && line_.front()) {
      send(std::string_view(*line_.front()));
      line_.pop_front();
      ++first_;
    }
  }

 private:
  std::deque<std::optional<std::string>> line_;
  Place first_ = 0;  // the place of line_.front()
};

}  // namespace pubsub::net
