// The delays between reconnect attempts: doubling from 100 ms to 5 s, jittered.
#include <catch2/catch_test_macros.hpp>

#include "cli/reconnect_backoff.h"

using namespace pubsub::cli;
using std::chrono::milliseconds;

TEST_CASE("each delay is in the upper half of its step; steps double up to the cap") {
  for (std::uint64_t seed : {1u, 2u, 3u, 99u}) {
    ReconnectBackoff backoff(milliseconds(100), milliseconds(5000), seed);
    milliseconds step(100);
    for (int attempt = 0; attempt < 12; ++attempt) {
      const milliseconds delay = backoff.next();
      CHECK(delay >= step / 2);
      CHECK(delay <= step);
      step = std::min(step * 2, milliseconds(5000));
    }
  }
}

TEST_CASE("the delays are jittered, and reset starts again from the first step") {
  ReconnectBackoff backoff(milliseconds(100), milliseconds(5000), 7);
  for (int i = 0; i < 10; ++i) backoff.next();
  bool varied = false;
  milliseconds previous = backoff.next();
  for (int i = 0; i < 20; ++i) {
    const milliseconds delay = backoff.next();
    CHECK(delay >= milliseconds(2500));
    varied = varied || delay != previous;
    previous = delay;
  }
  CHECK(varied);
  backoff.reset();
  CHECK(backoff.next() <= milliseconds(100));
}
