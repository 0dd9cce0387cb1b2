#include "redis/redis_url.h"

#include <arpa/inet.h>

#include <charconv>

#include "common/percent_decode.h"

namespace pubsub::redis {
namespace {

constexpr std::string_view kScheme = "redis://";
constexpr int kMaxDatabase = 1 << 30;

bool starts_with_case_insensitive(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

bool host_name_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

// Parses all of `text` as a decimal number in [low, high].
std::optional<int> parse_number(std::string_view text, int low, int high) {
  if (text.empty()) return std::nullopt;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < low || value > high) return std::nullopt;
  return value;
}

RedisUrlParse failure(std::string error) { return {std::nullopt, std::move(error)}; }

// Reads "host[:port]" or "[v6]:port" into `url`; an error text otherwise.
std::optional<std::string> read_host_and_port(std::string_view text, RedisUrl& url) {
  std::string_view port_text;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return "the IPv6 address has no closing ']'";
    url.host = std::string(text.substr(1, close - 1));
    in6_addr address{};
    if (inet_pton(AF_INET6, url.host.c_str(), &address) != 1) return "'" + url.host + "' is not an IPv6 address";
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return "unexpected text after the IPv6 address";
      port_text = rest.substr(1);
      has_port = true;
    }
  } else {
    const std::size_t colon = text.find(':');
    const std::string_view host = text.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = text.substr(colon + 1);
      has_port = true;
    }
    if (host.empty()) return std::string("the host is missing");
    for (const char c : host) {
      if (!host_name_character(c)) return "the host '" + std::string(host) + "' has a character not allowed in a host";
    }
    url.host = std::string(host);
  }
  if (has_port) {
    const auto port = parse_number(port_text, 1, 65535);
    if (!port) return "the port '" + std::string(port_text) + "' is not a number from 1 to 65535";
    url.port = static_cast<std::uint16_t>(*port);
  }
  return std::nullopt;
}

}  // namespace

std::string RedisUrl::endpoint() const {
  const std::string port_text = std::to_string(port);
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port_text;
  return host + ":" + port_text;
}

RedisUrlParse parse_redis_url(std::string_view text) {
  if (starts_with_case_insensitive(text, "rediss://")) return failure("rediss:// (TLS) is not supported");
  if (!starts_with_case_insensitive(text, kScheme)) return failure("the URL does not start with redis://");
  const std::string_view rest = text.substr(kScheme.size());

  RedisUrl url;
  // The credentials end at the last '@' (no host, port or database has
  // one), so that a password with an unescaped '@' or '/' still reads as
  // one and no part of it lands in an error message.
  const std::size_t at = rest.rfind('@');
  const std::string_view location = at == std::string_view::npos ? rest : rest.substr(at + 1);
  if (at != std::string_view::npos) {
    const std::string_view credentials = rest.substr(0, at);
    const std::size_t colon = credentials.find(':');
    if (colon == std::string_view::npos) return failure("the user has no password (redis://user:password@host)");
    if (!common::percent_decode(credentials.substr(0, colon), url.user)) {
      return failure("the user has a bad percent-escape");
    }
    if (!common::percent_decode(credentials.substr(colon + 1), url.password)) {
      return failure("the password has a bad percent-escape");
    }
    if (url.password.empty()) return failure("the password is empty");
  }
  if (location.find_first_of("?#") != std::string_view::npos) {
    return failure("the URL has a query or a fragment, which are not supported");
  }

  const std::size_t slash = location.find('/');
  const std::string_view host_and_port = location.substr(0, slash);
  const std::string_view path = slash == std::string_view::npos ? std::string_view() : location.substr(slash);

  if (auto error = read_host_and_port(host_and_port, url)) return failure(std::move(*error));

  if (path.size() > 1) {
    const auto db = parse_number(path.substr(1), 0, kMaxDatabase);
    if (!db) return failure("the database '" + std::string(path.substr(1)) + "' is not a number from 0 up");
    url.db = *db;
  }
  return {std::move(url), {}};
}

}  // namespace pubsub::redis
