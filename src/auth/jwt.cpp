// JSON Web Token verification; see jwt.h.
#include "auth/jwt.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "protocol/json_scan.h"

namespace pubsub::auth {
namespace {

using protocol::JsonType;
using protocol::JsonValue;

// Far larger than any token a client needs; bounds the work on hostile input.
constexpr std::size_t kMaxTokenSize = 8 * 1024;

int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// The text of a JSON string value, escapes resolved; nullopt if `value`
// is not a string (or holds a lone surrogate).
std::optional<std::string> string_of(const JsonValue& value) {
  if (value.type != JsonType::string) return std::nullopt;
  std::string out;
  if (!protocol::decode_json_string(value.raw.substr(1, value.raw.size() - 2), out)) return std::nullopt;
  return out;
}

// A NumericDate (RFC 7519: seconds, fractions allowed) rounded down. A
// date beyond kFarSeconds either way (thirty million years; 1e18, or
// 1e400, which no double holds) is that far: still in the future, or long
// past, and no sum with it overflows.
constexpr double kFarSeconds = 1e15;
std::optional<std::int64_t> numeric_date(const JsonValue& value) {
  if (value.type != JsonType::number) return std::nullopt;
  const char* const first = value.raw.data();
  const char* const last = first + value.raw.size();
  double seconds = 0;
  const auto [end, ec] = std::from_chars(first, last, seconds);
  if (end != last) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    // Too large or too close to zero for a double: the exponent's sign says which.
    const std::string_view number(first, value.raw.size());
    const std::size_t e = number.find_first_of("eE");
    const bool tiny = e != std::string_view::npos && e + 1 < number.size() && number[e + 1] == '-';
    seconds = tiny ? 0.0 : (number.starts_with('-') ? -kFarSeconds : kFarSeconds);
  } else if (ec != std::errc{} || !std::isfinite(seconds)) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(std::floor(std::clamp(seconds, -kFarSeconds, kFarSeconds)));
}

// The members of an object as key -> value, refusing a key given twice.
struct Members final : protocol::MemberVisitor {
  std::vector<std::pair<std::string, JsonValue>> members;
  bool duplicate = false;
  void member(std::string_view raw_key, JsonValue value) override {
    std::string scratch;
    std::string key(protocol::decode_key(raw_key, scratch));
    for (const auto& [seen, unused] : members) duplicate |= seen == key;
    members.emplace_back(std::move(key), value);
  }
  const JsonValue* find(std::string_view key) const {
    for (const auto& [name, value] : members) {
      if (name == key) return &value;
    }
    return nullptr;
  }
};

bool scan_members(std::string_view text, Members& members) {
  return protocol::scan_object(text, members) == protocol::ObjectScan::ok && !members.duplicate;
}

// Reads a grant list: an array of patterns.
bool read_patterns(const JsonValue& value, TopicPatterns& patterns) {
  if (value.type != JsonType::array) return false;
  for (const JsonValue& element : protocol::array_elements(value.raw)) {
    const std::optional<std::string> pattern = string_of(element);
    if (!pattern || !patterns.add(*pattern)) return false;
  }
  return true;
}

// Reads the `pubsub` claim into `grants`.
bool read_grants(const JsonValue& value, Grants& grants) {
  Members claim;
  if (value.type != JsonType::object || !scan_members(value.raw, claim)) return false;
  if (const JsonValue* list = claim.find("subscribe"); list && !read_patterns(*list, grants.subscribe)) return false;
  if (const JsonValue* list = claim.find("publish"); list && !read_patterns(*list, grants.publish)) return false;
  if (const JsonValue* admin = claim.find("admin")) {
    if (admin->type != JsonType::boolean) return false;
    grants.admin = admin->raw == "true";
  }
  return true;
}

// True if `aud` (a string or an array of strings) names `audience`.
std::optional<bool> audience_names(const JsonValue& aud, std::string_view audience) {
  if (aud.type == JsonType::string) {
    const std::optional<std::string> one = string_of(aud);
    if (!one) return std::nullopt;
    return *one == audience;
  }
  if (aud.type != JsonType::array) return std::nullopt;
  bool named = false;
  for (const JsonValue& element : protocol::array_elements(aud.raw)) {
    const std::optional<std::string> one = string_of(element);
    if (!one) return std::nullopt;
    named |= *one == audience;
  }
  return named;
}

// ES256 signatures are R || S (RFC 7518 section 3.4); OpenSSL verifies DER.
std::optional<std::vector<unsigned char>> es256_der(std::string_view signature) {
  if (signature.size() != 64) return std::nullopt;
  const auto* bytes = reinterpret_cast<const unsigned char*>(signature.data());
  ECDSA_SIG* sig = ECDSA_SIG_new();
  if (sig == nullptr) return std::nullopt;
  BIGNUM* r = BN_bin2bn(bytes, 32, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + 32, 32, nullptr);
  if (r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  std::optional<std::vector<unsigned char>> der;
  const int size = i2d_ECDSA_SIG(sig, nullptr);
  if (size > 0) {
    der.emplace(static_cast<std::size_t>(size));
    unsigned char* out = der->data();
    if (i2d_ECDSA_SIG(sig, &out) != size) der.reset();
  }
  ECDSA_SIG_free(sig);
  return der;
}

bool digest_verify(evp_pkey_st* key, std::string_view signed_part, const unsigned char* signature, std::size_t size) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  if (context == nullptr) return false;
  const bool valid =
      EVP_DigestVerifyInit(context, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(context, signature, size, reinterpret_cast<const unsigned char*>(signed_part.data()),
                       signed_part.size()) == 1;
  EVP_MD_CTX_free(context);
  return valid;
}

}  // namespace

std::string_view to_string(JwtAlgorithm algorithm) {
  switch (algorithm) {
    case JwtAlgorithm::hs256: return "HS256";
    case JwtAlgorithm::rs256: return "RS256";
    case JwtAlgorithm::es256: return "ES256";
  }
  return "?";
}

std::string_view describe(TokenError error) {
  switch (error) {
    case TokenError::malformed: return "the token is not a well-formed JWT";
    case TokenError::algorithm: return "the token's alg is not the one the server's key implies";
    case TokenError::signature: return "the token's signature does not verify";
    case TokenError::expired: return "the token has expired";
    case TokenError::not_yet_valid: return "the token is not valid yet (nbf)";
    case TokenError::issuer: return "the token's issuer is not accepted";
    case TokenError::audience: return "the token is for another audience";
    case TokenError::claims:
      return "the token's claims are invalid (exp is required; pubsub grants must be lists of "
             "topic patterns)";
  }
  return "invalid token";
}

bool base64url_decode(std::string_view text, std::string& out) {
  out.clear();
  if (text.size() % 4 == 1) return false;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    const int value = base64url_value(c);
    if (value < 0) return false;
    bits = (bits << 6) | static_cast<std::uint32_t>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xff);
    }
  }
  // The bits left over must be zero: one spelling per byte string.
  return (bits & ((1u << count) - 1)) == 0;
}

