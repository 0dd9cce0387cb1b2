// Process sampling for pubsub-bench; see process_sample.h.
#include "bench/process_sample.h"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace pubsub::bench {

namespace {

// Fills the user + system and the user seconds of a /proc/<pid>/stat line
// (fields 14, 15).
void read_cpu_of_stat(const std::string& line, ProcSample& out) {
  auto close = line.rfind(')');
  if (close == std::string::npos) return;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoul(field);
    if (i == 15) stime = std::stoul(field);
  }
  const auto ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  out.cpu_seconds = static_cast<double>(utime + stime) / ticks;
  out.user_seconds = static_cast<double>(utime) / ticks;
}

}  // namespace

ProcSample sample_process(int pid) {
  ProcSample out;
  if (pid <= 0) return out;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  read_cpu_of_stat(line, out);
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) out.rss_kib = std::stol(line.substr(6));
  }
  return out;
}

std::vector<ProcSample> sample_processes(const std::vector<int>& pids) {
  std::vector<ProcSample> out;
  out.reserve(pids.size());
  for (int pid : pids) out.push_back(sample_process(pid));
  return out;
}

long total_rss_kib(const std::vector<int>& pids) {
  long total = 0;
  for (const ProcSample& s : sample_processes(pids)) total += s.rss_kib;
  return total;
}

std::string process_name(int pid) {
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name;
}

std::vector<ProcessUsage> usage_between(const std::vector<int>& pids, const std::vector<ProcSample>& before,
                                        const std::vector<ProcSample>& after) {
  std::vector<ProcessUsage> out;
  for (std::size_t i = 0; i < pids.size() && i < before.size() && i < after.size(); ++i) {
    out.push_back({pids[i], process_name(pids[i]), after[i].cpu_seconds - before[i].cpu_seconds,
                   after[i].user_seconds - before[i].user_seconds, after[i].rss_kib});
  }
  return out;
}

double client_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

void raise_fd_limit() {
  rlimit l{};
  if (getrlimit(RLIMIT_NOFILE, &l) == 0 && l.rlim_cur < l.rlim_max) {
    l.rlim_cur = l.rlim_max;
    setrlimit(RLIMIT_NOFILE, &l);
  }
}

}  // namespace pubsub::bench
