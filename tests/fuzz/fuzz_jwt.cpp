// Fuzz target of the JSON Web Token verifier (auth/jwt.h) and the
// credential checks around it (auth/authenticator.h): JwtVerifier::verify
// with an HS256 secret and with RS256 and ES256 public keys, each with and
// without issuer and audience rules; base64url_decode; bearer_token;
// Authenticator::authenticate. The input is
//
//   flags (1 byte)  now (8 bytes, little-endian)  step (2 bytes)  body
//
// `now`, folded into +-2^51 seconds, and `now` + `step` are the two times
// every token is checked at. flags & 3 is the mode:
//
//   0  token: the body is a token, and an Authorization header value whose
//      bearer token goes through the verifiers and the authenticators.
//   1  signed: the body is a claims set (after a header's JSON and a
//      newline when flags >> 4 & 7 is 7; otherwise flags >> 4 & 7 picks one
//      of the headers of make_header), signed by the fuzzer with the key
//      flags >> 2 & 3 picks: the HS256 secret, the ES256 key, the RS256 key,
//      or an HMAC keyed with a public key's PEM (the algorithm confusion
//      attack; flags & 128 picks the EC key's PEM rather than the RSA one).
//   2  modelled: the body drives make_claims, which writes a claims set
//      with exp, nbf, iss, aud, sub and pubsub grants of every shape, and
//      knows what the verifier must answer; signed with the HS256 secret,
//      or the ES256 key when flags & 4.
//   3  keys: the body is a PEM public key for with_public_key, or the DER
//      inside one when flags & 4.
//
// Every input's body is also checked as base64url text. Checks: no
// verifier accepts a token it did not sign: an HS256 acceptance has a
// header whose alg is HS256 and the HMAC-SHA256 of its signing input
// computed here, an RS256 or ES256 acceptance only happens to a token this
// input signed with that key; one verifier's acceptance is every other
// algorithm's `algorithm` error; an accepted identity has expires_at after
// `now`, is still accepted at expires_at - 1 and refused as expired at
// expires_at; a verifier with rules accepts only what the one without
// accepts, with the same identity; a correctly signed token is never
// refused for its algorithm or signature; a modelled claims set gets the
// answer the model predicts, with its subject, expiry and grants; the
// authenticators agree with the verifier; base64url_decode refuses what is
// not canonical unpadded base64url and decodes what is, which encodes back
// to the same text.
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/authenticator.h"
#include "auth/jwt.h"
#include "fuzz_check.h"
#include "protocol/json_scan.h"

namespace {

using namespace pubsub;
using auth::JwtAlgorithm;
using auth::JwtVerifier;
using auth::TokenError;

constexpr std::string_view kSecret = "fuzz-jwt-secret-0123456789abcdef";  // 32 bytes
constexpr std::string_view kIssuer = "issuer-a";
constexpr std::string_view kAudience = "aud-a";
constexpr std::string_view kApiKey = "fuzz-api-key";
constexpr std::size_t kMaxTokenSize = 8 * 1024;  // jwt.cpp's limit

// --- base64 of our own, to check base64url_decode against

constexpr std::string_view kUrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kPemAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(std::string_view bytes, std::string_view alphabet, bool pad) {
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = static_cast<std::uint8_t>(bytes[i]) << 16 | static_cast<std::uint8_t>(bytes[i + 1]) << 8 |
                            static_cast<std::uint8_t>(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out += alphabet[v >> shift & 63];
  }
  const std::size_t left = bytes.size() - i;
  if (left > 0) {
    std::uint32_t v = static_cast<std::uint8_t>(bytes[i]) << 16;
    if (left == 2) v |= static_cast<std::uint8_t>(bytes[i + 1]) << 8;
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    if (left == 2) out += alphabet[v >> 6 & 63];
    if (pad) out.append(3 - left, '=');
  }
  return out;
}

std::string b64url(std::string_view bytes) { return base64(bytes, kUrlAlphabet, false); }

// Unpadded base64url, refusing any other character and any text that is
// not the one encoding of its bytes (a length of 1 mod 4, stray low bits).
std::optional<std::string> b64url_decode(std::string_view text) {
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    const std::size_t value = kUrlAlphabet.find(c);
    if (value == std::string_view::npos) return std::nullopt;
    bits = bits << 6 | static_cast<std::uint32_t>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>(bits >> count & 0xff);
    }
  }
  if (b64url(out) != text) return std::nullopt;
  return out;
}

void check_base64(std::string_view text) {
  std::string decoded;
  const bool ok = auth::base64url_decode(text, decoded);
  const std::optional<std::string> ours = b64url_decode(text);
  FUZZ_CHECK(ok == ours.has_value());
  if (ok) {
    FUZZ_CHECK(decoded == *ours);
    FUZZ_CHECK(b64url(decoded) == text);
  }
  const std::string encoded = b64url(text);
  FUZZ_CHECK(auth::base64url_decode(encoded, decoded) && decoded == text);
}

