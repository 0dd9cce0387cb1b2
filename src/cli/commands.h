// The commands of pubsub, each in a unit of its own: topics_command.cpp,
// pub_command.cpp, sub_command.cpp and read_commands.cpp (history, stats,
// health). Each prints its data on standard output and returns its exit
// status, or throws a failure of exit_status.h.
//
// The main thread only.
#pragma once

#include "cli/command_line.h"
#include "cli/event_loop.h"
#include "cli/exit_status.h"

namespace pubsub::cli {

ExitStatus run_topics(EventLoop& loop, const Invocation& invocation);
ExitStatus run_pub(EventLoop& loop, const Invocation& invocation);
ExitStatus run_sub(EventLoop& loop, const Invocation& invocation);
ExitStatus run_history(EventLoop& loop, const Invocation& invocation);
ExitStatus run_stats(EventLoop& loop, const Invocation& invocation);
ExitStatus run_health(EventLoop& loop, const Invocation& invocation);

// Runs the command `invocation` names.
ExitStatus run_command(EventLoop& loop, const Invocation& invocation);

}  // namespace pubsub::cli
