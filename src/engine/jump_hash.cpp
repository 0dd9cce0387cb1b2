// FNV-1a 64 and jump consistent hash; see jump_hash.h.
#include "engine/jump_hash.h"

#include <cassert>
#include <limits>

namespace pubsub::engine {

std::uint64_t fnv1a_64(std::string_view bytes) {
  constexpr std::uint64_t kOffsetBasis = 14695981039346656037ULL;
  constexpr std::uint64_t kPrime = 1099511628211ULL;
  std::uint64_t hash = kOffsetBasis;
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kPrime;
  }
  return hash;
}

std::int32_t jump_hash(std::uint64_t key, std::int32_t buckets) {
  assert(buckets >= 1);
  // The paper's code: a linear congruential generator drives the jumps
  // from one bucket to the next bucket the key would move to as buckets
  // are added; the last jump below `buckets` is the answer.
  std::int64_t bucket = -1;
  std::int64_t next = 0;
  while (next < buckets) {
    bucket = next;
    key = key * 2862933555777941757ULL + 1;
    next = static_cast<std::int64_t>(static_cast<double>(bucket + 1) * (static_cast<double>(std::int64_t{1} << 31) /
                                                                        static_cast<double>((key >> 33) + 1)));
  }
  return static_cast<std::int32_t>(bucket);
}

std::size_t server_of_topic(std::string_view topic, std::size_t servers) {
  assert(servers >= 1 && servers <= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()));
  return static_cast<std::size_t>(jump_hash(fnv1a_64(topic), static_cast<std::int32_t>(servers)));
}

}  // namespace pubsub::engine
