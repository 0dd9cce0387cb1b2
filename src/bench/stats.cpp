// See stats.h.
#include "bench/stats.h"

#include <algorithm>
#include <bit>

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

// Finds `"key":` and returns the text right after it (whitespace skipped).
std::optional<std::string_view> after_key(std::string_view json, std::string_view quoted_key_colon) {
  auto at = json.find(quoted_key_colon);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = json.substr(at + quoted_key_colon.size());
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  return rest;
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

std::optional<FrameFields> read_frame_fields(std::string_view json) {
  auto type = after_key(json, "\"type\":");
  if (!type || type->empty() || type->front() != '"') return std::nullopt;
  std::string_view name = type->substr(1, type->find('"', 1) - 1);
  FrameFields out;
  if (name == "event") {
    out.kind = FrameKind::event;
    auto p = after_key(json, "\"bp\":");
    auto n = after_key(json, "\"bn\":");
    auto t = after_key(json, "\"bt\":");
    if (!p || !n || !t) return out;  // an event not sent by pubsub-bench
    out.publisher = leading_number(*p);
    out.counter = leading_number(*n);
    out.sent_ns = leading_number(*t);
  } else if (name == "ack") {
    out.kind = FrameKind::ack;
  } else if (name == "error") {
    out.kind = FrameKind::error;
  } else if (name == "info") {
    if (auto d = after_key(json, "\"dropped\":")) {
      out.kind = FrameKind::dropped_info;
      out.dropped = leading_number(*d);
    }
  }
  return out;
}

}  // namespace pubsub::bench
