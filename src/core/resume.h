// Which retained messages a resuming subscribe replays, and whether that
// recovers everything after the client's position (contract section 9).
// Pure arithmetic over a topic's position, so that every boundary of the
// rules is tested on its own (tests/core/test_resume.cpp).
//
// Any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pubsub::core {

struct ResumePlan {
  std::size_t first = 0;  // index in the history of the first event to replay (0 is the oldest)
  std::size_t count = 0;  // events to replay
  bool recovered = false;
};

// A client that handled every message up to `since_seq` of the life named
// by its epoch (`epoch_matches`: it sent none, or the topic's) subscribes
// to a topic whose newest seq is `newest` and whose history holds the
// `retained` newest messages (seqs newest - retained + 1 to newest).
constexpr ResumePlan plan_resume(std::uint64_t since_seq, bool epoch_matches, std::uint64_t newest,
                                 std::size_t retained) {
  // Numbers of another life of the topic: nothing of this one matches them.
  if (!epoch_matches || since_seq > newest) return {0, 0, false};
  if (retained == 0) return {0, 0, since_seq == newest};
  const std::uint64_t first_retained = newest - retained + 1;
  // Everything after since_seq is retained: replay exactly that.
  if (since_seq + 1 >= first_retained) {
    const auto count = static_cast<std::size_t>(newest - since_seq);
    return {retained - count, count, true};
  }
  // Older messages are gone: replay what is left, and say so.
  return {0, retained, false};
}

// The retained messages with seq > `since_seq`, as a history index range:
// the REST history's selection (no epoch, no recovery verdict).
constexpr ResumePlan plan_after(std::uint64_t since_seq, std::uint64_t newest, std::size_t retained) {
  if (since_seq >= newest || retained == 0) return {retained, 0, false};
  const std::uint64_t after = newest - since_seq;
  const auto count = after < retained ? static_cast<std::size_t>(after) : retained;
  return {retained - count, count, false};
}

}  // namespace pubsub::core
