// See stats.h.
#include "bench/stats.h"

#include <algorithm>
#include <bit>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace pubsub::bench {

std::size_t Histogram::index(std::uint64_t v) {
  if (v < (1u << kSubBits)) return static_cast<std::size_t>(v);
  int msb = 63 - std::countl_zero(v);
  int shift = msb - kSubBits;
  std::uint64_t sub = (v >> shift) & ((1u << kSubBits) - 1);
  return (static_cast<std::size_t>(shift + 1) << kSubBits) + sub;
}

std::uint64_t Histogram::upper_bound(std::size_t i) {
  if (i < (1u << kSubBits)) return i;
  std::size_t shift = (i >> kSubBits) - 1;
  std::uint64_t sub = i & ((1u << kSubBits) - 1);
  return (((std::uint64_t{1} << kSubBits) | sub) << shift) + ((std::uint64_t{1} << shift) - 1);
}

void Histogram::record(std::uint64_t ns) {
  buckets_[index(ns)] += 1;
  count_ += 1;
  max_ = std::max(max_, ns);
}

void Histogram::merge(const Histogram& other) {
  for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

std::uint64_t Histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(upper_bound(i), max_);
  }
  return max_;
}

void StreamChecker::see(std::uint64_t stream, std::uint64_t n) {
  auto [it, fresh] = next_.try_emplace(stream, n);
  std::uint64_t& expected = it->second;
  if (n == expected) {
    expected = n + 1;
  } else if (n > expected) {
    gaps_ += n - expected;
    expected = n + 1;
  } else if (n + 1 == expected) {
    dups_ += 1;
  } else {
    reorder_ += 1;
  }
  (void)fresh;
}

namespace {

// The keys read_frame_fields looks for, each the first of its spelling in
// the frame (a key is a quote, the name, a quote and a colon).
enum Key { kType, kPublisher, kCounter, kSentAt, kDropped, kKeys };

// Returns which key starts right after the quote at `p` (end - p bytes
// left), or kKeys for none; on a match, `after_colon` points past the key.
Key key_at(const char* p, const char* end, const char*& after_colon) {
  auto is = [&](std::string_view name) {
    if (static_cast<std::size_t>(end - p) <= name.size() || !std::equal(name.begin(), name.end(), p) ||
        p[name.size()] != ':') {
      return false;
    }
    after_colon = p + name.size() + 1;
    return true;
  };
  switch (*p) {
    case 't': return is("type\"") ? kType : kKeys;
    case 'b':
      if (is("bp\"")) return kPublisher;
      if (is("bn\"")) return kCounter;
      if (is("bt\"")) return kSentAt;
      return kKeys;
    case 'd': return is("dropped\"") ? kDropped : kKeys;
    default: return kKeys;
  }
}

std::uint64_t leading_number(std::string_view s) {
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') break;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

}  // namespace

// One pass over the frame: the load generator reads every delivery, so
// this must cost far less than the server's work per delivery. Quotes are
// found 16 bytes at a time (SSE2, part of every x86-64), the rest bytewise.
std::optional<FrameFields> read_frame_fields(std::string_view json) {
  std::optional<std::string_view> values[kKeys];  // the text after each key's colon
  const char* const begin = json.data();
  const char* const end = begin + json.size();
  const char* resume = begin;  // quotes before this are inside a value already taken
  // Looks at the quote at `quote`; returns false once an event's fields are all read.
  auto at_quote = [&](const char* quote) {
    const char* p = quote + 1;
    if (p < resume || p == end) return true;
    const char* value = nullptr;
    Key key = key_at(p, end, value);
    if (key == kKeys || values[key]) return true;
    while (value < end && (*value == ' ' || *value == '\t')) ++value;
    values[key] = std::string_view(value, static_cast<std::size_t>(end - value));
    resume = value;
    return !(values[kType] && values[kPublisher] && values[kCounter] && values[kSentAt]);
  };
  const char* p = begin;
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"');
  for (; end - p >= 16; p += 16) {
    __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    for (auto mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, quote))); mask != 0;
         mask &= mask - 1) {
      if (!at_quote(p + std::countr_zero(mask))) goto done;
    }
  }
#endif
  for (; p < end; ++p) {
    if (*p == '"' && !at_quote(p)) break;
  }
done:
  const auto& type = values[kType];
  if (!type || type->empty() || type->front() != '"') return std::nullopt;
  std::string_view name = type->substr(1, type->find('"', 1) - 1);
  FrameFields out;
  if (name == "event") {
    out.kind = FrameKind::event;
    const auto &p_value = values[kPublisher], &n_value = values[kCounter], &t_value = values[kSentAt];
    if (!p_value || !n_value || !t_value) return out;  // an event not sent by pubsub-bench
    out.publisher = leading_number(*p_value);
    out.counter = leading_number(*n_value);
    out.sent_ns = leading_number(*t_value);
  } else if (name == "ack") {
    out.kind = FrameKind::ack;
  } else if (name == "error") {
    out.kind = FrameKind::error;
  } else if (name == "info") {
    if (const auto& d = values[kDropped]) {
      out.kind = FrameKind::dropped_info;
      out.dropped = leading_number(*d);
    }
  }
  return out;
}

}  // namespace pubsub::bench
