// A Lua script that redis::Client runs on the server: its source and the
// SHA1 that names it in Redis's script cache (EVALSHA). Cheap to copy: the
// copies share one source.
//
// Immutable once built: any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace pubsub::redis {

class Script {
 public:
  explicit Script(std::string source);

  const std::string& source() const { return body_->source; }
  // Forty lower-case hex digits, as SCRIPT LOAD returns them.
  const std::string& sha1() const { return body_->sha1; }

 private:
  struct Body {
    std::string source;
    std::string sha1;
  };
  std::shared_ptr<const Body> body_;
};

// The SHA1 of `data` in lower-case hex.
std::string sha1_hex(std::string_view data);

}  // namespace pubsub::redis
