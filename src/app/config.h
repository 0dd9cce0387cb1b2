// Configuration of pubsubd: every option of the contract's section 8 as a
// long flag and a PUBSUB_* environment variable (the flag wins), validated
// before anything starts.
//
// Pure: parse_config reads only its arguments; call it from any thread.
#pragma once

#include <functional>
#include <string>

#include "common/log.h"
#include "net/server.h"

namespace pubsub::app {

struct Config {
  net::ServerOptions server;
  log::Level log_level = log::Level::info;
  log::Format log_format = log::Format::text;
};

enum class ConfigOutcome {
  run,      // start the server with `config`
  help,     // print `text` to standard output, exit 0
  version,  // print `text` to standard output, exit 0
  invalid,  // print `text` to standard error, exit 2
};

struct ConfigResult {
  ConfigOutcome outcome = ConfigOutcome::invalid;
  Config config;
  std::string text;
};

// Looks up an environment variable; returns nullptr when it is not set.
using EnvLookup = std::function<const char*(const char* name)>;

// Parses the command line and the environment. `cores` is the default of
// --threads (available_cores.h).
ConfigResult parse_config(int argc, const char* const argv[], const EnvLookup& env, unsigned cores);

}  // namespace pubsub::app
