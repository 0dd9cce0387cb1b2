// What pubsub-bench reads about processes: the server's CPU time and
// resident memory (from /proc), its own CPU time, and its open-file limit.
//
// Any thread.
#pragma once

namespace pubsub::bench {

struct ProcSample {
  double cpu_seconds = 0;  // user + system
  long rss_kib = 0;
};

// Returns process `pid`'s CPU time and RSS; zeros if pid <= 0 or unreadable.
ProcSample sample_process(int pid);

// Returns this process's user + system CPU time, all threads.
double client_cpu_seconds();

// Raises this process's soft limit on open files to the hard limit.
void raise_fd_limit();

}  // namespace pubsub::bench
