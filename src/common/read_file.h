// Reads a whole file into a string: the configuration's key files and the
// cgroup files that set the default of --threads.
//
// Callable from any thread.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace pubsub::common {

// The file's bytes; nullopt if it cannot be opened.
std::optional<std::string> read_file(const std::filesystem::path& path);

}  // namespace pubsub::common
