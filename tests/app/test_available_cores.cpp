// Tests of the default of --threads (available_cores.h): the parsing of
// cgroup CPU limits, the limit of a process's cgroup and its ancestors
// under cgroup v2, v1 and both, read from a directory laid out as / is, and
// how a limit lowers the affinity mask's count.
#include "app/available_cores.h"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

using namespace pubsub;
namespace fs = std::filesystem;

namespace {

// A mountinfo line mounting `root` of a hierarchy of `type` at `point`.
std::string mount_line(const std::string& point, const std::string& root, const std::string& type,
                       const std::string& options) {
  return "40 30 0:37 " + root + " " + point + " rw,nosuid,nodev,noexec,relatime shared:9 - " + type + " " + type + " " +
         options + "\n";
}

// A directory standing for /, removed with the object.
class FakeRoot {
 public:
  FakeRoot() {
    static int count = 0;
    path_ = fs::temp_directory_path() / ("pubsub-cores-" + std::to_string(::getpid()) + "-" + std::to_string(++count));
    fs::create_directories(path_);
  }
  ~FakeRoot() { fs::remove_all(path_); }
  FakeRoot(const FakeRoot&) = delete;
  FakeRoot& operator=(const FakeRoot&) = delete;

  // Writes `text` to `file`, a path as seen from / ("/proc/self/cgroup").
  void write(const std::string& file, const std::string& text) const {
    const fs::path path = path_ / fs::path(file).relative_path();
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  // A process in cgroup `path` of a cgroup v2 hierarchy mounted at
  // `mount_point` (as mountinfo writes it).
  void cgroup2(const std::string& path, const std::string& mount_point = "/sys/fs/cgroup") const {
    write("/proc/self/cgroup", "0::" + path + "\n");
    write("/proc/self/mountinfo", mount_line(mount_point, "/", "cgroup2", "rw"));
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

}  // namespace

TEST_CASE("cgroup v2 cpu.max: quota over period, no limit for max") {
  CHECK(app::parse_cpu_max("150000 100000\n") == 1.5);
  CHECK(app::parse_cpu_max("200000 100000") == 2.0);
  CHECK(app::parse_cpu_max("50000 100000\n") == 0.5);
  CHECK_FALSE(app::parse_cpu_max("max 100000\n"));
  CHECK_FALSE(app::parse_cpu_max(""));
  CHECK_FALSE(app::parse_cpu_max("lots 100000"));
  CHECK_FALSE(app::parse_cpu_max("100000"));
  CHECK_FALSE(app::parse_cpu_max("100000 0"));
}

TEST_CASE("cgroup v1 cfs quota: quota over period, no limit for -1") {
  CHECK(app::parse_cfs_quota("250000\n", "100000\n") == 2.5);
  CHECK_FALSE(app::parse_cfs_quota("-1\n", "100000\n"));
  CHECK_FALSE(app::parse_cfs_quota("", "100000"));
  CHECK_FALSE(app::parse_cfs_quota("100000", "x"));
}

TEST_CASE("a CPU limit lowers the affinity count, rounded up, never below one") {
  CHECK(app::cores_allowed(4, std::nullopt) == 4);
  CHECK(app::cores_allowed(4, 1.5) == 2);
  CHECK(app::cores_allowed(4, 1.0) == 1);
  CHECK(app::cores_allowed(4, 0.1) == 1);
  CHECK(app::cores_allowed(2, 8.0) == 2);
  CHECK(app::cores_allowed(2, 1e30) == 2);
  CHECK(app::cores_allowed(0, std::nullopt) == 1);
}

TEST_CASE("cgroup v2 in a container with its own cgroup namespace: the limit at the mount point") {
  FakeRoot root;
  root.cgroup2("/");
  root.write("/sys/fs/cgroup/cpu.max", "150000 100000\n");
  CHECK(app::cgroup_cpu_limit(root.path()) == 1.5);

  root.write("/sys/fs/cgroup/cpu.max", "max 100000\n");
  CHECK_FALSE(app::cgroup_cpu_limit(root.path()));
}

TEST_CASE("cgroup v2 on a host: the lowest limit from the process's cgroup up to the root") {
  FakeRoot root;
  root.cgroup2("/system.slice/pubsub.service");
  root.write("/sys/fs/cgroup/system.slice/cpu.max", "300000 100000\n");
  root.write("/sys/fs/cgroup/system.slice/pubsub.service/cpu.max", "max 100000\n");
  CHECK(app::cgroup_cpu_limit(root.path()) == 3.0);  // the parent's

  root.write("/sys/fs/cgroup/system.slice/pubsub.service/cpu.max", "100000 100000\n");
  CHECK(app::cgroup_cpu_limit(root.path()) == 1.0);  // the process's own, lower
}

TEST_CASE("cgroup v1 cpu controller, mounted at the container's cgroup, with cpuacct") {
  FakeRoot root;
  root.write("/proc/self/cgroup", "5:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n");
  root.write("/proc/self/mountinfo",
             mount_line("/sys/fs/cgroup/memory", "/docker/abc", "cgroup", "rw,memory") +
                 mount_line("/sys/fs/cgroup/cpu,cpuacct", "/docker/abc", "cgroup", "rw,cpu,cpuacct"));
  root.write("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "50000\n");
  root.write("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
  CHECK(app::cgroup_cpu_limit(root.path()) == 0.5);
}

TEST_CASE("hybrid host: v1 cpu without a quota and a v2 hierarchy without cpu.max set no limit") {
  FakeRoot root;
  root.write("/proc/self/cgroup", "1:cpu:/\n0::/\n");
  root.write("/proc/self/mountinfo", mount_line("/sys/fs/cgroup/cpu", "/", "cgroup", "rw,cpu") +
                                         mount_line("/sys/fs/cgroup/unified", "/", "cgroup2", "rw"));
  root.write("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1\n");
  root.write("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
  CHECK_FALSE(app::cgroup_cpu_limit(root.path()));

  SECTION("a quota on either hierarchy counts") {
    root.write("/sys/fs/cgroup/unified/cpu.max", "120000 100000\n");
    CHECK(app::cgroup_cpu_limit(root.path()) == 1.2);
  }
}

TEST_CASE("a mount point with a space, as mountinfo escapes it") {
  FakeRoot root;
  root.cgroup2("/a", "/cg\\040roups");
  root.write("/cg roups/a/cpu.max", "400000 100000\n");
  CHECK(app::cgroup_cpu_limit(root.path()) == 4.0);
}

TEST_CASE("without cgroup files there is no limit") {
  FakeRoot root;
  CHECK_FALSE(app::cgroup_cpu_limit(root.path()));
  root.write("/proc/self/cgroup", "0::/\n");
  root.write("/proc/self/mountinfo", mount_line("/proc", "/", "proc", "rw"));
  CHECK_FALSE(app::cgroup_cpu_limit(root.path()));
}

TEST_CASE("this process may use at least one core, and no more than the machine has") {
  const unsigned cores = app::available_cores();
  CHECK(cores >= 1);
  CHECK(cores <= std::max(std::thread::hardware_concurrency(), 1u));
}
