// The client's WebSocket opening handshake; see websocket_upgrade.h.
#include "cli/websocket_upgrade.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <random>

#include "common/text.h"

namespace pubsub::cli {

namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

std::string base64(const unsigned char* bytes, std::size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(std::max(written, 0)));
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

// True if the comma-separated `list` holds `token`, ignoring case.
bool has_token(std::string_view list, std::string_view token) {
  const std::string wanted = lower(token);
  for (const std::string_view part : common::split(list, ','))
    if (lower(trimmed(part)) == wanted) return true;
  return false;
}

}  // namespace

std::string new_websocket_key() {
  std::random_device device;
  unsigned char bytes[16];
  for (unsigned char& byte : bytes) byte = static_cast<unsigned char>(device());
  return base64(bytes, sizeof bytes);
}

std::string websocket_accept(std::string_view key) {
  std::string input(key);
  input += kGuid;
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return base64(digest, sizeof digest);
}

std::string upgrade_request(std::string_view host, std::string_view target, std::string_view key,
                            const HeaderList& headers) {
  std::string out = "GET " + std::string(target) + " HTTP/1.1\r\nHost: " + std::string(host) +
                    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + std::string(key) +
                    "\r\nSec-WebSocket-Version: 13\r\nUser-Agent: pubsub/" PUBSUB_VERSION "\r\n";
  for (const auto& [name, value] : headers) out += name + ": " + value + "\r\n";
  return out + "\r\n";
}

std::optional<ResponseHead> parse_response_head(std::string_view head) {
  auto line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 || status_line[8] != ' ') return std::nullopt;
  ResponseHead out;
  const std::string_view code = status_line.substr(9, 3);
  auto [ptr, ec] = std::from_chars(code.data(), code.data() + code.size(), out.status);
  if (ec != std::errc{} || ptr != code.data() + code.size()) return std::nullopt;
  while (line_end != std::string_view::npos) {
    head.remove_prefix(line_end + 2);
    line_end = head.find("\r\n");
    const std::string_view line = head.substr(0, line_end);
    const auto colon = line.find(':');
    if (line.empty() || colon == std::string_view::npos) continue;
    out.headers[lower(line.substr(0, colon))] = std::string(trimmed(line.substr(colon + 1)));
  }
  if (auto it = out.headers.find("content-length"); it != out.headers.end()) {
    std::from_chars(it->second.data(), it->second.data() + it->second.size(), out.content_length);
  }
  return out;
}

bool upgrade_accepted(const ResponseHead& head, std::string_view key) {
  auto header = [&](const char* name) {
    auto it = head.headers.find(name);
    return it == head.headers.end() ? std::string_view() : std::string_view(it->second);
  };
  return head.status == 101 && has_token(header("upgrade"), "websocket") &&
         has_token(header("connection"), "upgrade") && header("sec-websocket-accept") == websocket_accept(key);
}

}  // namespace pubsub::cli