// --- keys and signatures

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

std::string public_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  FUZZ_CHECK(bio != nullptr && PEM_write_bio_PUBKEY(bio, key) == 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return pem;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  FUZZ_CHECK(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                  reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &size) != nullptr);
  return std::string(reinterpret_cast<const char*>(mac.data()), size);
}

// An RS256 signature, or an ES256 one as JWS writes it: R || S, 32 bytes each.
std::string sign_with(EVP_PKEY* key, std::string_view data, bool ec) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  FUZZ_CHECK(context != nullptr);
  std::size_t size = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  FUZZ_CHECK(EVP_DigestSignInit(context, nullptr, EVP_sha256(), nullptr, key) == 1);
  FUZZ_CHECK(EVP_DigestSign(context, nullptr, &size, bytes, data.size()) == 1);
  std::string signature(size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(signature.data());
  FUZZ_CHECK(EVP_DigestSign(context, out, &size, bytes, data.size()) == 1);
  EVP_MD_CTX_free(context);
  signature.resize(size);
  if (!ec) return signature;
  const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size()));
  FUZZ_CHECK(sig != nullptr);
  std::string raw(64, '\0');
  auto* r_and_s = reinterpret_cast<unsigned char*>(raw.data());
  FUZZ_CHECK(BN_bn2binpad(ECDSA_SIG_get0_r(sig), r_and_s, 32) == 32);
  FUZZ_CHECK(BN_bn2binpad(ECDSA_SIG_get0_s(sig), r_and_s + 32, 32) == 32);
  ECDSA_SIG_free(sig);
  return raw;
}

// Who signed the token being checked: nobody (the input's own bytes), or
// the fuzzer with one of the keys.
enum class Signer : std::uint8_t { none, hs256, es256, rs256, confused };

// The verifiers and authenticators, built once: they are immutable.
struct Setup {
  Key rsa, ec;
  std::string rsa_pem, ec_pem;
  std::shared_ptr<const JwtVerifier> hs, hs_ruled, rs, es, es_ruled;
  auth::Authenticator open, keys_only, tokens_only, both;

  Setup()
      : rsa(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048))),
        ec(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")) {
    FUZZ_CHECK(rsa && ec);
    rsa_pem = public_pem(rsa.get());
    ec_pem = public_pem(ec.get());
    const auth::JwtRules ruled{std::string(kIssuer), std::string(kAudience)};
    hs = std::make_shared<const JwtVerifier>(JwtVerifier::with_secret(std::string(kSecret), {}));
    hs_ruled = std::make_shared<const JwtVerifier>(JwtVerifier::with_secret(std::string(kSecret), ruled));
    rs = std::make_shared<const JwtVerifier>(JwtVerifier::with_public_key(rsa_pem, {}));
    es = std::make_shared<const JwtVerifier>(JwtVerifier::with_public_key(ec_pem, {}));
    es_ruled = std::make_shared<const JwtVerifier>(JwtVerifier::with_public_key(ec_pem, ruled));
    FUZZ_CHECK(hs->algorithm() == JwtAlgorithm::hs256 && rs->algorithm() == JwtAlgorithm::rs256 &&
               es->algorithm() == JwtAlgorithm::es256 && es_ruled->algorithm() == JwtAlgorithm::es256);
    const std::vector<std::string> keys = {std::string(kApiKey)};
    keys_only = auth::Authenticator(keys, nullptr);
    tokens_only = auth::Authenticator({}, hs);
    both = auth::Authenticator(keys, hs);
  }
};

const Setup& setup() {
  static const Setup s;
  return s;
}

struct Entry {
  const JwtVerifier* verifier;
  std::size_t unruled;  // the index of the same key without rules; its own if it has none
  auth::JwtRules rules;
};

std::vector<Entry> entries() {
  const Setup& s = setup();
  const auth::JwtRules ruled{std::string(kIssuer), std::string(kAudience)};
  return {{s.hs.get(), 0, {}},
          {s.hs_ruled.get(), 0, ruled},
          {s.rs.get(), 2, {}},
          {s.es.get(), 3, {}},
          {s.es_ruled.get(), 3, ruled}};
}

Signer signer_of(JwtAlgorithm algorithm) {
  switch (algorithm) {
    case JwtAlgorithm::hs256: return Signer::hs256;
    case JwtAlgorithm::rs256: return Signer::rs256;
    case JwtAlgorithm::es256: return Signer::es256;
  }
  return Signer::none;
}

// --- identities

