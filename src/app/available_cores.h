// How many cores pubsubd may use, the default of --threads: the CPUs of the
// process's affinity mask (taskset, cpuset), fewer if a cgroup CPU quota
// (`docker run --cpus`, systemd's CPUQuota=) on its cgroup or an ancestor
// allows fewer, the quota rounded up. A quota of 1.5 CPUs gives 2 threads.
//
// Reads /proc and /sys; call it on the main thread before the server starts.
// The parsing functions are pure and callable from any thread.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

namespace pubsub::app {

// A cgroup v2 `cpu.max` ("150000 100000" -> 1.5 CPUs); nullopt for "max"
// (no limit) or text that is not a limit.
std::optional<double> parse_cpu_max(std::string_view text);

// A cgroup v1 `cpu.cfs_quota_us` and `cpu.cfs_period_us` (150000 and
// 100000 -> 1.5 CPUs); nullopt for a quota of -1 (no limit) or text that is
// not a limit.
std::optional<double> parse_cfs_quota(std::string_view quota, std::string_view period);

// The lowest CPU limit set on the process's cgroup or any of its ancestors,
// under cgroup v2 and under v1's cpu controller (both, on hybrid hosts);
// nullopt if none is set or none can be read. Reads `root`/proc/self/cgroup,
// `root`/proc/self/mountinfo and the cgroup files under `root` (tests give a
// directory of their own; the server gives "/").
std::optional<double> cgroup_cpu_limit(const std::filesystem::path& root);

// `affinity_cpus` lowered to a CPU limit rounded up; at least 1.
unsigned cores_allowed(unsigned affinity_cpus, std::optional<double> cpu_limit);

// The cores this process may use (see above); at least 1.
unsigned available_cores();

}  // namespace pubsub::app