void JwtVerifier::KeyFree::operator()(evp_pkey_st* key) const { EVP_PKEY_free(key); }

JwtVerifier::JwtVerifier(JwtAlgorithm algorithm, std::string secret, std::unique_ptr<evp_pkey_st, KeyFree> key,
                         JwtRules rules)
    : algorithm_(algorithm), secret_(std::move(secret)), key_(std::move(key)), rules_(std::move(rules)) {}

JwtVerifier::JwtVerifier(JwtVerifier&&) noexcept = default;
JwtVerifier& JwtVerifier::operator=(JwtVerifier&&) noexcept = default;
JwtVerifier::~JwtVerifier() = default;

JwtVerifier JwtVerifier::with_secret(std::string secret, JwtRules rules) {
  return JwtVerifier(JwtAlgorithm::hs256, std::move(secret), nullptr, std::move(rules));
}

JwtVerifier JwtVerifier::with_public_key(std::string_view pem, JwtRules rules) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) throw std::invalid_argument("cannot read the public key");
  std::unique_ptr<evp_pkey_st, KeyFree> key(PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  if (!key) throw std::invalid_argument("not a PEM public key (-----BEGIN PUBLIC KEY-----)");
  if (EVP_PKEY_is_a(key.get(), "RSA")) {
    if (EVP_PKEY_get_bits(key.get()) < 2048)
      throw std::invalid_argument("an RSA key for RS256 needs 2048 bits or more");
    return JwtVerifier(JwtAlgorithm::rs256, {}, std::move(key), std::move(rules));
  }
  if (EVP_PKEY_is_a(key.get(), "EC")) {
    std::array<char, 64> curve{};
    std::size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(key.get(), "group", curve.data(), curve.size(), &length) != 1 ||
        std::string_view(curve.data(), length) != "prime256v1") {
      throw std::invalid_argument("an EC key for ES256 must be on P-256 (prime256v1)");
    }
    return JwtVerifier(JwtAlgorithm::es256, {}, std::move(key), std::move(rules));
  }
  throw std::invalid_argument("the public key must be RSA (RS256) or EC P-256 (ES256)");
}