struct Members final : protocol::MemberVisitor {
  std::vector<std::pair<std::string, protocol::JsonValue>> list;
  void member(std::string_view raw_key, protocol::JsonValue value) override {
    std::string scratch;
    list.emplace_back(std::string(protocol::decode_key(raw_key, scratch)), value);
  }
  const protocol::JsonValue* find(std::string_view key) const {
    for (const auto& [name, value] : list) {
      if (name == key) return &value;
    }
    return nullptr;
  }
};

// Topics to ask an identity's grants about.
std::vector<std::string> base_probes() {
  return {"orders", "chat.room-1", "chat.", "chat", "other", "", "Ab", "a:b_c-d.e", std::string(255, 'x')};
}

bool same_identity(const auth::Identity& a, const auth::Identity& b, const std::vector<std::string>& probes) {
  if (a.subject != b.subject || a.expires_at != b.expires_at || a.grants.admin != b.grants.admin) return false;
  for (const std::string& topic : probes) {
    if (a.grants.subscribe.matches(topic) != b.grants.subscribe.matches(topic) ||
        a.grants.publish.matches(topic) != b.grants.publish.matches(topic)) {
      return false;
    }
  }
  return true;
}

// What an accepted token must be: three parts of base64url, a header
// naming the verifier's algorithm without `crit`, and a signature the
// verifier's key made: recomputed here for HS256, made by this input for
// the public keys (which the fuzzer cannot otherwise produce).
void check_accepted(const Entry& entry, std::string_view token, std::int64_t now, const auth::Identity& identity,
                    Signer signer) {
  FUZZ_CHECK(identity.expires_at > now);
  FUZZ_CHECK(token.size() <= kMaxTokenSize);
  const std::size_t first = token.find('.');
  FUZZ_CHECK(first != std::string_view::npos);
  const std::size_t second = token.find('.', first + 1);
  FUZZ_CHECK(second != std::string_view::npos && token.find('.', second + 1) == std::string_view::npos);
  const std::optional<std::string> header = b64url_decode(token.substr(0, first));
  const std::optional<std::string> payload = b64url_decode(token.substr(first + 1, second - first - 1));
  const std::optional<std::string> signature = b64url_decode(token.substr(second + 1));
  FUZZ_CHECK(header && payload && signature);
  Members head;
  FUZZ_CHECK(protocol::scan_object(*header, head) == protocol::ObjectScan::ok);
  const protocol::JsonValue* alg = head.find("alg");
  FUZZ_CHECK(alg != nullptr && alg->type == protocol::JsonType::string);
  std::string alg_name;
  FUZZ_CHECK(protocol::decode_json_string(alg->raw.substr(1, alg->raw.size() - 2), alg_name));
  FUZZ_CHECK(alg_name == auth::to_string(entry.verifier->algorithm()));
  FUZZ_CHECK(head.find("crit") == nullptr);
  Members claims;
  FUZZ_CHECK(protocol::scan_object(*payload, claims) == protocol::ObjectScan::ok);
  FUZZ_CHECK(claims.find("exp") != nullptr);
  if (entry.verifier->algorithm() == JwtAlgorithm::hs256) {
    FUZZ_CHECK(alg_name == "HS256");
    FUZZ_CHECK(*signature == hmac_sha256(kSecret, token.substr(0, second)));
  } else {
    FUZZ_CHECK(signer == signer_of(entry.verifier->algorithm()));
  }
}

// Checks `token` with every verifier at each time in `nows`, with the
// checks that hold whatever the token; returns the results, by entry then time.
std::vector<std::vector<auth::TokenCheck>> check_token(const std::vector<Entry>& all, std::string_view token,
                                                       const std::vector<std::int64_t>& nows, Signer signer,
                                                       const std::vector<std::string>& probes) {
  std::vector<std::vector<auth::TokenCheck>> results(all.size());
  for (std::size_t e = 0; e < all.size(); ++e) {
    for (const std::int64_t now : nows) {
      results[e].push_back(all[e].verifier->verify(token, now));
      if (results[e].back().identity) check_accepted(all[e], token, now, *results[e].back().identity, signer);
    }
  }
  for (std::size_t e = 0; e < all.size(); ++e) {
    const Entry& entry = all[e];
    bool expiry_checked = false;
    for (std::size_t t = 0; t < nows.size(); ++t) {
      if (!results[e][t].identity) continue;
      const auth::Identity& identity = *results[e][t].identity;
      // Rules only refuse more.
      if (entry.unruled != e) {
        const auth::TokenCheck& plain = results[entry.unruled][t];
        FUZZ_CHECK(plain.identity && same_identity(*plain.identity, identity, probes));
      } else if (!expiry_checked) {
        // Still valid just before its expiry, expired at it.
        expiry_checked = true;
        const auth::TokenCheck last = entry.verifier->verify(token, identity.expires_at - 1);
        FUZZ_CHECK(last.identity && same_identity(*last.identity, identity, probes));
        const auth::TokenCheck gone = entry.verifier->verify(token, identity.expires_at);
        FUZZ_CHECK(!gone.identity && gone.error == TokenError::expired);
      }
    }
  }
  for (std::size_t t = 0; t < nows.size(); ++t) {
    // A token names one algorithm: the others refuse it for that.
    for (std::size_t e = 0; e < all.size(); ++e) {
      if (!results[e][t].identity) continue;
      for (std::size_t other = 0; other < all.size(); ++other) {
        if (all[other].verifier->algorithm() == all[e].verifier->algorithm()) continue;
        FUZZ_CHECK(!results[other][t].identity && results[other][t].error == TokenError::algorithm);
      }
    }
  }
  for (std::size_t e = 0; e < all.size(); ++e) {
    // Errors found before the claims are read do not depend on the time;
    // neither does the identity.
    const auth::TokenCheck& first = results[e].front();
    for (const auth::TokenCheck& check : results[e]) {
      if (!first.identity && (first.error == TokenError::malformed || first.error == TokenError::algorithm ||
                              first.error == TokenError::signature)) {
        FUZZ_CHECK(!check.identity && check.error == first.error);
      }
      if (first.identity && check.identity) FUZZ_CHECK(same_identity(*first.identity, *check.identity, probes));
    }
  }
  return results;
}

