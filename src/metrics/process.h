// The process_* metrics of contract section 14, read from Linux's /proc:
// resident memory, CPU time, open file descriptors and the start time.
//
// Any thread; each call reads /proc afresh.
#pragma once

#include <cstdint>
#include <optional>

namespace pubsub::metrics {

struct ProcessFigures {
  std::uint64_t resident_memory_bytes = 0;
  double cpu_seconds = 0;  // user + system
  std::uint64_t open_fds = 0;
  double start_time_seconds = 0;  // since the Unix epoch
};

// This process's figures, or nullopt if /proc could not be read.
std::optional<ProcessFigures> read_process_figures();

}  // namespace pubsub::metrics