bool JwtVerifier::signature_valid(std::string_view signed_part, std::string_view signature) const {
  const auto* bytes = reinterpret_cast<const unsigned char*>(signature.data());
  switch (algorithm_) {
    case JwtAlgorithm::hs256: {
      std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
      unsigned int size = 0;
      if (HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
               reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(), mac.data(),
               &size) == nullptr) {
        return false;
      }
      return signature.size() == size && CRYPTO_memcmp(mac.data(), bytes, size) == 0;
    }
    case JwtAlgorithm::rs256: return digest_verify(key_.get(), signed_part, bytes, signature.size());
    case JwtAlgorithm::es256: {
      const std::optional<std::vector<unsigned char>> der = es256_der(signature);
      return der && digest_verify(key_.get(), signed_part, der->data(), der->size());
    }
  }
  return false;
}

TokenCheck JwtVerifier::verify(std::string_view token, std::int64_t now) const {
  TokenCheck check;
  const auto fail = [&check](TokenError error) {
    check.error = error;
    return check;
  };
  if (token.size() > kMaxTokenSize) return fail(TokenError::malformed);
  const auto first_dot = token.find('.');
  const auto second_dot = first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos || token.find('.', second_dot + 1) != std::string_view::npos) {
    return fail(TokenError::malformed);
  }
  std::string header;
  std::string payload;
  std::string signature;
  if (!base64url_decode(token.substr(0, first_dot), header) ||
      !base64url_decode(token.substr(first_dot + 1, second_dot - first_dot - 1), payload) ||
      !base64url_decode(token.substr(second_dot + 1), signature)) {
    return fail(TokenError::malformed);
  }

  // The header: `alg` must be the key's; `crit` names extensions this
  // server does not know (RFC 7515 section 4.1.11).
  Members head;
  if (!scan_members(header, head)) return fail(TokenError::malformed);
  const JsonValue* alg = head.find("alg");
  const std::optional<std::string> alg_name = alg ? string_of(*alg) : std::nullopt;
  if (!alg_name || *alg_name != to_string(algorithm_) || head.find("crit") != nullptr) {
    return fail(TokenError::algorithm);
  }
  if (!signature_valid(token.substr(0, second_dot), signature)) return fail(TokenError::signature);

  // The claims, read only once the signature vouches for them.
  Members claims;
  if (!scan_members(payload, claims)) return fail(TokenError::malformed);
  Identity identity;
  const JsonValue* exp = claims.find("exp");
  const std::optional<std::int64_t> expires = exp ? numeric_date(*exp) : std::nullopt;
  if (!expires) return fail(TokenError::claims);
  identity.expires_at = *expires + kClockSkewSeconds;
  if (now >= identity.expires_at) return fail(TokenError::expired);
  if (const JsonValue* nbf = claims.find("nbf")) {
    const std::optional<std::int64_t> not_before = numeric_date(*nbf);
    if (!not_before) return fail(TokenError::claims);
    if (now + kClockSkewSeconds < *not_before) return fail(TokenError::not_yet_valid);
  }
  const JsonValue* iss = claims.find("iss");
  if (iss && iss->type != JsonType::string) return fail(TokenError::claims);
  if (!rules_.issuer.empty() && (!iss || string_of(*iss) != rules_.issuer)) return fail(TokenError::issuer);
  const JsonValue* aud = claims.find("aud");
  if (aud && !audience_names(*aud, rules_.audience)) return fail(TokenError::claims);
  if (!rules_.audience.empty() && (!aud || !*audience_names(*aud, rules_.audience))) {
    return fail(TokenError::audience);
  }
  if (const JsonValue* sub = claims.find("sub")) {
    std::optional<std::string> subject = string_of(*sub);
    if (!subject) return fail(TokenError::claims);
    identity.subject = std::move(*subject);
  }
  if (const JsonValue* grants = claims.find("pubsub"); grants && !read_grants(*grants, identity.grants)) {
    return fail(TokenError::claims);
  }
  check.identity = std::move(identity);
  return check;
}

}  // namespace pubsub::auth