// --- mode 0: the body as a token and as an Authorization header

std::optional<std::string_view> expected_bearer(std::string_view value) {
  if (value.size() < 7) return std::nullopt;
  for (std::size_t i = 0; i < 6; ++i) {
    const char c = value[i];
    if (c != "bearer"[i] && c != "BEARER"[i]) return std::nullopt;
  }
  if (value[6] != ' ') return std::nullopt;
  std::string_view token = value.substr(6);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return token;
}

void check_authenticators(std::string_view body, std::string_view token, std::int64_t now,
                          const auth::TokenCheck& verified, const std::vector<std::string>& probes) {
  const Setup& s = setup();
  FUZZ_CHECK(auth::api_key_matches(kApiKey, body) == (body == kApiKey));

  const auth::Authentication open = s.open.authenticate({body, token}, now);
  FUZZ_CHECK(open.accepted && !open.identity);
  const auth::Authentication no_tokens = s.keys_only.authenticate({std::nullopt, token}, now);
  FUZZ_CHECK(!no_tokens.accepted && !no_tokens.refusal.empty());
  const auth::Authentication key = s.keys_only.authenticate({body, std::nullopt}, now);
  FUZZ_CHECK(key.accepted == (body == kApiKey) && !key.identity);
  const auth::Authentication nothing = s.both.authenticate({}, now);
  FUZZ_CHECK(!nothing.accepted && !nothing.refusal.empty());

  const auto agrees = [&](const auth::Authentication& result) {
    FUZZ_CHECK(result.accepted == verified.identity.has_value());
    if (result.accepted) {
      FUZZ_CHECK(result.identity && same_identity(*result.identity, *verified.identity, probes));
    } else {
      FUZZ_CHECK(!result.identity && result.refusal == auth::describe(verified.error));
    }
  };
  agrees(s.tokens_only.authenticate({std::nullopt, token}, now));
  const auth::Authentication with_key = s.both.authenticate({body, token}, now);
  if (body == kApiKey) {
    FUZZ_CHECK(with_key.accepted && !with_key.identity);
  } else {
    agrees(with_key);
  }
}

void token_mode(std::string_view body, const std::vector<std::int64_t>& nows) {
  const std::vector<Entry> all = entries();
  const std::vector<std::string> probes = base_probes();
  for (std::size_t start = 0, dot; start <= body.size(); start = dot + 1) {
    dot = std::min(body.find('.', start), body.size());
    check_base64(body.substr(start, dot - start));
  }
  check_token(all, body, nows, Signer::none, probes);

  const std::optional<std::string_view> token = auth::bearer_token(body);
  const std::optional<std::string_view> expected = expected_bearer(body);
  FUZZ_CHECK(token.has_value() == expected.has_value());
  if (!token) return;
  FUZZ_CHECK(token->data() == expected->data() && token->size() == expected->size());
  const auto results = check_token(all, *token, nows, Signer::none, probes);
  check_authenticators(body, *token, nows.front(), results.front().front(), probes);
}

// --- mode 1: a claims set signed by the fuzzer

