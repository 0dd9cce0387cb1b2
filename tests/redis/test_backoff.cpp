// Unit tests of the reconnection delays (redis/backoff.h).
#include "redis/backoff.h"

#include <catch2/catch_test_macros.hpp>
#include <set>

using namespace std::chrono_literals;
using pubsub::redis::Backoff;

TEST_CASE("backoff: each delay is in the upper half of a ceiling that doubles up to the maximum") {
  Backoff backoff(50ms, 2000ms, 7);
  const std::chrono::milliseconds ceilings[] = {50ms, 100ms, 200ms, 400ms, 800ms, 1600ms, 2000ms, 2000ms, 2000ms};
  for (const auto ceiling : ceilings) {
    CHECK(backoff.ceiling() == ceiling);
    const auto delay = backoff.next();
    CHECK(delay >= ceiling / 2);
    CHECK(delay <= ceiling);
  }
}

TEST_CASE("backoff: reset starts again from the initial ceiling") {
  Backoff backoff(50ms, 2000ms, 1);
  for (int i = 0; i < 5; ++i) backoff.next();
  CHECK(backoff.ceiling() == 1600ms);
  backoff.reset();
  CHECK(backoff.ceiling() == 50ms);
  CHECK(backoff.next() <= 50ms);
}

TEST_CASE("backoff: delays are spread (jitter), and differ between seeds") {
  std::set<long> first_delays;
  for (std::uint64_t seed = 0; seed < 50; ++seed) first_delays.insert(Backoff(1000ms, 1000ms, seed).next().count());
  CHECK(first_delays.size() > 10);
  CHECK(*first_delays.begin() >= 500);
  CHECK(*first_delays.rbegin() <= 1000);
}
