// Parsing --url; see server_url.h.
#include "cli/server_url.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "cli/exit_status.h"

namespace pubsub::cli {

namespace {

struct Scheme {
  std::string_view name;
  bool tls;
  std::uint16_t default_port;
};

constexpr Scheme kSchemes[] = {
    {"ws", false, 80},
    {"http", false, 80},
    {"wss", true, 443},
    {"https", true, 443},
};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

[[noreturn]] void bad_url(std::string_view text, std::string_view why) {
  throw UsageError("invalid URL '" + std::string(text) + "': " + std::string(why));
}

const Scheme& scheme_of(std::string_view text, std::string_view name) {
  const std::string wanted = lower(name);
  for (const Scheme& scheme : kSchemes) {
    if (scheme.name == wanted) return scheme;
  }
  bad_url(text, "expected ws://, wss://, http:// or https://");
}

std::uint16_t port_of(std::string_view text, std::string_view digits) {
  unsigned value = 0;
  const char* end = digits.data() + digits.size();
  auto [ptr, ec] = std::from_chars(digits.data(), end, value);
  if (digits.empty() || ec != std::errc{} || ptr != end || value == 0 || value > 65535) {
    bad_url(text, "the port must be a number from 1 to 65535");
  }
  return static_cast<std::uint16_t>(value);
}

// Splits "host[:port]" or "[v6]:port" into `url`.
void read_authority(std::string_view text, std::string_view authority, const Scheme& scheme, ServerUrl& url) {
  if (authority.find('@') != std::string_view::npos) bad_url(text, "user information is not supported");
  std::string_view port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) bad_url(text, "unclosed '[' around an IPv6 address");
    url.host = std::string(authority.substr(1, close - 1));
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':')) bad_url(text, "expected ':' and a port after ']'");
      port = rest.substr(1);
      if (port.empty()) bad_url(text, "the port must be a number from 1 to 65535");
    }
  } else {
    const auto colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) bad_url(text, "the port must be a number from 1 to 65535");
    }
  }
  if (url.host.empty()) bad_url(text, "no host");
  url.port = port.empty() ? scheme.default_port : port_of(text, port);
}

// The base path of `path` ("", "/", "/ws", "/prefix/", "/prefix/ws").
std::string base_path_of(std::string_view path) {
  while (path.ends_with('/')) path.remove_suffix(1);
  if (path.ends_with("/ws")) path.remove_suffix(3);
  while (path.ends_with('/')) path.remove_suffix(1);
  return std::string(path);
}

}  // namespace

std::string ServerUrl::host_header() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  const std::uint16_t default_port = tls ? 443 : 80;
  if (port != default_port) {
    out += ':';
    out += std::to_string(port);
  }
  return out;
}

bool ServerUrl::host_is_address() const {
  unsigned char scratch[16];
  return inet_pton(AF_INET, host.c_str(), scratch) == 1 || inet_pton(AF_INET6, host.c_str(), scratch) == 1;
}

ServerUrl parse_server_url(std::string_view text) {
  const auto separator = text.find("://");
  if (separator == std::string_view::npos) bad_url(text, "expected ws://, wss://, http:// or https://");
  const Scheme& scheme = scheme_of(text, text.substr(0, separator));
  std::string_view rest = text.substr(separator + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) bad_url(text, "a query or a fragment is not supported");
  if (rest.find_first_of(" \t\r\n") != std::string_view::npos) bad_url(text, "it contains white space");
  const auto slash = rest.find('/');
  ServerUrl url;
  url.tls = scheme.tls;
  url.text = std::string(text);
  read_authority(text, rest.substr(0, slash), scheme, url);
  if (slash != std::string_view::npos) url.base_path = base_path_of(rest.substr(slash));
  return url;
}

std::string percent_encode_segment(std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : segment) {
    const auto c = static_cast<unsigned char>(ch);
    const bool alphanumeric = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alphanumeric || c == '-' || c == '.' || c == '_' || c == '~' || c == ':') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

}  // namespace pubsub::cli
