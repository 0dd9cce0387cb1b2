// Tests of TokenBucket (common/token_bucket.h): the rate, the one-second
// burst, and that a refused take takes nothing. Time is given, not read.
#include "common/token_bucket.h"

#include <catch2/catch_test_macros.hpp>

using pubsub::common::TokenBucket;
using namespace std::chrono_literals;

TEST_CASE("a full bucket lets one second's worth through at once, then the rate", "[token_bucket]") {
  const TokenBucket::Clock::time_point t0{};
  TokenBucket bucket(5, t0);
  for (int i = 0; i < 5; ++i) CHECK(bucket.take(1, t0));
  CHECK_FALSE(bucket.take(1, t0));
  CHECK_FALSE(bucket.take(1, t0 + 100ms));  // 0.5 of a token
  CHECK(bucket.take(1, t0 + 200ms));        // 1 token
  CHECK_FALSE(bucket.take(1, t0 + 200ms));
  // A long pause refills one second's worth, not more.
  for (int i = 0; i < 5; ++i) CHECK(bucket.take(1, t0 + 60s));
  CHECK_FALSE(bucket.take(1, t0 + 60s));
}

TEST_CASE("a take of several tokens is all or nothing", "[token_bucket]") {
  const TokenBucket::Clock::time_point t0{};
  TokenBucket bucket(10, t0);
  CHECK(bucket.take(7, t0));
  CHECK_FALSE(bucket.take(4, t0));  // 3 left: takes none
  CHECK(bucket.take(3, t0));
  CHECK_FALSE(bucket.take(11, t0 + 10s));  // more than a burst never passes
}
