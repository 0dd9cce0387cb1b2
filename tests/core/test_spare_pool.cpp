// SparePool keeps the spares recently needed and frees the rest at trim().
#include "core/spare_pool.h"

#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <memory>
#include <vector>

using pubsub::core::SparePool;

namespace {

// Takes n objects (from the pool, or new ones) and gives them all back.
std::vector<int*> cycle(SparePool<int>& pool, int n) {
  std::vector<std::unique_ptr<int>> taken;
  std::vector<int*> addresses;
  for (int i = 0; i < n; ++i) {
    std::unique_ptr<int> spare = pool.take();
    taken.push_back(spare ? std::move(spare) : std::make_unique<int>(i));
    addresses.push_back(taken.back().get());
  }
  for (auto& object : taken) pool.give(std::move(object));
  return addresses;
}

}  // namespace

TEST_CASE("spare pool: take gives back the warmest spare, and nothing when empty") {
  SparePool<int> pool;
  CHECK(pool.take() == nullptr);
  auto a = std::make_unique<int>(1);
  auto b = std::make_unique<int>(2);
  int* second = b.get();
  pool.give(std::move(a));
  pool.give(std::move(b));
  CHECK(pool.take().get() == second);
  CHECK(pool.size() == 1);
}

TEST_CASE("spare pool: a working set larger than any fixed cap is reused, not reallocated") {
  SparePool<int> pool;
  const auto first = cycle(pool, 5000);
  pool.trim();  // the period of the first burst: all were needed
  CHECK(pool.size() == 5000);
  for (int round = 0; round < 3; ++round) {
    auto again = cycle(pool, 5000);
    CHECK(std::is_permutation(again.begin(), again.end(), first.begin()));
    CHECK(pool.trim() == 0);  // every spare was taken since the previous trim
    CHECK(pool.size() == 5000);
  }
}

TEST_CASE("spare pool: trim frees the spares unused since the previous trim, coldest first") {
  SparePool<int> pool;
  cycle(pool, 100);
  CHECK(pool.trim() == 0);  // nothing was spare before the burst
  cycle(pool, 30);          // only 30 needed in this period
  CHECK(pool.trim() == 70);
  CHECK(pool.size() == 30);
  CHECK(pool.trim() == 30);  // a quiet period: the rest goes
  CHECK(pool.size() == 0);
  CHECK(pool.trim() == 0);
}
