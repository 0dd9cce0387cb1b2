// Which of several Valkey/Redis servers keeps a topic (engine/store_ring.h):
// jump consistent hash (Lamping and Veach, "A Fast, Minimal Memory,
// Consistent Hash Algorithm", 2014) over the FNV-1a 64-bit hash of the
// topic's name. Every node must place every topic on the same server, so
// both functions are fixed here for good: the same bytes give the same
// server on every platform and in every version of pubsubd.
//
// FNV-1a 64 (offset basis 14695981039346656037, prime 1099511628211, one
// byte at a time) is defined by two constants and no byte order, is a few
// lines, and is what Centrifugo hashes channel names with before the same
// jump hash, so its placement can be checked against another
// implementation. Its weak mixing of short, similar names does not matter:
// jump hash's first step multiplies the key by a 64-bit constant and reads
// the top bits. std::hash is not used: it differs between libraries and
// may change between their versions.
//
// Jump hash needs no table and, when the servers grow from N to N + 1,
// moves only the topics that the new server takes (about 1/(N + 1) of
// them), all to it. So servers are added at the end of the list, and every
// node must be given the same list in the same order.
//
// Pure functions; any thread. No Asio.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace pubsub::engine {

// The FNV-1a 64-bit hash of `bytes`.
std::uint64_t fnv1a_64(std::string_view bytes);

// The bucket, 0 to buckets - 1, that jump consistent hash gives `key`, as
// the paper's reference code computes it (IEEE 754 doubles, which every
// platform we build on has). `buckets` must be at least 1.
std::int32_t jump_hash(std::uint64_t key, std::int32_t buckets);

// The server, 0 to servers - 1, that keeps `topic`:
// jump_hash(fnv1a_64(topic), servers). `servers` must be 1 to 2^31 - 1.
std::size_t server_of_topic(std::string_view topic, std::size_t servers);

}  // namespace pubsub::engine
