// Where a Redis (or Valkey) server is and how to log in to it, read from a
// URL: redis://[user:password@]host[:port][/db]. The host is a name, an
// IPv4 address or an IPv6 address in brackets ([::1]); the port defaults
// to 6379 and the database to 0; the user and the password are
// percent-decoded. No TLS (rediss://), no Unix sockets.
//
// Pure functions and a plain value; any thread. No Asio.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pubsub::redis {

struct RedisUrl {
  std::string host;  // a name or an IP address; an IPv6 address without brackets
  std::uint16_t port = 6379;
  std::string user;      // empty: AUTH with the password alone
  std::string password;  // empty: no AUTH
  int db = 0;            // SELECTed after AUTH when not 0

  // "host:port" ("[::1]:6379" for IPv6), for messages: never the
  // credentials.
  std::string endpoint() const;
};

struct RedisUrlParse {
  std::optional<RedisUrl> url;  // set on success
  std::string error;            // why not, otherwise; never holds the password
};

// Reads `text` as a redis:// URL.
RedisUrlParse parse_redis_url(std::string_view text);

}  // namespace pubsub::redis
