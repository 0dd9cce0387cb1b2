// Unit tests of credentials and grants (auth/authenticator.h,
// auth/topic_patterns.h): API keys, bearer headers, what a token's holder
// may do.
#include "auth/authenticator.h"

#include <catch2/catch_test_macros.hpp>

#include "support/jwt_signer.h"

using namespace pubsub;
using auth::Authenticator;

namespace {

const std::string kSecret = "a-test-secret-of-at-least-32-bytes!!";

std::shared_ptr<const auth::JwtVerifier> hs256() {
  return std::make_shared<const auth::JwtVerifier>(auth::JwtVerifier::with_secret(kSecret, {}));
}

std::string token(const std::string& grants) {
  return testing::hs256_token(
      kSecret, R"({"sub":"bob","exp":)" + std::to_string(testing::now_seconds() + 60) + R"(,"pubsub":)" + grants + "}");
}

}  // namespace

TEST_CASE("a token memory: the remembered token is accepted without a new check until it expires") {
  const Authenticator tokens({}, hs256());
  const std::int64_t now = testing::now_seconds();
  auth::TokenMemory memory;
  const std::string t = token(R"({"subscribe":["chat.*"]})");
  auth::Authentication first = tokens.authenticate({std::nullopt, t}, now, &memory);
  REQUIRE(first.accepted);
  CHECK(first.identity == nullptr);  // kept by the memory instead
  REQUIRE(first.holder() != nullptr);
  CHECK(first.holder()->subject == "bob");
  CHECK(auth::may_subscribe(first.holder(), "chat.a"));
  CHECK(memory.recall(t, now) == first.holder());
  // The same token again is the remembered holder, not a new one.
  CHECK(tokens.authenticate({std::nullopt, t}, now, &memory).holder() == first.holder());
  // Another token is checked: a forged one is refused, and forgets nothing.
  CHECK_FALSE(tokens.authenticate({std::nullopt, t + "x"}, now, &memory).accepted);
  CHECK(memory.recall(t, now) != nullptr);
  // Past its expiry (exp + the skew) the token is checked again, and refused.
  const std::int64_t expires_at = first.holder()->expires_at;
  CHECK(memory.recall(t, expires_at - 1) != nullptr);
  CHECK(memory.recall(t, expires_at) == nullptr);
  const auth::Authentication late = tokens.authenticate({std::nullopt, t}, expires_at, &memory);
  CHECK_FALSE(late.accepted);
  CHECK(late.refusal == auth::describe(auth::TokenError::expired));
  // What is recalled is decided by the memory alone: a string it holds is
  // accepted without a signature check, which is why only a verified token
  // is ever remembered.
  auth::Identity holder;
  holder.subject = "carol";
  holder.expires_at = now + 10;
  memory.remember("not-a-jwt", holder);
  CHECK(tokens.authenticate({std::nullopt, "not-a-jwt"}, now, &memory).holder()->subject == "carol");
  CHECK(memory.recall(t, now) == nullptr);
  CHECK_FALSE(tokens.authenticate({std::nullopt, "not-a-jwt"}, now).accepted);
}

TEST_CASE("patterns: a name matches itself; a prefix and * match what starts with the prefix") {
  auth::TopicPatterns patterns;
  REQUIRE(patterns.add("chat.*"));
  REQUIRE(patterns.add("news"));
  CHECK(patterns.matches("chat.room1"));
  CHECK(patterns.matches("chat."));
  CHECK_FALSE(patterns.matches("chatroom"));
  CHECK_FALSE(patterns.matches("chat"));
  CHECK(patterns.matches("news"));
  CHECK_FALSE(patterns.matches("news.today"));
  CHECK_FALSE(patterns.matches("new"));
  auth::TopicPatterns all;
  REQUIRE(all.add("*"));
  CHECK(all.matches("anything"));
  auth::TopicPatterns none;
  CHECK(none.empty());
  CHECK_FALSE(none.matches("anything"));
  CHECK_FALSE(none.add("a b"));
  CHECK_FALSE(none.add("**"));
  CHECK_FALSE(none.add(std::string(256, 'a')));
  CHECK(none.add(std::string(254, 'a') + "*"));
}

