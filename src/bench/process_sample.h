// What pubsub-bench reads about processes: the servers' CPU time,
// resident memory and command name (from /proc), its own CPU time, and its
// open-file limit.
//
// Any thread.
#pragma once

#include <string>
#include <vector>

namespace pubsub::bench {

struct ProcSample {
  double cpu_seconds = 0;   // user + system
  double user_seconds = 0;  // user alone
  long rss_kib = 0;
};

// Returns process `pid`'s CPU time and RSS; zeros if pid <= 0 or unreadable.
ProcSample sample_process(int pid);

// Returns sample_process of every pid in `pids`, in their order.
std::vector<ProcSample> sample_processes(const std::vector<int>& pids);

// Returns the RSS of the processes `pids` together.
long total_rss_kib(const std::vector<int>& pids);

// Returns the command name of process `pid` (/proc/<pid>/comm), or "" if
// it cannot be read.
std::string process_name(int pid);

// One sampled process over a measured window.
struct ProcessUsage {
  int pid = 0;
  std::string name;         // process_name(pid)
  double cpu_seconds = 0;   // between the window's start and end
  double user_seconds = 0;  // of which in user space
  long rss_kib = 0;         // at the window's end
};

// Returns, for each of `pids` (in order), its CPU time (and user time) from `before` to
// `after` (sample_processes of `pids` at the window's start and end) and its
// RSS at `after`.
std::vector<ProcessUsage> usage_between(const std::vector<int>& pids, const std::vector<ProcSample>& before,
                                        const std::vector<ProcSample>& after);

// Returns this process's user + system CPU time, all threads.
double client_cpu_seconds();

// Raises this process's soft limit on open files to the hard limit.
void raise_fd_limit();

}  // namespace pubsub::bench
