// Topic patterns of a token's grants; see topic_patterns.h.
#include "auth/topic_patterns.h"

#include <algorithm>

namespace pubsub::auth {
namespace {

constexpr std::size_t kMaxTopicName = 255;

bool topic_character(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-' || c == ':';
}

bool topic_characters(std::string_view text) { return std::all_of(text.begin(), text.end(), topic_character); }

}  // namespace

bool TopicPatterns::add(std::string_view pattern) {
  if (pattern.ends_with('*')) {
    const std::string_view prefix = pattern.substr(0, pattern.size() - 1);
    if (prefix.size() >= kMaxTopicName || !topic_characters(prefix)) return false;
    prefixes_.emplace_back(prefix);
    return true;
  }
  if (pattern.empty() || pattern.size() > kMaxTopicName || !topic_characters(pattern)) return false;
  names_.emplace_back(pattern);
  return true;
}

bool TopicPatterns::matches(std::string_view topic) const {
  return std::any_of(names_.begin(), names_.end(), [topic](const std::string& name) { return name == topic; }) ||
         std::any_of(prefixes_.begin(), prefixes_.end(),
                     [topic](const std::string& prefix) { return topic.starts_with(prefix); });
}

}  // namespace pubsub::auth
