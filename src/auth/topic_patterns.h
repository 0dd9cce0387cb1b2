// The topics a token lets its holder subscribe or publish to (contract
// section 11): each pattern is a topic name, or a prefix followed by `*`
// that matches every topic name starting with the prefix ("chat.*"; "*"
// matches all).
//
// Built once when a token is verified, then only read: any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pubsub::auth {

class TopicPatterns {
 public:
  // Adds `pattern`; returns false (and adds nothing) if it is neither a
  // topic name (section 5) nor such a name's prefix followed by one `*`.
  bool add(std::string_view pattern);
  bool matches(std::string_view topic) const;
  bool empty() const { return names_.empty() && prefixes_.empty(); }

 private:
  std::vector<std::string> names_;
  std::vector<std::string> prefixes_;  // without their `*`; "" for "*"
};

// The `pubsub` claim of a token. A missing list grants nothing.
struct Grants {
  TopicPatterns subscribe;
  TopicPatterns publish;
  bool admin = false;  // may create and delete topics over REST
};

}  // namespace pubsub::auth