// The header variants; `alg` is the signer's algorithm.
std::string make_header(unsigned variant, std::string_view alg) {
  switch (variant) {
    case 0: return R"({"alg":")" + std::string(alg) + R"(","typ":"JWT"})";
    case 1: return R"({"alg":")" + std::string(alg) + R"("})";
    case 2: return R"({"typ":"JWT","kid":"key-1","alg":")" + std::string(alg) + R"("})";
    case 3: return R"({"alg":")" + std::string(alg) + R"(","crit":["exp"]})";
    case 4: return R"({"alg":"none","typ":"JWT"})";
    case 5: return alg == "HS256" ? R"({"alg":"RS256"})" : R"({"alg":"HS256"})";
    default: {
      // The first letter escaped: the same name once decoded.
      static constexpr char kHex[] = "0123456789ABCDEF";
      const auto first = static_cast<unsigned char>(alg.front());
      return std::string(R"({"alg":"\u00)") + kHex[first >> 4] + kHex[first & 15] + std::string(alg.substr(1)) +
             R"("})";
    }
  }
}

std::string sign(Signer signer, std::string_view signing_input, bool ec_pem) {
  const Setup& s = setup();
  switch (signer) {
    case Signer::hs256: return hmac_sha256(kSecret, signing_input);
    case Signer::es256: return sign_with(s.ec.get(), signing_input, true);
    case Signer::rs256: return sign_with(s.rsa.get(), signing_input, false);
    case Signer::confused: return hmac_sha256(ec_pem ? s.ec_pem : s.rsa_pem, signing_input);
    case Signer::none: break;
  }
  return {};
}

void signed_mode(std::uint8_t flags, std::string_view body, const std::vector<std::int64_t>& nows) {
  static constexpr Signer kSigners[] = {Signer::hs256, Signer::es256, Signer::rs256, Signer::confused};
  const Signer signer = kSigners[flags >> 2 & 3];
  const bool ec_pem = (flags & 128) != 0;
  std::string_view alg = "RS256";
  if (signer == Signer::hs256) alg = "HS256";
  if (signer == Signer::es256 || (signer == Signer::confused && ec_pem)) alg = "ES256";
  const unsigned variant = flags >> 4 & 7;
  std::string header;
  std::string_view claims = body;
  if (variant == 7) {
    const std::size_t newline = body.find('\n');
    header = body.substr(0, newline);
    claims = newline == std::string_view::npos ? std::string_view{} : body.substr(newline + 1);
  } else {
    header = make_header(variant, alg);
  }
  const std::string signing_input = b64url(header) + "." + b64url(claims);
  // `alg: none` goes with an empty signature, as an attacker would send it.
  const std::string signature = variant == 4 ? std::string() : sign(signer, signing_input, ec_pem);
  const std::string token = signing_input + "." + b64url(signature);

  const std::vector<Entry> all = entries();
  const auto results = check_token(all, token, nows, signer, base_probes());
  for (std::size_t e = 0; e < all.size(); ++e) {
    if (signer == Signer::confused) FUZZ_CHECK(!results[e].front().identity);
    if (signer_of(all[e].verifier->algorithm()) != signer || token.size() > kMaxTokenSize) continue;
    for (const auth::TokenCheck& check : results[e]) {
      if (variant == 3 || variant == 4 || variant == 5) {
        FUZZ_CHECK(!check.identity && check.error == TokenError::algorithm);
      } else if (variant != 7 && !check.identity) {
        FUZZ_CHECK(check.error != TokenError::algorithm && check.error != TokenError::signature);
      }
    }
  }
}

// --- mode 2: modelled claims

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  std::uint8_t byte() {
    if (data_.empty()) return 0;
    const auto b = static_cast<std::uint8_t>(data_.front());
    data_.remove_prefix(1);
    return b;
  }
  std::int16_t int16() {
    const std::uint16_t low = byte();
    return static_cast<std::int16_t>(low | static_cast<std::uint16_t>(byte()) << 8);
  }

 private:
  std::string_view data_;
};

// A NumericDate as written, whether jwt.cpp must take it, and its value
// rounded down.
struct Date {
  std::string text;
  bool valid = true;
  std::int64_t value = 0;
};

constexpr std::int64_t kMaxDate = 1'000'000'000'000'000;  // 1e15, jwt.cpp's bound: a date beyond it is it

struct Spelled {
  std::string_view text;
  bool valid;
  std::int64_t value;
};
constexpr Spelled kSpelled[] = {
    {"1e15", true, kMaxDate},
    {"-1e15", true, -kMaxDate},
    {"1000000000000001", true, kMaxDate},
    {"1e16", true, kMaxDate},
    {"-0", true, 0},
    {"0.5e1", true, 5},
    {"1E3", true, 1000},
    {"1.5E+2", true, 150},
    {"123456789012.99", true, 123456789012},
    {"-0.5", true, -1},
    {"0.000001", true, 0},
    {"4102444800", true, 4102444800},
    {"99999999999999999999", true, kMaxDate},
    {"9223372036854775807", true, kMaxDate},
    {"1e400", true, kMaxDate},
    {"-1e400", true, -kMaxDate},
    {"1e-400", true, 0},
    {"-1e308", true, -kMaxDate},
};
constexpr std::string_view kNotNumbers[] = {R"("1700000000")", "null", "true", "[1]", "{}"};

