// Tests of the Host field value check (http_host.h): names, IPv4 and IPv6
// addresses, ports, percent-encoding, and what RFC 9110 section 7.2 leaves
// out of a Host.
#include "protocol/http_host.h"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <string_view>

using pubsub::protocol::is_host_field_value;

TEST_CASE("is_host_field_value accepts a host with an optional port", "[host]") {
  auto value = GENERATE(as<std::string_view>{}, "", "localhost", "localhost:8080", "127.0.0.1", "127.0.0.1:80",
                        "pubsub.example.com", "PubSub.Example.COM.", "a-b_c~d", "[::1]", "[::1]:8080",
                        "[fe80::1%25eth0]:1", "[v1.fe]", "x%41y", "host:", "h!$&'()*+,;=", "10.0.0.1:65535");
  CAPTURE(value);
  CHECK(is_host_field_value(value));
}

TEST_CASE("is_host_field_value refuses what is not a host and port", "[host]") {
  auto value = GENERATE(as<std::string_view>{}, "a b", "a\tb", "a/b", "a?b", "a#b", "user@host", "h:80:80", "::1",
                        "h:8o", "h:-1", "[::1", "[]", "[::1]x", "[::1]:a", "[a]b]", "x%4", "x%4g", "%",
                        "h\r\nX-Injected: 1", std::string_view("h\0st", 4), "h\x7f", "caf\xc3\xa9", "h:80/");
  CAPTURE(value);
  CHECK_FALSE(is_host_field_value(value));
}
