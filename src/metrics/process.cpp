// process_* figures from /proc; see process.h.
#include "metrics/process.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace pubsub::metrics {

namespace {

// The seconds since the Unix epoch at which the machine booted (btime).
std::optional<double> boot_time() {
  std::ifstream in("/proc/stat");
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double seconds = 0;
      if (in >> seconds) return seconds;
      return std::nullopt;
    }
    in.ignore(1 << 20, '\n');
  }
  return std::nullopt;
}

std::uint64_t count_open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  std::uint64_t count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count > 0 ? count - 1 : 0;  // the directory being read is one of them
}

}  // namespace

std::optional<ProcessFigures> read_process_figures() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // The command name (field 2) may hold spaces and parentheses: the fields
  // after it start past the last ')'.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 2));
  // Fields 3 to 24 of proc(5); field 3 (state) is a character.
  std::string state;
  fields >> state;
  unsigned long long value[25] = {};
  for (int field = 4; field <= 24; ++field) {
    if (!(fields >> value[field])) return std::nullopt;
  }
  const long ticks = ::sysconf(_SC_CLK_TCK);
  const long page = ::sysconf(_SC_PAGESIZE);
  const std::optional<double> booted = boot_time();
  if (ticks <= 0 || page <= 0 || !booted) return std::nullopt;
  ProcessFigures figures;
  figures.cpu_seconds = static_cast<double>(value[14] + value[15]) / static_cast<double>(ticks);
  figures.start_time_seconds = *booted + static_cast<double>(value[22]) / static_cast<double>(ticks);
  figures.resident_memory_bytes = value[24] * static_cast<std::uint64_t>(page);
  figures.open_fds = count_open_fds();
  return figures;
}

}  // namespace pubsub::metrics
