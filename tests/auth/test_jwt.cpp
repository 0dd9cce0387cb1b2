// Unit tests of the JWT verifier (auth/jwt.h): the three algorithms, the
// claims and their clock skew, and the attacks section 11 must refuse.
#include "auth/jwt.h"

#include <catch2/catch_test_macros.hpp>

#include "support/jwt_signer.h"

using namespace pubsub;
using auth::JwtVerifier;
using auth::TokenError;
using testing::base64url;
using testing::hs256_token;
using testing::KeyPair;

namespace {

const std::string kSecret = "a-test-secret-of-at-least-32-bytes!!";
constexpr std::int64_t kNow = 1'800'000'000;

std::string claims(const std::string& more = {}) {
  return R"({"sub":"alice","exp":)" + std::to_string(kNow + 600) + more + "}";
}

std::optional<TokenError> error_of(const JwtVerifier& verifier, const std::string& token, std::int64_t now = kNow) {
  const auth::TokenCheck check = verifier.verify(token, now);
  if (check.identity) return std::nullopt;
  return check.error;
}

}  // namespace

TEST_CASE("HS256: a valid token gives its subject, expiry and grants") {
  const JwtVerifier verifier = JwtVerifier::with_secret(kSecret, {});
  const std::string token = hs256_token(
      kSecret, claims(R"(,"pubsub":{"subscribe":["chat.*","news"],"publish":["chat.room1"],"admin":true})"));
  const auth::TokenCheck check = verifier.verify(token, kNow);
  REQUIRE(check.identity);
  CHECK(check.identity->subject == "alice");
  CHECK(check.identity->expires_at == kNow + 600 + auth::kClockSkewSeconds);
  const auth::Grants& grants = check.identity->grants;
  CHECK(grants.admin);
  CHECK(grants.subscribe.matches("chat.room1"));
  CHECK(grants.subscribe.matches("news"));
  CHECK_FALSE(grants.subscribe.matches("newsroom"));
  CHECK(grants.publish.matches("chat.room1"));
  CHECK_FALSE(grants.publish.matches("chat.room2"));
}

TEST_CASE("a token without the pubsub claim grants nothing") {
  const JwtVerifier verifier = JwtVerifier::with_secret(kSecret, {});
  const auth::TokenCheck check = verifier.verify(hs256_token(kSecret, claims()), kNow);
  REQUIRE(check.identity);
  CHECK(check.identity->grants.subscribe.empty());
  CHECK(check.identity->grants.publish.empty());
  CHECK_FALSE(check.identity->grants.admin);
}

TEST_CASE("RS256 and ES256 verify with the public key; the key's type sets the algorithm") {
  const KeyPair rsa = KeyPair::rsa();
  const KeyPair ec = KeyPair::ec_p256();
  const JwtVerifier rs = JwtVerifier::with_public_key(rsa.public_pem(), {});
  const JwtVerifier es = JwtVerifier::with_public_key(ec.public_pem(), {});
  CHECK(rs.algorithm() == auth::JwtAlgorithm::rs256);
  CHECK(es.algorithm() == auth::JwtAlgorithm::es256);
  CHECK_FALSE(error_of(rs, rsa.token(claims())));
  CHECK_FALSE(error_of(es, ec.token(claims())));
  // Another key of the same type does not verify.
  CHECK(error_of(rs, KeyPair::rsa().token(claims())) == TokenError::signature);
  CHECK(error_of(es, KeyPair::ec_p256().token(claims())) == TokenError::signature);
  // A token of the other algorithm is refused on its header.
  CHECK(error_of(rs, ec.token(claims())) == TokenError::algorithm);
  CHECK(error_of(es, rsa.token(claims())) == TokenError::algorithm);
}

TEST_CASE("alg none is never accepted, with or without a signature") {
  const JwtVerifier verifier = JwtVerifier::with_secret(kSecret, {});
  const std::string unsigned_token = testing::signing_input(R"({"alg":"none"})", claims()) + ".";
  CHECK(error_of(verifier, unsigned_token) == TokenError::algorithm);
  const std::string input = testing::signing_input(R"({"alg":"none"})", claims());
  CHECK(error_of(verifier, input + "." + base64url(testing::hmac_sha256(kSecret, input))) == TokenError::algorithm);
  const KeyPair rsa = KeyPair::rsa();
  CHECK(error_of(JwtVerifier::with_public_key(rsa.public_pem(), {}), unsigned_token) == TokenError::algorithm);
}