TEST_CASE("api keys: any of the configured keys, whole") {
  const Authenticator keys({"new", "old"}, nullptr);
  CHECK(keys.api_key_accepted("new"));
  CHECK(keys.api_key_accepted("old"));
  CHECK_FALSE(keys.api_key_accepted("new,old"));
  CHECK_FALSE(keys.api_key_accepted("ne"));
  CHECK_FALSE(keys.api_key_accepted(""));
  CHECK_FALSE(keys.api_key_accepted("old,"));
  const Authenticator one({"only"}, nullptr);
  CHECK(one.api_key_accepted("only"));
}

TEST_CASE("api_key_matches compares whole keys") {
  using auth::api_key_matches;
  CHECK(api_key_matches("s3cret", "s3cret"));
  CHECK(api_key_matches("", ""));
  CHECK_FALSE(api_key_matches("s3cret", "s3creT"));
  CHECK_FALSE(api_key_matches("s3cret", "x3cret"));
  CHECK_FALSE(api_key_matches("s3cret", "s3cre"));
  CHECK_FALSE(api_key_matches("s3cret", "s3cret!"));
  CHECK_FALSE(api_key_matches("s3cret", "s3cret0"));
  CHECK_FALSE(api_key_matches("s3cret", ""));
  CHECK_FALSE(api_key_matches("", "x"));
  CHECK_FALSE(api_key_matches("ab", std::string_view("ab\0", 3)));
}

TEST_CASE("bearer_token reads the Authorization header's token") {
  CHECK(auth::bearer_token("Bearer abc.def.ghi") == "abc.def.ghi");
  CHECK(auth::bearer_token("bearer   abc ") == "abc");
  CHECK(auth::bearer_token("BEARER x") == "x");
  CHECK_FALSE(auth::bearer_token("Basic dXNlcjpwYXNz"));
  CHECK_FALSE(auth::bearer_token("Bearer"));
  CHECK_FALSE(auth::bearer_token("Bearer "));
  CHECK_FALSE(auth::bearer_token("Bearerabc"));
}

TEST_CASE("authenticate: nothing configured accepts anyone with every grant") {
  const Authenticator open;
  CHECK_FALSE(open.required());
  const auth::Authentication result = open.authenticate({}, testing::now_seconds());
  CHECK(result.accepted);
  CHECK(result.identity == nullptr);
  CHECK(auth::may_administer(result.identity.get()));
  CHECK(auth::may_publish(result.identity.get(), "x"));
}

TEST_CASE("authenticate: an API key grants everything; a token what it lists") {
  const Authenticator both({"k3y"}, hs256());
  const std::int64_t now = testing::now_seconds();
  auth::Authentication by_key = both.authenticate({"k3y", std::nullopt}, now);
  CHECK(by_key.accepted);
  CHECK(by_key.identity == nullptr);
  const std::string t = token(R"({"subscribe":["chat.*"],"publish":["chat.room1"]})");
  auth::Authentication by_token = both.authenticate({std::nullopt, t}, now);
  REQUIRE(by_token.accepted);
  REQUIRE(by_token.identity);
  CHECK(by_token.identity->subject == "bob");
  CHECK(auth::may_subscribe(by_token.identity.get(), "chat.room2"));
  CHECK_FALSE(auth::may_subscribe(by_token.identity.get(), "chatroom"));
  CHECK(auth::may_publish(by_token.identity.get(), "chat.room1"));
  CHECK_FALSE(auth::may_publish(by_token.identity.get(), "chat.room2"));
  CHECK_FALSE(auth::may_administer(by_token.identity.get()));
  // A wrong key beside a valid token: the token decides.
  CHECK(both.authenticate({"wrong", t}, now).accepted);
  CHECK_FALSE(both.authenticate({"wrong", std::nullopt}, now).accepted);
  CHECK_FALSE(both.authenticate({}, now).accepted);
  const auth::Authentication bad = both.authenticate({std::nullopt, t + "x"}, now);
  CHECK_FALSE(bad.accepted);
  CHECK(bad.refusal == auth::describe(auth::TokenError::signature));
  // Keys alone: a token is no credential.
  const Authenticator keys_only({"k3y"}, nullptr);
  CHECK_FALSE(keys_only.authenticate({std::nullopt, t}, now).accepted);
}
