// Reading pubsub's command line; see command_line.h.
#include "cli/command_line.h"

#include <algorithm>
#include <boost/program_options.hpp>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>

#include "cli/exit_status.h"
#include "common/text.h"

namespace pubsub::cli {

namespace po = boost::program_options;

namespace {

constexpr std::pair<std::string_view, Command> kCommands[] = {
    {"topics", Command::topics},   {"pub", Command::pub},     {"sub", Command::sub},
    {"history", Command::history}, {"stats", Command::stats}, {"health", Command::health},
};

// Every option that takes a value, of any command: the search for the
// command word skips their values.
const std::set<std::string, std::less<>> kValueOptions = {
    "--url",   "--api-key",   "--token",    "--ca-file",   "--timeout", "--last-n",
    "--count", "--client-id", "--duration", "--since-seq", "--limit",
};

std::optional<Command> command_named(std::string_view name) {
  for (const auto& [spelling, command] : kCommands) {
    if (spelling == name) return command;
  }
  return std::nullopt;
}

// The index of the command word in `args` (the first operand), if any.
std::optional<std::size_t> command_position(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") return i + 1 < args.size() ? std::optional(i + 1) : std::nullopt;
    if (arg.size() > 1 && arg[0] == '-') {
      if (kValueOptions.contains(arg)) ++i;
      continue;
    }
    return i;
  }
  return std::nullopt;
}

void add_global_options(po::options_description& options) {
  options.add_options()                      //
      ("url", po::value<std::string>())      //
      ("api-key", po::value<std::string>())  //
      ("token", po::value<std::string>())    //
      ("ca-file", po::value<std::string>())  //
      ("insecure", po::bool_switch())        //
      ("timeout", po::value<std::string>())  //
      ("help,h", po::bool_switch())          //
      ("version", po::bool_switch())         //
      ("operand", po::value<std::vector<std::string>>());
}

void add_command_options(po::options_description& options, std::optional<Command> command) {
  if (!command) return;
  switch (*command) {
    case Command::topics:
    case Command::stats:
    case Command::health: options.add_options()("pretty", po::bool_switch()); break;
    case Command::history:
      options.add_options()                        //
          ("pretty", po::bool_switch())            //
          ("since-seq", po::value<std::string>())  //
          ("limit", po::value<std::string>());
      break;
    case Command::pub:
      options.add_options()                  //
          ("raw-string", po::bool_switch())  //
          ("verbose,v", po::bool_switch())   //
          ("print-seq", po::bool_switch())   //
          ("http", po::bool_switch());
      break;
    case Command::sub:
      options.add_options()                        //
          ("last-n", po::value<std::string>())     //
          ("count", po::value<std::string>())      //
          ("all-frames", po::bool_switch())        //
          ("client-id", po::value<std::string>())  //
          ("duration", po::value<std::string>());
      break;
  }
}

std::uint64_t unsigned_option(const po::variables_map& values, const char* name) {
  const auto& text = values[name].as<std::string>();
  std::uint64_t out = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  if (text.empty() || ec != std::errc{} || ptr != end) {
    throw UsageError("invalid value '" + text + "' for --" + name + ": expected an integer >= 0");
  }
  return out;
}

std::chrono::milliseconds seconds_option(const po::variables_map& values, const char* name) {
  const auto& text = values[name].as<std::string>();
  double seconds = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, seconds);
  if (text.empty() || ec != std::errc{} || ptr != end || !std::isfinite(seconds) || seconds <= 0 || seconds > 1e9) {
    throw UsageError("invalid value '" + text + "' for --" + name + ": expected a number of seconds > 0");
  }
  return std::chrono::milliseconds(std::max<long long>(1, std::llround(seconds * 1000)));
}

bool flag(const po::variables_map& values, const char* name) {
  return values.count(name) != 0 && values[name].as<bool>();
}

// A flag's value, else its variable's, else nothing; `origin` says which.
std::optional<std::string> flag_or_variable(const po::variables_map& values, const char* name, const char* variable,
                                            const Environment& environment, std::string& origin) {
  if (values.count(name) != 0) {
    origin = std::string("--") + name;
    return values[name].as<std::string>();
  }
  origin = variable;
  return environment(variable);
}

std::string checked_topic(std::string topic) {
  if (!common::valid_utf8(topic)) throw UsageError("the topic name '" + topic + "' is not valid UTF-8");
  return topic;
}

void read_connection(const po::variables_map& values, const Environment& environment, ConnectionSettings& out) {
  std::string origin;
  const std::string url =
      flag_or_variable(values, "url", "PUBSUB_URL", environment, origin).value_or(std::string(kDefaultUrl));
  try {
    out.url = parse_server_url(url);
  } catch (const UsageError& e) {
    throw UsageError(std::string(e.what()) + " (from " + (origin.empty() ? "the default" : origin) + ")");
  }
  out.api_key = flag_or_variable(values, "api-key", "PUBSUB_API_KEY", environment, origin).value_or("");
  out.token = flag_or_variable(values, "token", "PUBSUB_TOKEN", environment, origin).value_or("");
  out.ca_file = flag_or_variable(values, "ca-file", "PUBSUB_CA_FILE", environment, origin).value_or("");
  out.insecure = flag(values, "insecure");
  if (values.count("timeout")) out.timeout = seconds_option(values, "timeout");
}

