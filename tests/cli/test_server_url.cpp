// --url: schemes, hosts, ports, the base path, and what derives from them.
#include <catch2/catch_test_macros.hpp>

#include "cli/exit_status.h"
#include "cli/server_url.h"

using namespace pubsub::cli;

TEST_CASE("each scheme sets TLS and its default port") {
  struct Case {
    const char* url;
    bool tls;
    std::uint16_t port;
  };
  for (const Case& c : {Case{"ws://example.com", false, 80}, Case{"http://example.com", false, 80},
                        Case{"wss://example.com", true, 443}, Case{"https://example.com", true, 443},
                        Case{"WSS://example.com", true, 443}}) {
    INFO(c.url);
    const ServerUrl url = parse_server_url(c.url);
    CHECK(url.tls == c.tls);
    CHECK(url.port == c.port);
    CHECK(url.host == "example.com");
    CHECK(url.host_header() == "example.com");
    CHECK(url.websocket_target() == "/ws");
    CHECK(url.rest_target("/topics") == "/topics");
  }
}

TEST_CASE("the default URL is the local server on 8080") {
  const ServerUrl url = parse_server_url(kDefaultUrl);
  CHECK_FALSE(url.tls);
  CHECK(url.host == "127.0.0.1");
  CHECK(url.port == 8080);
  CHECK(url.host_is_address());
  CHECK(url.host_header() == "127.0.0.1:8080");
  CHECK(url.text == "ws://127.0.0.1:8080");
}

TEST_CASE("a port other than the scheme's goes into the Host header") {
  CHECK(parse_server_url("https://h:8443").host_header() == "h:8443");
  CHECK(parse_server_url("https://h:443").host_header() == "h");
  CHECK(parse_server_url("http://h:443").host_header() == "h:443");
}

TEST_CASE("IPv6 addresses are bracketed in the URL and the Host header only") {
  const ServerUrl url = parse_server_url("ws://[::1]:9000");
  CHECK(url.host == "::1");
  CHECK(url.port == 9000);
  CHECK(url.host_is_address());
  CHECK(url.host_header() == "[::1]:9000");
  CHECK(parse_server_url("wss://[2001:db8::2]").port == 443);
}

TEST_CASE("REST and the WebSocket derive from the URL's path") {
  struct Case {
    const char* url;
    const char* base;
  };
  for (const Case& c :
       {Case{"ws://h:1/", ""}, Case{"ws://h:1/ws", ""}, Case{"ws://h:1/ws/", ""}, Case{"https://h/pubsub", "/pubsub"},
        Case{"https://h/pubsub/", "/pubsub"}, Case{"wss://h/pubsub/ws", "/pubsub"}, Case{"http://h/a/b", "/a/b"}}) {
    INFO(c.url);
    const ServerUrl url = parse_server_url(c.url);
    CHECK(url.base_path == c.base);
    CHECK(url.websocket_target() == std::string(c.base) + "/ws");
    CHECK(url.rest_target("/topics/x") == std::string(c.base) + "/topics/x");
  }
}

TEST_CASE("names are not addresses") {
  CHECK_FALSE(parse_server_url("ws://localhost:8080").host_is_address());
  CHECK_FALSE(parse_server_url("ws://pubsub.example.com").host_is_address());
}

TEST_CASE("a bad URL is a usage error that says why") {
  for (const char* url :
       {"127.0.0.1:8080", "tcp://h:1", "ws://", "ws://:80", "ws://h:0", "ws://h:65536", "ws://h:x",
        "ws://h:", "ws://user@h", "ws://h/?q=1", "ws://h/#f", "ws://[::1", "ws://[::1]x", "ws://h /x", ""}) {
    INFO(url);
    CHECK_THROWS_AS(parse_server_url(url), UsageError);
  }
  try {
    parse_server_url("ftp://h");
    FAIL("accepted ftp://");
  } catch (const UsageError& e) {
    CHECK(std::string(e.what()) == "invalid URL 'ftp://h': expected ws://, wss://, http:// or https://");
  }
}

TEST_CASE("a path segment is percent-encoded except unreserved characters and ':'") {
  CHECK(percent_encode_segment("orders:eu.v1_x-y~z") == "orders:eu.v1_x-y~z");
  CHECK(percent_encode_segment("a b/c?d%") == "a%20b%2Fc%3Fd%25");
  CHECK(percent_encode_segment("\xc3\xa9") == "%C3%A9");
  CHECK(percent_encode_segment("") == "");
}
