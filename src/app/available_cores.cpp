#include "app/available_cores.h"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/read_file.h"
#include "common/text.h"

namespace pubsub::app {
namespace {

using common::read_file;
using common::split;

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

std::optional<long long> integer(std::string_view s) {
  s = trim(s);
  long long value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return value;
}

std::optional<double> ratio(std::optional<long long> quota, std::optional<long long> period) {
  if (!quota || !period || *quota <= 0 || *period <= 0) return std::nullopt;
  return static_cast<double>(*quota) / static_cast<double>(*period);
}

bool has_item(std::string_view list, std::string_view item) {
  const auto items = split(list, ',');
  return std::find(items.begin(), items.end(), item) != items.end();
}

// mountinfo writes a space in a path as \040 (and any byte as \ooo).
std::string unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const auto digit = [&](std::size_t k) { return s[i + k] >= '0' && s[i + k] <= '7'; };
      if (digit(1) && digit(2) && digit(3)) {
        out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// Keeps in `lowest` the lower of it and `limit` (an absent one is no limit).
void keep_lower(std::optional<double>& lowest, std::optional<double> limit) {
  if (limit && (!lowest || *limit < *lowest)) lowest = limit;
}

enum class Version { v1, v2 };

// Where one cgroup hierarchy is mounted, and which of its cgroups holds the
// process.
struct Hierarchy {
  std::string mount_point;  // where it is mounted, e.g. /sys/fs/cgroup/cpu
  std::string mount_root;   // the hierarchy's path that is mounted there
  std::string path;         // the process's cgroup in the hierarchy
};

// The process's cgroup in the cgroup v2 hierarchy ("0::/path"), or in the
// v1 hierarchy of the cpu controller ("3:cpu,cpuacct:/path").
std::optional<std::string> cgroup_path(std::string_view proc_cgroup, Version version) {
  for (std::string_view line : split(proc_cgroup, '\n')) {
    const auto first = line.find(':');
    const auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    const std::string_view id = line.substr(0, first);
    const std::string_view controllers = line.substr(first + 1, second - first - 1);
    const bool wanted = version == Version::v2 ? id == "0" && controllers.empty() : has_item(controllers, "cpu");
    if (wanted) return std::string(line.substr(second + 1));
  }
  return std::nullopt;
}

// The mount of the cgroup v2 hierarchy, or of the v1 hierarchy that has the
// cpu controller: {mount point, mounted root}.
std::optional<std::pair<std::string, std::string>> cgroup_mount(std::string_view mountinfo, Version version) {
  for (std::string_view line : split(mountinfo, '\n')) {
    const auto fields = split(line, ' ');
    const auto dash = std::find(fields.begin(), fields.end(), "-");
    if (dash == fields.end() || dash - fields.begin() < 5 || fields.end() - dash < 4) continue;
    const std::string_view type = dash[1];
    const std::string_view options = dash[3];
    const bool wanted = version == Version::v2 ? type == "cgroup2" : type == "cgroup" && has_item(options, "cpu");
    if (wanted) return std::pair{unescape(fields[4]), unescape(fields[3])};
  }
  return std::nullopt;
}

std::optional<double> limit_in(const std::filesystem::path& dir, Version version) {
  if (version == Version::v2) {
    const auto text = read_file(dir / "cpu.max");
    return text ? parse_cpu_max(*text) : std::nullopt;
  }
  const auto quota = read_file(dir / "cpu.cfs_quota_us");
  const auto period = read_file(dir / "cpu.cfs_period_us");
  return quota && period ? parse_cfs_quota(*quota, *period) : std::nullopt;
}

// The lowest limit from the process's cgroup up to the hierarchy's mount.
std::optional<double> hierarchy_limit(const std::filesystem::path& root, const Hierarchy& hierarchy, Version version) {
  // Below the mount point lies the part of the process's path under the
  // mounted root; a path outside that root (another namespace's view)
  // leaves only the mount point itself to read.
  const std::string& mount_root = hierarchy.mount_root;
  std::string_view relative = hierarchy.path;
  if (mount_root != "/") {
    const bool inside = relative.starts_with(mount_root) &&
                        (relative.size() == mount_root.size() || relative[mount_root.size()] == '/');
    relative = inside ? relative.substr(mount_root.size()) : std::string_view{};
  }
  std::filesystem::path dir = root / std::filesystem::path(hierarchy.mount_point).relative_path();
  std::optional<double> lowest = limit_in(dir, version);
  for (std::string_view part : split(relative, '/')) {
    if (part.empty() || part == "." || part == "..") continue;
    dir /= part;
    keep_lower(lowest, limit_in(dir, version));
  }
  return lowest;
}

}  // namespace

std::optional<double> parse_cpu_max(std::string_view text) {
  const auto fields = split(trim(text), ' ');
  if (fields.size() != 2 || fields[0] == "max") return std::nullopt;
  return ratio(integer(fields[0]), integer(fields[1]));
}

std::optional<double> parse_cfs_quota(std::string_view quota, std::string_view period) {
  return ratio(integer(quota), integer(period));
}

std::optional<double> cgroup_cpu_limit(const std::filesystem::path& root) {
  const auto proc_cgroup = read_file(root / "proc/self/cgroup");
  const auto mountinfo = read_file(root / "proc/self/mountinfo");
  if (!proc_cgroup || !mountinfo) return std::nullopt;
  std::optional<double> lowest;
  for (Version version : {Version::v1, Version::v2}) {
    const auto path = cgroup_path(*proc_cgroup, version);
    const auto mounted = cgroup_mount(*mountinfo, version);
    if (!path || !mounted) continue;
    keep_lower(lowest, hierarchy_limit(root, {mounted->first, mounted->second, *path}, version));
  }
  return lowest;
}

unsigned cores_allowed(unsigned affinity_cpus, std::optional<double> cpu_limit) {
  const unsigned cores = std::max(affinity_cpus, 1u);
  if (!cpu_limit || *cpu_limit >= cores) return cores;
  return std::max(static_cast<unsigned>(std::ceil(*cpu_limit)), 1u);
}

unsigned available_cores() {
  unsigned affinity_cpus = std::thread::hardware_concurrency();
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) affinity_cpus = static_cast<unsigned>(CPU_COUNT(&set));
  return cores_allowed(affinity_cpus, cgroup_cpu_limit("/"));
}

}  // namespace pubsub::app
