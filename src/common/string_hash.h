// A transparent hash for maps keyed by std::string or std::string_view, so
// that a lookup by string_view builds no string (with std::equal_to<>).
//
// Stateless: any thread.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

namespace pubsub {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

}  // namespace pubsub
