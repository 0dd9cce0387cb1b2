// Measurement pieces of pubsub-bench that need no sockets: the clock, a
// latency histogram, the per-stream order checker, and field extraction
// from event frames of any server speaking the contract.
//
// now_ns and read_frame_fields: any thread. Histogram and StreamChecker are
// not thread-safe: each client thread keeps its own and merges at the end.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace pubsub::bench {

// The steady clock in nanoseconds: publishes carry it as their send time,
// and subscribers on any thread of the same process subtract it.
inline std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

// Log-linear histogram of nanosecond values: 64 sub-buckets per power of
// two, so any recorded value is reported within 1.6 %.
class Histogram {
 public:
  void record(std::uint64_t ns);
  void merge(const Histogram& other);
  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  // Value at quantile q in [0, 1] (the upper bound of its bucket).
  std::uint64_t quantile(double q) const;

 private:
  static constexpr int kSubBits = 6;
  static constexpr int kBuckets = (64 - kSubBits + 1) << kSubBits;
  static std::size_t index(std::uint64_t v);
  static std::uint64_t upper_bound(std::size_t index);

  std::array<std::uint64_t, kBuckets> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

// Checks one subscriber's view of every publisher's stream: each publisher
// numbers its messages 0, 1, 2, ...; any gap, duplicate or step back is
// counted. Topics and publishers are identified together by `stream`.
class StreamChecker {
 public:
  // Records message `n` of `stream`.
  void see(std::uint64_t stream, std::uint64_t n);
  std::uint64_t gaps() const { return gaps_; }          // messages skipped
  std::uint64_t duplicates() const { return dups_; }    // n seen again
  std::uint64_t reordered() const { return reorder_; }  // n lower than one seen

 private:
  std::unordered_map<std::uint64_t, std::uint64_t> next_;  // stream -> expected n
  std::uint64_t gaps_ = 0, dups_ = 0, reorder_ = 0;
};

enum class FrameKind { event, ack, error, dropped_info, other };

// What pubsub-bench reads out of one server frame.
struct FrameFields {
  FrameKind kind = FrameKind::other;
  std::uint64_t publisher = 0;  // events: payload "bp"
  std::uint64_t counter = 0;    // events: payload "bn"
  std::uint64_t sent_ns = 0;    // events: payload "bt"
  std::uint64_t dropped = 0;    // dropped infos: "dropped"
};

// Classifies a server frame by its "type" and pulls out the fields above,
// wherever the server put them. Returns nullopt for text that does not look
// like a frame of the contract.
std::optional<FrameFields> read_frame_fields(std::string_view json);

}  // namespace pubsub::bench
