// How pubsub reaches the server, from the global options: the URL, the
// credentials sent with every request and upgrade, how a TLS certificate
// is checked, and how long to wait for an answer.
//
// Plain data and pure functions; any thread.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "cli/server_url.h"

namespace pubsub::cli {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct ConnectionSettings {
  ServerUrl url;
  std::string api_key;                        // sent as X-API-Key
  std::string token;                          // sent as Authorization: Bearer
  std::string ca_file;                        // TLS: trust these certificates instead of the system's
  bool insecure = false;                      // TLS: check neither the certificate nor the host name
  std::chrono::milliseconds timeout{10'000};  // connecting, and each answer
};

// The headers that carry the credentials of `settings` (none if it has none).
inline HeaderList credential_headers(const ConnectionSettings& settings) {
  HeaderList out;
  if (!settings.api_key.empty()) out.emplace_back("X-API-Key", settings.api_key);
  if (!settings.token.empty()) out.emplace_back("Authorization", "Bearer " + settings.token);
  return out;
}

}  // namespace pubsub::cli
