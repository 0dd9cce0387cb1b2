// Signs JSON Web Tokens for the tests, with OpenSSL: HS256 with a secret,
// RS256 and ES256 with keys generated for the test, whose public half is
// given as PEM (the server's --jwt-public-key). Any header and payload may
// be signed, so tests can build the tokens an attacker would.
//
// Each object belongs to the thread that created it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct evp_pkey_st;

namespace pubsub::testing {

// Unpadded base64url.
std::string base64url(std::string_view bytes);

// HMAC-SHA256 of `data` under `secret`, raw.
std::string hmac_sha256(std::string_view secret, std::string_view data);

// "base64url(header).base64url(payload)".
std::string signing_input(std::string_view header_json, std::string_view payload_json);

// An HS256 token over `payload_json` (the header is {"alg":"HS256","typ":"JWT"}).
std::string hs256_token(std::string_view secret, std::string_view payload_json);

class KeyPair {
 public:
  static KeyPair rsa(int bits = 2048);
  static KeyPair ec_p256();
  KeyPair(KeyPair&&) noexcept;
  ~KeyPair();

  std::string public_pem() const;
  // The private key as PKCS#8 PEM, for a signer outside the test.
  std::string private_pem() const;
  // A token over `payload_json` with the key's algorithm (RS256 or ES256)
  // in its header, unless `header_json` is given.
  std::string token(std::string_view payload_json, std::string_view header_json = {}) const;

 private:
  struct KeyFree {
    void operator()(evp_pkey_st* key) const;
  };
  KeyPair(std::unique_ptr<evp_pkey_st, KeyFree> key, bool ec);
  // The raw signature of `data`: PKCS#1 v1.5 for RSA, R || S for EC.
  std::string sign(std::string_view data) const;

  std::unique_ptr<evp_pkey_st, KeyFree> key_;
  bool ec_;
};

// Unix seconds now.
std::int64_t now_seconds();

}  // namespace pubsub::testing
