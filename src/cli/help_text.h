// The help pubsub prints: the tool's (complete on its own: every command,
// option, variable and exit status) and each command's.
//
// Pure; any thread.
#pragma once

#include <string>

#include "cli/command_line.h"

namespace pubsub::cli {

// `pubsub --help`.
std::string tool_help();

// `pubsub help COMMAND` and `pubsub COMMAND --help`.
std::string command_help(Command command);

// `pubsub --version`.
std::string version_text();

}  // namespace pubsub::cli
