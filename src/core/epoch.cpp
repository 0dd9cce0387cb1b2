// Topic epochs; see epoch.h.
#include "core/epoch.h"

#include <cstring>
#include <random>

namespace pubsub::core {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

}  // namespace

Epoch::Epoch(std::uint64_t bits) {
  for (char& c : text_) {
    c = kAlphabet[bits & 63];
    bits >>= 6;
  }
}

std::optional<Epoch> Epoch::parse(std::string_view text) {
  if (text.size() != kTextSize) return std::nullopt;
  std::uint64_t bits = 0;
  for (std::size_t i = kTextSize; i-- > 0;) {
    const void* found = std::memchr(kAlphabet, text[i], sizeof(kAlphabet) - 1);
    if (found == nullptr) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint64_t>(static_cast<const char*>(found) - kAlphabet);
  }
  Epoch epoch(bits);
  // 11 characters carry 66 bits: the last one only 4 of them.
  if (epoch.text() != text) return std::nullopt;
  return epoch;
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
