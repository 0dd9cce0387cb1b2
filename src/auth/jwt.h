// JSON Web Tokens (RFC 7519) as contract section 11 accepts them: compact
// JWS tokens signed with HS256 (a shared secret), RS256 or ES256 (a PEM
// public key), whose header's `alg` must be the algorithm the key implies
// (`none` never is), with a required `exp`, an optional `nbf`, `iss` and
// `aud` matched when configured, 60 seconds of clock skew, and the
// `pubsub` claim's grants. Signatures are checked by OpenSSL; the token's
// JSON is read with the project's own strict scanner.
//
// A JwtVerifier is immutable once built: verify() may run on any thread,
// concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/topic_patterns.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace pubsub::auth {

enum class JwtAlgorithm : std::uint8_t { hs256, rs256, es256 };

// "HS256", "RS256", "ES256".
std::string_view to_string(JwtAlgorithm algorithm);

// Clock skew allowed on `exp` and `nbf`.
inline constexpr std::int64_t kClockSkewSeconds = 60;

// What a valid token says about its holder.
struct Identity {
  std::string subject;  // `sub`; empty if the token has none
  // `exp` plus the skew, in Unix seconds: the first second the token is
  // no longer accepted.
  std::int64_t expires_at = 0;
  Grants grants;
};

enum class TokenError : std::uint8_t {
  malformed,      // not three base64url parts of JSON objects
  algorithm,      // `alg` is not the configured key's (or is `none`), or `crit` is present
  signature,      // the signature does not verify
  expired,        // `exp` (plus the skew) has passed
  not_yet_valid,  // `nbf` (minus the skew) is still ahead
  issuer,         // `iss` differs from --jwt-issuer
  audience,       // `aud` does not name --jwt-audience
  claims,         // a claim of the wrong type, no `exp`, or a bad pattern
};

// Why a token was refused, for the 401's message (says nothing of keys).
std::string_view describe(TokenError error);

struct TokenCheck {
  std::optional<Identity> identity;  // set when the token is valid
  TokenError error = TokenError::malformed;
};

struct JwtRules {
  std::string issuer;    // empty: any `iss`
  std::string audience;  // empty: any `aud`
};

class JwtVerifier {
 public:
  // HS256 with `secret`.
  static JwtVerifier with_secret(std::string secret, JwtRules rules);
  // RS256 for an RSA key, ES256 for an EC key on P-256. Throws
  // std::invalid_argument if `pem` holds neither.
  static JwtVerifier with_public_key(std::string_view pem, JwtRules rules);

  JwtVerifier(JwtVerifier&&) noexcept;
  JwtVerifier& operator=(JwtVerifier&&) noexcept;
  ~JwtVerifier();

  JwtAlgorithm algorithm() const { return algorithm_; }

  // Checks `token` at `now` (Unix seconds).
  TokenCheck verify(std::string_view token, std::int64_t now) const;

 private:
  struct KeyFree {
    void operator()(evp_pkey_st* key) const;
  };
  JwtVerifier(JwtAlgorithm algorithm, std::string secret, std::unique_ptr<evp_pkey_st, KeyFree> key, JwtRules rules);

  bool signature_valid(std::string_view signed_part, std::string_view signature) const;

  JwtAlgorithm algorithm_;
  std::string secret_;
  std::unique_ptr<evp_pkey_st, KeyFree> key_;
  JwtRules rules_;
};

// Decodes unpadded base64url (RFC 4648 section 5) into `out`; false if
// `text` holds anything else.
bool base64url_decode(std::string_view text, std::string& out);

}  // namespace pubsub::auth
