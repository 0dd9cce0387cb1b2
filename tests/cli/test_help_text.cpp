// `pubsub --help` is complete on its own: every command, option, variable
// and exit status.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "cli/help_text.h"

using namespace pubsub::cli;
using Catch::Matchers::ContainsSubstring;

TEST_CASE("the tool's help names everything") {
  const std::string help = tool_help();
  for (const char* word : {"topics [list]",
                           "topics create NAME",
                           "topics get NAME",
                           "topics delete NAME",
                           "pub TOPIC [PAYLOAD]",
                           "sub TOPIC...",
                           "history TOPIC",
                           "stats",
                           "health",
                           "help [COMMAND]",
                           "--url",
                           "--api-key",
                           "--token",
                           "--ca-file",
                           "--insecure",
                           "--timeout",
                           "--help",
                           "--version",
                           "PUBSUB_URL",
                           "PUBSUB_API_KEY",
                           "PUBSUB_TOKEN",
                           "PUBSUB_CA_FILE",
                           "ws://127.0.0.1:8080",
                           "--pretty",
                           "--raw-string",
                           "--print-seq",
                           "--verbose",
                           "--http",
                           "--last-n",
                           "--count",
                           "--duration",
                           "--all-frames",
                           "--client-id",
                           "--since-seq",
                           "--limit",
                           "recovered: false",
                           "JSON string",
                           "UUID v4"}) {
    CHECK_THAT(help, ContainsSubstring(word));
  }
  for (const char* status : {"\n  0 ", "\n  1 ", "\n  2 ", "\n  3 ", "\n  130 "}) {
    CHECK_THAT(help, ContainsSubstring(status));
  }
}

TEST_CASE("each command's help has its usage, the global options and the exit statuses") {
  for (Command command :
       {Command::topics, Command::pub, Command::sub, Command::history, Command::stats, Command::health}) {
    const std::string help = command_help(command);
    CHECK(help.starts_with("usage: pubsub [OPTIONS] " + std::string(command_name(command))));
    CHECK_THAT(help, ContainsSubstring("--url URL"));
    CHECK_THAT(help, ContainsSubstring("Exit status:"));
  }
  CHECK(version_text() == "pubsub " PUBSUB_VERSION);
}
