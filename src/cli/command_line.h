// pubsub's command line: the command, its operands and options, and the
// global options, with the environment variables that stand in for flags
// (PUBSUB_URL, PUBSUB_API_KEY, PUBSUB_TOKEN, PUBSUB_CA_FILE; a flag beats
// its variable). Global options may come before or after the command.
//
// Pure (the environment is passed in); any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/connection_settings.h"

namespace pubsub::cli {

enum class Command { topics, pub, sub, history, stats, health };

enum class TopicsAction { list, create, get, remove };

struct TopicsOptions {
  TopicsAction action = TopicsAction::list;
  std::string name;  // create, get, remove
};

struct PubOptions {
  std::string topic;
  std::optional<std::string> payload;  // none: one message per line of standard input
  bool raw_string = false;
  bool verbose = false;
  bool print_seq = false;
  bool http = false;
};

struct SubOptions {
  std::vector<std::string> topics;  // each once, in the order given
  std::optional<std::uint64_t> last_n;
  std::uint64_t count = 0;  // 0: no limit
  bool all_frames = false;
  std::string client_id = "pubsub";
  std::optional<std::chrono::milliseconds> duration;
};

struct HistoryOptions {
  std::string topic;
  std::optional<std::uint64_t> since_seq;
  std::optional<std::uint64_t> limit;
};

struct Invocation {
  enum class Action { run, help, version };
  Action action = Action::run;
  std::optional<Command> command;  // help: none for the tool's own
  ConnectionSettings connection;
  bool pretty = false;
  TopicsOptions topics;
  PubOptions pub;
  SubOptions sub;
  HistoryOptions history;
};

// Looks up an environment variable; nullopt when it is not set.
using Environment = std::function<std::optional<std::string>(const std::string& name)>;

// The process's own environment.
Environment process_environment();

// The name of `command` as typed ("topics", "pub", ...).
std::string_view command_name(Command command);

// Reads `args` (without the program name). Throws UsageError
// (exit_status.h) naming the option, operand or variable that is wrong.
Invocation parse_command_line(const std::vector<std::string>& args, const Environment& environment);

}  // namespace pubsub::cli
