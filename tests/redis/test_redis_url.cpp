// Unit tests of redis:// URLs (redis/redis_url.h): hosts, ports, databases,
// credentials with percent-escapes, and errors that never show the
// password.
#include "redis/redis_url.h"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

using pubsub::redis::parse_redis_url;
using pubsub::redis::RedisUrl;

namespace {

RedisUrl parsed(std::string_view text) {
  auto result = parse_redis_url(text);
  INFO(text << ": " << result.error);
  REQUIRE(result.url.has_value());
  CHECK(result.error.empty());
  return *result.url;
}

}  // namespace

TEST_CASE("url: host alone takes port 6379, database 0, no credentials") {
  const RedisUrl url = parsed("redis://cache.internal");
  CHECK(url.host == "cache.internal");
  CHECK(url.port == 6379);
  CHECK(url.db == 0);
  CHECK(url.user.empty());
  CHECK(url.password.empty());
  CHECK(url.endpoint() == "cache.internal:6379");
  CHECK(parsed("redis://cache.internal/").db == 0);
  CHECK(parsed("REDIS://h").host == "h");
}

TEST_CASE("url: port and database") {
  const RedisUrl url = parsed("redis://127.0.0.1:7000/3");
  CHECK(url.host == "127.0.0.1");
  CHECK(url.port == 7000);
  CHECK(url.db == 3);
  CHECK(parsed("redis://h:1").port == 1);
  CHECK(parsed("redis://h:65535/15").port == 65535);
  CHECK(parsed("redis://h/0").db == 0);
}

TEST_CASE("url: IPv6 hosts in brackets") {
  const RedisUrl url = parsed("redis://[::1]:6380/2");
  CHECK(url.host == "::1");
  CHECK(url.port == 6380);
  CHECK(url.db == 2);
  CHECK(url.endpoint() == "[::1]:6380");
  CHECK(parsed("redis://[2001:db8::7]").port == 6379);
  CHECK(parsed("redis://:pw@[::1]").password == "pw");
}

TEST_CASE("url: a password alone, or a user and a password, percent-decoded") {
  const RedisUrl password_only = parsed("redis://:s3cret@h");
  CHECK(password_only.user.empty());
  CHECK(password_only.password == "s3cret");

  const RedisUrl both = parsed("redis://alice:p%40ss%3Aw%2Frd%25@h:6400/1");
  CHECK(both.user == "alice");
  CHECK(both.password == "p@ss:w/rd%");
  CHECK(both.host == "h");
  CHECK(both.port == 6400);
  CHECK(both.db == 1);
  CHECK(both.endpoint() == "h:6400");

  CHECK(parsed("redis://us%65r:x@h").user == "user");
  // Unescaped '@', ':' and '/' in the password still read as the password:
  // the credentials end at the last '@'.
  const RedisUrl lenient = parsed("redis://bob:a@b:c/d@h:1/2");
  CHECK(lenient.user == "bob");
  CHECK(lenient.password == "a@b:c/d");
  CHECK(lenient.host == "h");
  CHECK(lenient.db == 2);
  // Binary bytes through escapes.
  CHECK(parsed("redis://:%00%FF@h").password == std::string("\0\xff", 2));
}

TEST_CASE("url: errors say what is wrong and never show the password") {
  const std::string secret = "Sup3rSecr%45t";
  const auto text = GENERATE_COPY(
      std::string("http://h"), std::string("rediss://:") + secret + "@h", std::string("redis://"),
      std::string("redis://:") + secret + "@", std::string("redis://:") + secret + "@h:0",
      std::string("redis://:") + secret + "@h:65536", std::string("redis://:") + secret + "@h:port",
      std::string("redis://:") + secret + "@h:", std::string("redis://:") + secret + "@h/x",
      std::string("redis://:") + secret + "@h/-1", std::string("redis://:") + secret + "@h/1/2",
      std::string("redis://:") + secret + "@h?db=1", std::string("redis://:") + secret + "@h#f",
      std::string("redis://:") + secret + "@[::1", std::string("redis://:") + secret + "@[nothex]:1",
      std::string("redis://:") + secret + "@[::1]x", std::string("redis://:") + secret + "@h a",
      std::string("redis://") + secret + "@h", std::string("redis://u:@h"), std::string("redis://:Sup3r%4@h"),
      std::string("redis://:Sup3r%zz@h"), std::string("redis://u%G1:") + secret + "@h");
  const auto result = parse_redis_url(text);
  INFO(text << " -> " << result.error);
  CHECK_FALSE(result.url.has_value());
  CHECK_FALSE(result.error.empty());
  CHECK(result.error.find("Sup3r") == std::string::npos);
  CHECK(result.error.find("Secr") == std::string::npos);
}

TEST_CASE("url: the errors name the part at fault") {
  CHECK(parse_redis_url("rediss://h").error == "rediss:// (TLS) is not supported");
  CHECK(parse_redis_url("redis://h:99999").error.find("port") != std::string::npos);
  CHECK(parse_redis_url("redis://h/abc").error.find("database") != std::string::npos);
  CHECK(parse_redis_url("redis://:a%4@h").error == "the password has a bad percent-escape");
  CHECK(parse_redis_url("redis://user@h").error.find("no password") != std::string::npos);
}
