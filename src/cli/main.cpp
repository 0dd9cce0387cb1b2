// pubsub, the command-line client of pubsubd: reads the command line, runs
// the command, and exits with the status exit_status.h describes.
#include <cstdio>
#include <string>
#include <vector>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/exit_status.h"
#include "cli/help_text.h"
#include "cli/output.h"

namespace pubsub::cli {

ExitStatus run_command(EventLoop& loop, const Invocation& invocation) {
  switch (*invocation.command) {
    case Command::topics: return run_topics(loop, invocation);
    case Command::pub: return run_pub(loop, invocation);
    case Command::sub: return run_sub(loop, invocation);
    case Command::history: return run_history(loop, invocation);
    case Command::stats: return run_stats(loop, invocation);
    case Command::health: return run_health(loop, invocation);
  }
  return ExitStatus::usage;
}

}  // namespace pubsub::cli

int main(int argc, char** argv) {
  using namespace pubsub::cli;
  const std::vector<std::string> args(argv + 1, argv + argc);
  const ExitStatus status = run_reporting_failures(
      [&] {
        const Invocation invocation = parse_command_line(args, process_environment());
        switch (invocation.action) {
          case Invocation::Action::help:
            std::fputs((invocation.command ? command_help(*invocation.command) : tool_help()).c_str(), stdout);
            return ExitStatus::success;
          case Invocation::Action::version: print_line(version_text()); return ExitStatus::success;
          case Invocation::Action::run: break;
        }
        EventLoop loop;
        return run_command(loop, invocation);
      },
      [](std::string_view line) {
        std::fwrite(line.data(), 1, line.size(), stderr);
        std::fputc('\n', stderr);
      });
  std::fflush(stdout);
  return exit_code(status);
}
