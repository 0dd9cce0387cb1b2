// Who may do what (contract sections 7 and 11): checks the credentials a
// request or a WebSocket upgrade presents (an API key, or a JSON Web
// Token) against what the server was configured with, and answers what
// the holder may do. An API key grants everything; a token grants what its
// `pubsub` claim lists.
//
// Immutable once built: any thread, concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwt.h"

namespace pubsub::auth {

// What a request carries; either may be absent.
struct PresentedCredentials {
  std::optional<std::string_view> api_key;  // X-API-Key (or ?api_key= on the upgrade)
  std::optional<std::string_view> token;    // Authorization: Bearer (or ?token= on the upgrade)
};

struct Authentication {
  bool accepted = false;
  // The token's holder; null with `accepted` when no credential is
  // needed or an API key was presented: everything is granted.
  std::unique_ptr<Identity> identity;
  // Instead of `identity`, the holder a TokenMemory keeps.
  const Identity* remembered = nullptr;
  std::string_view refusal;  // why not, for the 401's message

  // Whoever the request speaks for; null: everything is granted.
  const Identity* holder() const { return identity ? identity.get() : remembered; }
};

// The last token one connection had accepted, with its holder: further
// requests of a keep-alive connection that present the same token are
// accepted without checking its signature again, until it expires.
//
// Belongs to the connection's thread.
class TokenMemory {
 public:
  // The holder of `token` if it is the one remembered and `now` is before
  // its expiry; otherwise null.
  const Identity* recall(std::string_view token, std::int64_t now) const;
  // Remembers `token`, accepted for `holder`, in place of the last one.
  const Identity& remember(std::string_view token, Identity holder);

 private:
  std::string token_;
  std::optional<Identity> holder_;
};

class Authenticator {
 public:
  Authenticator() = default;
  Authenticator(std::vector<std::string> api_keys, std::shared_ptr<const JwtVerifier> verifier);

  // True if requests must present a credential.
  bool required() const { return !api_keys_.empty() || verifier_ != nullptr; }
  bool accepts_tokens() const { return verifier_ != nullptr; }

  // Checks `presented` at `now` (Unix seconds). A valid API key is
  // accepted first; otherwise the token decides. With `memory`, the token
  // it remembers is accepted as it was (Authentication::remembered), and a
  // newly accepted token is remembered there.
  Authentication authenticate(const PresentedCredentials& presented, std::int64_t now,
                              TokenMemory* memory = nullptr) const;

  // True if `candidate` is one of the API keys. Compares it with every
  // key, each in time independent of where they differ, so the time says
  // nothing of which one matched (their lengths may leak, not their content).
  bool api_key_accepted(std::string_view candidate) const;

 private:
  std::vector<std::string> api_keys_;
  std::shared_ptr<const JwtVerifier> verifier_;
};

// The seconds since the Unix epoch, the clock tokens are checked against.
std::int64_t unix_now();

// The token of an `Authorization: Bearer <token>` header value, if that is
// what it is (the scheme's case does not matter).
std::optional<std::string_view> bearer_token(std::string_view authorization);

// What an identity may do; null: an API key or no authentication, which
// may do everything.
bool may_subscribe(const Identity* identity, std::string_view topic);
bool may_publish(const Identity* identity, std::string_view topic);
bool may_administer(const Identity* identity);

// Returns true if `candidate` equals `key`, in time independent of where
// they differ.
bool api_key_matches(std::string_view key, std::string_view candidate);

}  // namespace pubsub::auth