TEST_CASE("key confusion: an HS256 token whose secret is the RSA public key is refused") {
  const KeyPair rsa = KeyPair::rsa();
  const JwtVerifier verifier = JwtVerifier::with_public_key(rsa.public_pem(), {});
  CHECK(error_of(verifier, hs256_token(rsa.public_pem(), claims())) == TokenError::algorithm);
}

TEST_CASE("a tampered payload or header fails the signature") {
  const JwtVerifier verifier = JwtVerifier::with_secret(kSecret, {});
  const std::string token = hs256_token(kSecret, claims(R"(,"pubsub":{"admin":false})"));
  const auto dot = token.find('.');
  const auto last = token.rfind('.');
  const std::string forged =
      token.substr(0, dot + 1) + base64url(claims(R"(,"pubsub":{"admin":true})")) + token.substr(last);
  CHECK(error_of(verifier, forged) == TokenError::signature);
  std::string flipped = token;
  flipped[last + 3] = flipped[last + 3] == 'A' ? 'B' : 'A';
  CHECK(error_of(verifier, flipped) == TokenError::signature);
  CHECK(error_of(verifier, token.substr(0, last + 1)) == TokenError::signature);
  CHECK(error_of(verifier, hs256_token("another-secret-of-at-least-32-bytes!", claims())) == TokenError::signature);
}

TEST_CASE("exp is required and has 60 s of skew; nbf has it too") {
  const JwtVerifier verifier = JwtVerifier::with_secret(kSecret, {});
  CHECK(error_of(verifier, hs256_token(kSecret, R"({"sub":"a"})")) == TokenError::claims);
  CHECK(error_of(verifier, hs256_token(kSecret, R"({"exp":"soon"})")) == TokenError::claims);
  const auto with_exp = [&](std::int64_t exp) {
    return hs256_token(kSecret, R"({"exp":)" + std::to_string(exp) + "}");
  };
  CHECK_FALSE(error_of(verifier, with_exp(kNow - 59)));
  CHECK(error_of(verifier, with_exp(kNow - 60)) == TokenError::expired);
  CHECK(error_of(verifier, with_exp(kNow - 3600)) == TokenError::expired);
  CHECK_FALSE(error_of(verifier, hs256_token(kSecret, R"({"exp":)" + std::to_string(kNow) + ".5}")));
  const auto with_nbf = [&](std::int64_t nbf) {
    return hs256_token(kSecret, claims(",\"nbf\":" + std::to_string(nbf)));
  };
  CHECK_FALSE(error_of(verifier, with_nbf(kNow + 60)));
  CHECK(error_of(verifier, with_nbf(kNow + 61)) == TokenError::not_yet_valid);
  CHECK(error_of(verifier, hs256_token(kSecret, claims(R"(,"nbf":null)"))) == TokenError::claims);
}

TEST_CASE("an exp or nbf too far for a double's integers, or for a double, is that far, not invalid") {
  const JwtVerifier verifier = JwtVerifier::with_secret(kSecret, {});
  const auto check_exp = [&](std::string exp) {
    return verifier.verify(hs256_token(kSecret, R"({"exp":)" + exp + "}"), kNow);
  };
  constexpr std::int64_t kFar = 1'000'000'000'000'000;  // 1e15 s
  for (std::string far :
       {"9007199254740993", "9223372036854775807", "99999999999999999999999", "1e18", "1e400", "1E+400", "2.5e300"}) {
    CAPTURE(far);
    const auto check = check_exp(far);
    REQUIRE(check.identity);
    CHECK(check.identity->expires_at == kFar + auth::kClockSkewSeconds);
  }
  for (std::string past : {"-9223372036854775808", "-1e18", "-1e400", "1e-400", "-1e-400", "0"}) {
    CAPTURE(past);
    CHECK(check_exp(past).error == TokenError::expired);
  }
  CHECK(error_of(verifier, hs256_token(kSecret, claims(R"(,"nbf":1e400)"))) == TokenError::not_yet_valid);
  CHECK(error_of(verifier, hs256_token(kSecret, claims(R"(,"nbf":9223372036854775807)"))) == TokenError::not_yet_valid);
  CHECK_FALSE(error_of(verifier, hs256_token(kSecret, claims(R"(,"nbf":-1e400)"))));
}