Date make_date(Reader& r, std::int64_t now, unsigned kind) {
  Date date;
  const std::int64_t value = now + r.int16();
  switch (kind) {
    case 1:
      date.text = std::to_string(value);
      date.value = std::clamp(value, -kMaxDate, kMaxDate);
      break;
    case 2:
      // value + 0.75, whose floor is value.
      date.text = value >= 0 ? std::to_string(value) + ".75" : "-" + std::to_string(-value - 1) + ".25";
      date.value = std::clamp(value, -kMaxDate, kMaxDate);
      break;
    case 3: {
      const Spelled& spelled = kSpelled[r.byte() % std::size(kSpelled)];
      date.text = spelled.text;
      date.valid = spelled.valid;
      date.value = spelled.value;
      break;
    }
    default:
      date.text = kNotNumbers[r.byte() % std::size(kNotNumbers)];
      date.valid = false;
      break;
  }
  return date;
}

struct Pattern {
  std::string_view json;                  // as written in the list
  std::optional<std::string_view> valid;  // its text, if TopicPatterns must take it
};
const std::vector<Pattern>& patterns() {
  static const std::string longest(255, 'x');
  static const std::string too_long(256, 'x');
  static const std::string long_prefix = std::string(254, 'x') + "*";
  static const std::string too_long_prefix = std::string(255, 'x') + "*";
  static const std::string quoted[] = {'"' + longest + '"', '"' + too_long + '"', '"' + long_prefix + '"',
                                       '"' + too_long_prefix + '"'};
  static const std::vector<Pattern> all = {
      {R"("orders")", "orders"},
      {R"("chat.*")", "chat.*"},
      {R"("*")", "*"},
      {R"("a:b_c-d.e")", "a:b_c-d.e"},
      {R"("\u0041b")", "Ab"},
      {R"("bad name")", std::nullopt},
      {R"("a*b")", std::nullopt},
      {R"("**")", std::nullopt},
      {R"("")", std::nullopt},
      {R"("caf\u00e9")", std::nullopt},
      {"123", std::nullopt},
      {"null", std::nullopt},
      {quoted[0], longest},
      {quoted[1], std::nullopt},
      {quoted[2], long_prefix},
      {quoted[3], std::nullopt},
  };
  return all;
}

bool pattern_matches(std::string_view pattern, std::string_view topic) {
  if (pattern.ends_with('*')) return topic.starts_with(pattern.substr(0, pattern.size() - 1));
  return pattern == topic;
}

// A claims set and what the verifier must make of it.
struct Claims {
  std::string json;
  bool malformed = false;  // a member given twice
  bool bad = false;        // TokenError::claims
  std::optional<std::int64_t> exp, nbf;
  std::optional<std::string> iss;
  std::optional<std::vector<std::string>> aud;
  std::string subject;
  std::vector<std::string> subscribe, publish;
  bool admin = false;
};

// Writes a pattern list of up to 3 patterns into `json`; false if any is invalid.
bool pattern_list(Reader& r, std::string& json, std::vector<std::string>& valid) {
  const unsigned count = r.byte() % 4;
  bool ok = true;
  json += '[';
  for (unsigned i = 0; i < count; ++i) {
    const Pattern& pattern = patterns()[r.byte() % patterns().size()];
    if (i > 0) json += ',';
    json += pattern.json;
    if (pattern.valid) {
      valid.emplace_back(*pattern.valid);
    } else {
      ok = false;
    }
  }
  json += ']';
  return ok;
}

