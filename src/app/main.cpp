// pubsubd: reads the configuration, then runs the server until a signal
// asks it to stop. Exit codes: 0 after a clean shutdown, 1 when the server
// cannot start (for example the port is taken), 2 for a bad configuration.
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "app/available_cores.h"
#include "app/config.h"
#include "common/log.h"
#include "net/server.h"

namespace {

// Each connection is a file descriptor: allow as many as the hard limit does.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace pubsub;
  auto result =
      app::parse_config(argc, argv, [](const char* name) { return std::getenv(name); }, app::available_cores());
  switch (result.outcome) {
    case app::ConfigOutcome::help:
    case app::ConfigOutcome::version: std::printf("%s\n", result.text.c_str()); return 0;
    case app::ConfigOutcome::invalid: std::fprintf(stderr, "%s\n", result.text.c_str()); return 2;
    case app::ConfigOutcome::run: break;
  }
  log::configure(result.config.log_level, result.config.log_format);
  raise_open_file_limit();
  try {
    net::Server server(result.config.server);
    return server.run();
  } catch (const std::exception& e) {
    log::error("cannot start", {{"error", e.what()}});
    return 1;
  }
}
