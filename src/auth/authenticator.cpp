// Credentials and grants; see authenticator.h.
#include "auth/authenticator.h"

#include <chrono>

namespace pubsub::auth {

Authenticator::Authenticator(std::vector<std::string> api_keys, std::shared_ptr<const JwtVerifier> verifier)
    : api_keys_(std::move(api_keys)), verifier_(std::move(verifier)) {}

bool Authenticator::api_key_accepted(std::string_view candidate) const {
  bool accepted = false;
  for (const std::string& key : api_keys_) accepted |= api_key_matches(key, candidate);
  return accepted;
}

const Identity* TokenMemory::recall(std::string_view token, std::int64_t now) const {
  return holder_ && now < holder_->expires_at && token == token_ ? &*holder_ : nullptr;
}

const Identity& TokenMemory::remember(std::string_view token, Identity holder) {
  token_.assign(token);
  return holder_.emplace(std::move(holder));
}

Authentication Authenticator::authenticate(const PresentedCredentials& presented, std::int64_t now,
                                           TokenMemory* memory) const {
  Authentication result;
  if (!required() || (presented.api_key && api_key_accepted(*presented.api_key))) {
    result.accepted = true;
    return result;
  }
  if (presented.token && verifier_) {
    if (memory != nullptr) result.remembered = memory->recall(*presented.token, now);
    if (result.remembered != nullptr) {
      result.accepted = true;
      return result;
    }
    TokenCheck check = verifier_->verify(*presented.token, now);
    if (!check.identity) {
      result.refusal = describe(check.error);
      return result;
    }
    result.accepted = true;
    if (memory != nullptr) {
      result.remembered = &memory->remember(*presented.token, std::move(*check.identity));
    } else {
      result.identity = std::make_unique<Identity>(std::move(*check.identity));
    }
    return result;
  }
  if (presented.api_key) {
    result.refusal = "invalid API key";
  } else if (verifier_) {
    result.refusal = "missing credentials: send Authorization: Bearer <token> or X-API-Key";
  } else {
    result.refusal = "missing or invalid API key (send the X-API-Key header)";
  }
  return result;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::optional<std::string_view> bearer_token(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if ((authorization[i] | 0x20) != kScheme[i]) return std::nullopt;
  }
  std::string_view rest = authorization.substr(kScheme.size());
  if (rest.front() != ' ') return std::nullopt;
  const std::size_t first = rest.find_first_not_of(' ');
  if (first == std::string_view::npos) return std::nullopt;
  return rest.substr(first, rest.find_last_not_of(' ') + 1 - first);
}

bool may_subscribe(const Identity* identity, std::string_view topic) {
  return identity == nullptr || identity->grants.subscribe.matches(topic);
}

bool may_publish(const Identity* identity, std::string_view topic) {
  return identity == nullptr || identity->grants.publish.matches(topic);
}

bool may_administer(const Identity* identity) { return identity == nullptr || identity->grants.admin; }

bool api_key_matches(std::string_view key, std::string_view candidate) {
  // Compare every byte of the key whatever the candidate holds.
  unsigned char diff = key.size() == candidate.size() ? 0 : 1;
  for (std::size_t i = 0; i < key.size(); ++i) {
    unsigned char c = i < candidate.size() ? static_cast<unsigned char>(candidate[i]) : 0;
    diff |= static_cast<unsigned char>(static_cast<unsigned char>(key[i]) ^ c);
  }
  return diff == 0;
}

}  // namespace pubsub::auth