[[noreturn]] void wrong_operands(Command command, std::string_view what) {
  throw UsageError(std::string(command_name(command)) + ": " + std::string(what));
}

void read_topics(const std::vector<std::string>& operands, TopicsOptions& out) {
  const std::string action = operands.empty() ? "list" : operands[0];
  if (action == "list") {
    if (operands.size() > 1) wrong_operands(Command::topics, "'list' takes no name");
    out.action = TopicsAction::list;
    return;
  }
  if (action == "create") out.action = TopicsAction::create;
  else if (action == "get") out.action = TopicsAction::get;
  else if (action == "delete") out.action = TopicsAction::remove;
  else wrong_operands(Command::topics, "unknown action '" + action + "' (list, create, get or delete)");
  if (operands.size() != 2) wrong_operands(Command::topics, "'" + action + "' takes one topic name");
  out.name = checked_topic(operands[1]);
}

void read_pub(const po::variables_map& values, const std::vector<std::string>& operands, PubOptions& out) {
  if (operands.empty() || operands.size() > 2) wrong_operands(Command::pub, "expected TOPIC [PAYLOAD]");
  out.topic = checked_topic(operands[0]);
  if (operands.size() == 2) out.payload = operands[1];
  out.raw_string = flag(values, "raw-string");
  out.verbose = flag(values, "verbose");
  out.print_seq = flag(values, "print-seq");
  out.http = flag(values, "http");
}

void read_sub(const po::variables_map& values, const std::vector<std::string>& operands, SubOptions& out) {
  if (operands.empty()) wrong_operands(Command::sub, "expected at least one TOPIC");
  for (const std::string& topic : operands) {
    if (std::find(out.topics.begin(), out.topics.end(), topic) == out.topics.end()) {
      out.topics.push_back(checked_topic(topic));
    }
  }
  if (values.count("last-n")) out.last_n = unsigned_option(values, "last-n");
  if (values.count("count")) out.count = unsigned_option(values, "count");
  if (values.count("duration")) out.duration = seconds_option(values, "duration");
  if (values.count("client-id")) out.client_id = values["client-id"].as<std::string>();
  if (out.client_id.empty() || !common::valid_utf8(out.client_id)) {
    throw UsageError("invalid value for --client-id: expected a non-empty UTF-8 label");
  }
  out.all_frames = flag(values, "all-frames");
}

void read_history(const po::variables_map& values, const std::vector<std::string>& operands, HistoryOptions& out) {
  if (operands.size() != 1) wrong_operands(Command::history, "expected one TOPIC");
  out.topic = checked_topic(operands[0]);
  if (values.count("since-seq")) out.since_seq = unsigned_option(values, "since-seq");
  if (values.count("limit")) out.limit = unsigned_option(values, "limit");
}

void read_command(const po::variables_map& values, const std::vector<std::string>& operands, Invocation& out) {
  const Command command = *out.command;
  out.pretty = flag(values, "pretty");
  switch (command) {
    case Command::topics: read_topics(operands, out.topics); break;
    case Command::pub: read_pub(values, operands, out.pub); break;
    case Command::sub: read_sub(values, operands, out.sub); break;
    case Command::history: read_history(values, operands, out.history); break;
    case Command::stats:
    case Command::health:
      if (!operands.empty()) wrong_operands(command, "takes no operand");
      break;
  }
}

// `help [COMMAND]`: the invocation that prints that help.
Invocation help_invocation(const std::vector<std::string>& operands) {
  Invocation out;
  out.action = Invocation::Action::help;
  if (operands.size() > 1) throw UsageError("help: expected at most one COMMAND");
  if (operands.size() == 1) {
    out.command = command_named(operands[0]);
    if (!out.command) throw UsageError("unknown command '" + operands[0] + "'");
  }
  return out;
}

}  // namespace

Environment process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::string_view command_name(Command command) {
  for (const auto& [spelling, each] : kCommands) {
    if (each == command) return spelling;
  }
  return "?";
}

Invocation parse_command_line(const std::vector<std::string>& args, const Environment& environment) {
  std::vector<std::string> rest = args;
  std::optional<Command> command;
  bool help_command = false;
  if (auto position = command_position(args)) {
    const std::string& word = args[*position];
    help_command = word == "help";
    command = command_named(word);
    if (!command && !help_command) throw UsageError("unknown command '" + word + "'");
    rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(*position));
  }

  po::options_description options;
  add_global_options(options);
  add_command_options(options, command);
  po::positional_options_description operands;
  operands.add("operand", -1);
  po::variables_map values;
  try {
    po::store(po::command_line_parser(rest)
                  .options(options)
                  .positional(operands)
                  .style(po::command_line_style::unix_style & ~po::command_line_style::allow_guessing)
                  .run(),
              values);
  } catch (const po::error& e) {
    throw UsageError(command ? std::string(command_name(*command)) + ": " + e.what() : std::string(e.what()));
  }
  const auto words =
      values.count("operand") ? values["operand"].as<std::vector<std::string>>() : std::vector<std::string>{};

  Invocation out;
  out.command = command;
  if (help_command) return help_invocation(words);
  if (flag(values, "help")) {
    out.action = Invocation::Action::help;
    return out;
  }
  if (flag(values, "version")) {
    out.action = Invocation::Action::version;
    return out;
  }
  if (!command) throw UsageError("no command given");
  read_connection(values, environment, out.connection);
  read_command(values, words, out);
  return out;
}

}  // namespace pubsub::cli