TEST_CASE("iss and aud must match when configured; aud may be a list") {
  const JwtVerifier verifier = JwtVerifier::with_secret(kSecret, {"https://issuer.example", "pubsub"});
  CHECK_FALSE(error_of(verifier, hs256_token(kSecret, claims(R"(,"iss":"https://issuer.example","aud":"pubsub")"))));
  CHECK_FALSE(
      error_of(verifier, hs256_token(kSecret, claims(R"(,"iss":"https://issuer.example","aud":["other","pubsub"])"))));
  CHECK(error_of(verifier, hs256_token(kSecret, claims(R"(,"iss":"https://issuer.example","aud":"other")"))) ==
        TokenError::audience);
  CHECK(error_of(verifier, hs256_token(kSecret, claims(R"(,"iss":"https://issuer.example")"))) == TokenError::audience);
  CHECK(error_of(verifier, hs256_token(kSecret, claims(R"(,"iss":"https://evil.example","aud":"pubsub")"))) ==
        TokenError::issuer);
  CHECK(error_of(verifier, hs256_token(kSecret, claims(R"(,"aud":"pubsub")"))) == TokenError::issuer);
  const JwtVerifier open = JwtVerifier::with_secret(kSecret, {});
  CHECK_FALSE(error_of(open, hs256_token(kSecret, claims(R"(,"iss":"anyone","aud":"anything")"))));
  CHECK(error_of(open, hs256_token(kSecret, claims(R"(,"aud":[1])"))) == TokenError::claims);
}

TEST_CASE("grants of the wrong shape make the token invalid") {
  const JwtVerifier verifier = JwtVerifier::with_secret(kSecret, {});
  for (const char* bad : {R"(,"pubsub":{"subscribe":"chat.*"})", R"(,"pubsub":{"publish":[1]})",
                          R"(,"pubsub":{"admin":"yes"})", R"(,"pubsub":[])", R"(,"pubsub":{"subscribe":["a*b"]})",
                          R"(,"pubsub":{"subscribe":["*x"]})", R"(,"pubsub":{"subscribe":[""]})"}) {
    INFO(bad);
    CHECK(error_of(verifier, hs256_token(kSecret, claims(bad))) == TokenError::claims);
  }
  CHECK(error_of(verifier, hs256_token(kSecret, R"({"sub":5,"exp":)" + std::to_string(kNow + 60) + "}")) ==
        TokenError::claims);
}

TEST_CASE("malformed tokens are refused before any signature work") {
  const JwtVerifier verifier = JwtVerifier::with_secret(kSecret, {});
  const std::string good = hs256_token(kSecret, claims());
  for (const std::string& bad :
       {std::string(), std::string("abc"), std::string("a.b"), good + ".x", std::string(".."), good + "=",
        "e30." + base64url(claims()) + ".", base64url("not json") + "." + base64url(claims()) + ".AAAA",
        std::string(9000, 'a') + "." + base64url(claims()) + ".AAAA"}) {
    INFO(bad.substr(0, 80));
    const auto error = error_of(verifier, bad);
    REQUIRE(error);
    CHECK((*error == TokenError::malformed || *error == TokenError::algorithm));
  }
  // Duplicate claims and crit are refused rather than guessed at.
  CHECK(error_of(verifier, hs256_token(kSecret, claims(R"(,"exp":99999999999)"))) == TokenError::malformed);
  const std::string input = testing::signing_input(R"({"alg":"HS256","crit":["x"],"x":1})", claims());
  CHECK(error_of(verifier, input + "." + base64url(testing::hmac_sha256(kSecret, input))) == TokenError::algorithm);
}

TEST_CASE("base64url decoding is strict") {
  std::string out;
  CHECK(auth::base64url_decode("aGVsbG8", out));
  CHECK(out == "hello");
  CHECK(auth::base64url_decode("", out));
  CHECK(out.empty());
  CHECK(auth::base64url_decode("-_8", out));
  CHECK(out == "\xfb\xff");
  CHECK_FALSE(auth::base64url_decode("aGVsbG8=", out));  // padding
  CHECK_FALSE(auth::base64url_decode("aGVs+G8", out));   // the standard alphabet
  CHECK_FALSE(auth::base64url_decode("a", out));         // a length no bytes have
  CHECK_FALSE(auth::base64url_decode("aGVsbG9", out));   // non-zero bits left over
}

TEST_CASE("public keys must be RSA of 2048 bits or more, or EC on P-256") {
  CHECK_THROWS_AS(JwtVerifier::with_public_key("not a key", {}), std::invalid_argument);
  CHECK_THROWS_AS(JwtVerifier::with_public_key(KeyPair::rsa(1024).public_pem(), {}), std::invalid_argument);
}