Claims make_claims(Reader& r, std::int64_t now) {
  Claims c;
  std::vector<std::string> members;

  const unsigned exp_kind = r.byte() % 8;
  if (exp_kind == 0) {
    c.bad = true;
  } else {
    const Date exp = make_date(r, now, exp_kind > 4 ? 1 : exp_kind);
    members.push_back(R"("exp":)" + exp.text);
    if (exp.valid) {
      c.exp = exp.value;
    } else {
      c.bad = true;
    }
  }

  if (const unsigned nbf_kind = r.byte() % 8; nbf_kind >= 1 && nbf_kind <= 4) {
    const Date nbf = make_date(r, now, nbf_kind);
    members.push_back(R"("nbf":)" + nbf.text);
    if (nbf.valid) {
      c.nbf = nbf.value;
    } else {
      c.bad = true;
    }
  }

  switch (r.byte() % 8) {
    case 1: members.push_back(R"("iss":"issuer-a")"), c.iss = "issuer-a"; break;
    case 2: members.push_back(R"("iss":"issuer-b")"), c.iss = "issuer-b"; break;
    case 3: members.push_back(R"("iss":"issuer-\u0061")"), c.iss = "issuer-a"; break;
    case 4: members.push_back(R"("iss":1)"), c.bad = true; break;
    case 5: members.push_back(R"("iss":"")"), c.iss = ""; break;
    default: break;
  }

  static constexpr std::pair<std::string_view, std::string_view> kAudiences[] = {
      {R"("aud-a")", "aud-a"}, {R"("aud-b")", "aud-b"}, {R"("\u0061ud-a")", "aud-a"}};
  switch (r.byte() % 8) {
    case 1: members.push_back(R"("aud":"aud-a")"), c.aud = {"aud-a"}; break;
    case 2: members.push_back(R"("aud":"aud-b")"), c.aud = {"aud-b"}; break;
    case 3: {
      std::string list = R"("aud":[)";
      c.aud.emplace();
      for (unsigned i = 0, n = r.byte() % 4; i < n; ++i) {
        const auto& [json, text] = kAudiences[r.byte() % std::size(kAudiences)];
        list += (i > 0 ? "," : "") + std::string(json);
        c.aud->emplace_back(text);
      }
      members.push_back(list + "]");
      break;
    }
    case 4: members.push_back(R"("aud":7)"), c.bad = true; break;
    case 5: members.push_back(R"("aud":["aud-a",1])"), c.bad = true; break;
    case 6: members.push_back(R"("aud":[])"), c.aud.emplace(); break;
    default: break;
  }

  switch (r.byte() % 4) {
    case 1: {
      for (unsigned i = 0, n = r.byte() % 16; i < n; ++i) c.subject += static_cast<char>(r.byte() & 0x7f);
      std::string member = R"("sub":)";
      protocol::append_json_string(member, c.subject);
      members.push_back(member);
      break;
    }
    case 2: members.push_back(R"("sub":42)"), c.bad = true; break;
    default: break;
  }

  switch (const unsigned kind = r.byte() % 8; kind) {
    case 1:
    case 2:
    case 3:
    case 4: {
      const unsigned parts = r.byte();
      std::string object = R"("pubsub":{)";
      const char* comma = "";
      if (parts & 1) {
        object += R"("subscribe":)";
        c.bad |= !pattern_list(r, object, c.subscribe);
        comma = ",";
      }
      if (parts & 2) {
        object += comma + std::string(R"("publish":)");
        c.bad |= !pattern_list(r, object, c.publish);
        comma = ",";
      }
      if (parts & 4) {
        c.admin = (parts & 8) != 0;
        object += comma + std::string(R"("admin":)") + (c.admin ? "true" : "false");
        comma = ",";
      }
      if (parts & 16) object += comma + std::string(R"("other":{"admin":"ignored"})");
      members.push_back(object + "}");
      break;
    }
    case 5: members.push_back(R"("pubsub":["orders"])"), c.bad = true; break;
    case 6:
      members.push_back(r.byte() & 1 ? R"("pubsub":{"admin":"yes"})" : R"("pubsub":{"admin":true,"admin":false})");
      c.bad = true;
      break;
    default: break;
  }

  switch (r.byte() % 4) {
    case 1: members.push_back(R"("jti":"id-1")"); break;
    case 2: members.push_back(R"("x":[{"y":null},-1.5e-3,"\ud83d\ude00"])"); break;
    case 3:
      // Any member twice makes the claims malformed.
      members.push_back(R"("zz":1)");
      members.push_back(R"("zz":2)");
      c.malformed = true;
      break;
    default: break;
  }

  if (!members.empty()) std::rotate(members.begin(), members.begin() + r.byte() % members.size(), members.end());
  static constexpr std::string_view kSeparators[] = {",", ", ", "\n\t,\r\n"};
  const std::string_view separator = kSeparators[r.byte() % std::size(kSeparators)];
  c.json = "{";
  for (std::size_t i = 0; i < members.size(); ++i) c.json += (i > 0 ? std::string(separator) : "") + members[i];
  c.json += "}";
  return c;
}

