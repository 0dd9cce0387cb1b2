// The server a command talks to, from --url (or PUBSUB_URL): the scheme
// says whether TLS is on (ws:// and http:// plain, wss:// and https://
// TLS), and the REST routes and the WebSocket endpoint `/ws` both derive
// from the one URL, under its path if it has one (a server behind a proxy
// at https://example.com/pubsub has its REST at /pubsub/topics and its
// WebSocket at /pubsub/ws). A path that ends in /ws names the endpoint
// itself: ws://host:8080/ws is the same server as ws://host:8080.
//
// Pure functions; callable from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pubsub::cli {

inline constexpr std::string_view kDefaultUrl = "ws://127.0.0.1:8080";

struct ServerUrl {
  bool tls = false;
  std::string host;        // a name or an address; an IPv6 address without its brackets
  std::uint16_t port = 0;  // the URL's, or 80 (ws, http) / 443 (wss, https)
  std::string base_path;   // "" or "/prefix", without a trailing slash
  std::string text;        // the URL as given, for messages

  // The request target of the WebSocket endpoint: base_path + "/ws".
  std::string websocket_target() const { return base_path + "/ws"; }
  // The request target of the REST route `path` ("/topics"): base_path + path.
  std::string rest_target(std::string_view path) const { return base_path + std::string(path); }
  // The value of the Host header: host, bracketed if IPv6, and ":port"
  // unless it is the scheme's default.
  std::string host_header() const;
  // True if `host` is an IPv4 or IPv6 address rather than a name.
  bool host_is_address() const;
};

// Parses `text`. Throws UsageError (exit_status.h) naming what is wrong:
// another scheme, no host, a bad port, user information, a query or a
// fragment.
ServerUrl parse_server_url(std::string_view text);

// `segment` percent-encoded for a path (RFC 3986): unreserved characters
// and ':' stay, every other byte becomes %XX. A topic name goes into
// /topics/{name} this way; the server decodes it.
std::string percent_encode_segment(std::string_view segment);

}  // namespace pubsub::cli
