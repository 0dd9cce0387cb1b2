// Topic epochs; see epoch.h.
#include "core/epoch.h"

#include <random>

namespace pubsub::core {

Epoch::Epoch(std::uint64_t bits) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (char& c : text_) {
    c = kAlphabet[bits & 63];
    bits >>= 6;
  }
}

Epoch Epoch::make() {
  thread_local std::mt19937_64 generator = [] {
    std::random_device entropy;
    std::seed_seq seed{entropy(), entropy(), entropy(), entropy()};
    return std::mt19937_64(seed);
  }();
  return Epoch(generator());
}

}  // namespace pubsub::core