void modelled_mode(std::uint8_t flags, std::string_view body, const std::vector<std::int64_t>& nows) {
  Reader r(body);
  const Claims c = make_claims(r, nows.front());
  const Signer signer = flags & 4 ? Signer::es256 : Signer::hs256;
  const std::string header =
      signer == Signer::es256 ? R"({"alg":"ES256","typ":"JWT"})" : R"({"alg":"HS256","typ":"JWT"})";
  const std::string signing_input = b64url(header) + "." + b64url(c.json);
  const std::string token = signing_input + "." + b64url(sign(signer, signing_input, false));

  std::vector<std::string> probes = base_probes();
  for (const auto* list : {&c.subscribe, &c.publish}) {
    for (const std::string& pattern : *list) {
      const std::string prefix = pattern.ends_with('*') ? pattern.substr(0, pattern.size() - 1) : pattern;
      probes.push_back(prefix);
      probes.push_back(prefix + "z");
      if (!prefix.empty()) probes.push_back(prefix.substr(0, prefix.size() - 1));
    }
  }

  const std::vector<Entry> all = entries();
  const auto results = check_token(all, token, nows, signer, probes);
  for (std::size_t e = 0; e < all.size(); ++e) {
    if (signer_of(all[e].verifier->algorithm()) != signer) continue;
    const auth::JwtRules& rules = all[e].rules;
    for (std::size_t t = 0; t < nows.size(); ++t) {
      const std::int64_t now = nows[t];
      const auth::TokenCheck& check = results[e][t];
      std::vector<TokenError> errors;
      if (c.malformed) errors.push_back(TokenError::malformed);
      if (c.bad) errors.push_back(TokenError::claims);
      if (c.exp && now >= *c.exp + auth::kClockSkewSeconds) errors.push_back(TokenError::expired);
      if (c.nbf && now + auth::kClockSkewSeconds < *c.nbf) errors.push_back(TokenError::not_yet_valid);
      if (!rules.issuer.empty() && c.iss != rules.issuer) errors.push_back(TokenError::issuer);
      if (!rules.audience.empty() &&
          (!c.aud || std::find(c.aud->begin(), c.aud->end(), rules.audience) == c.aud->end())) {
        errors.push_back(TokenError::audience);
      }
      if (!errors.empty()) {
        FUZZ_CHECK(!check.identity);
        FUZZ_CHECK(std::find(errors.begin(), errors.end(), check.error) != errors.end());
        continue;
      }
      FUZZ_CHECK(check.identity.has_value());
      const auth::Identity& identity = *check.identity;
      FUZZ_CHECK(identity.subject == c.subject);
      FUZZ_CHECK(identity.expires_at == *c.exp + auth::kClockSkewSeconds);
      FUZZ_CHECK(identity.grants.admin == c.admin);
      for (const std::string& topic : probes) {
        const auto granted = [&topic](const std::vector<std::string>& list) {
          return std::any_of(list.begin(), list.end(),
                             [&topic](const std::string& pattern) { return pattern_matches(pattern, topic); });
        };
        FUZZ_CHECK(identity.grants.subscribe.matches(topic) == granted(c.subscribe));
        FUZZ_CHECK(identity.grants.publish.matches(topic) == granted(c.publish));
        FUZZ_CHECK(auth::may_subscribe(&identity, topic) == granted(c.subscribe));
        FUZZ_CHECK(auth::may_publish(&identity, topic) == granted(c.publish));
      }
      FUZZ_CHECK(auth::may_administer(&identity) == c.admin);
    }
  }
}

// --- mode 3: public keys

void key_mode(std::uint8_t flags, std::string_view body) {
  std::string pem(body);
  if (flags & 4) {
    pem = "-----BEGIN PUBLIC KEY-----\n";
    const std::string text = base64(body, kPemAlphabet, true);
    for (std::size_t i = 0; i < text.size(); i += 64) pem += text.substr(i, 64) + "\n";
    pem += "-----END PUBLIC KEY-----\n";
  }
  try {
    const JwtVerifier verifier = JwtVerifier::with_public_key(pem, {});
    FUZZ_CHECK(verifier.algorithm() == JwtAlgorithm::rs256 || verifier.algorithm() == JwtAlgorithm::es256);
    // A key the fuzzer holds no private half of accepts nothing it signed.
    const std::string input = b64url(R"({"alg":")" + std::string(auth::to_string(verifier.algorithm())) + R"("})") +
                              "." + b64url(R"({"exp":4102444800})");
    const auth::TokenCheck check = verifier.verify(input + "." + b64url(hmac_sha256(pem, input)), 0);
    FUZZ_CHECK(!check.identity && check.error == TokenError::signature);
  } catch (const std::invalid_argument&) {
    // Not an RSA key of 2048 bits or more, nor an EC key on P-256.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader head(std::string_view(reinterpret_cast<const char*>(data), std::min<std::size_t>(size, 11)));
  const std::uint8_t flags = head.byte();
  std::uint64_t raw_now = 0;
  for (int i = 0; i < 8; ++i) raw_now |= static_cast<std::uint64_t>(head.byte()) << (8 * i);
  const std::int64_t now = static_cast<std::int64_t>(raw_now) % (std::int64_t{1} << 51);
  const std::vector<std::int64_t> nows = {now, now + head.int16()};
  const std::string_view body =
      size > 11 ? std::string_view(reinterpret_cast<const char*>(data) + 11, size - 11) : std::string_view{};

  check_base64(body);
  switch (flags & 3) {
    case 0: token_mode(body, nows); break;
    case 1: signed_mode(flags, body, nows); break;
    case 2: modelled_mode(flags, body, nows); break;
    default: key_mode(flags, body); break;
  }
  return 0;
}
