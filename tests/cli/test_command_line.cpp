// The command line: commands, operands, options before and after the
// command, and flags against their environment variables.
#include <catch2/catch_test_macros.hpp>
#include <map>

#include "cli/command_line.h"
#include "cli/exit_status.h"

using namespace pubsub::cli;

namespace {

Environment environment(std::map<std::string, std::string> variables = {}) {
  return [variables](const std::string& name) -> std::optional<std::string> {
    auto it = variables.find(name);
    if (it == variables.end()) return std::nullopt;
    return it->second;
  };
}

Invocation parse(std::vector<std::string> args, std::map<std::string, std::string> variables = {}) {
  return parse_command_line(args, environment(std::move(variables)));
}

}  // namespace

TEST_CASE("defaults: the local server, no credentials, 10 s") {
  const Invocation i = parse({"stats"});
  CHECK(i.action == Invocation::Action::run);
  CHECK(i.command == Command::stats);
  CHECK(i.connection.url.text == "ws://127.0.0.1:8080");
  CHECK(i.connection.api_key.empty());
  CHECK(i.connection.token.empty());
  CHECK(i.connection.ca_file.empty());
  CHECK_FALSE(i.connection.insecure);
  CHECK(i.connection.timeout == std::chrono::seconds(10));
  CHECK_FALSE(i.pretty);
}

TEST_CASE("a flag beats its variable; a variable beats the default") {
  const std::map<std::string, std::string> variables = {{"PUBSUB_URL", "wss://from-env:9443"},
                                                        {"PUBSUB_API_KEY", "env-key"},
                                                        {"PUBSUB_TOKEN", "env-token"},
                                                        {"PUBSUB_CA_FILE", "/env/ca.pem"}};
  const Invocation from_env = parse({"health"}, variables);
  CHECK(from_env.connection.url.host == "from-env");
  CHECK(from_env.connection.url.tls);
  CHECK(from_env.connection.api_key == "env-key");
  CHECK(from_env.connection.token == "env-token");
  CHECK(from_env.connection.ca_file == "/env/ca.pem");

  const Invocation from_flags = parse(
      {"--url", "http://flag:1", "health", "--api-key", "flag-key", "--token=flag-token", "--ca-file", "/flag/ca.pem"},
      variables);
  CHECK(from_flags.connection.url.host == "flag");
  CHECK_FALSE(from_flags.connection.url.tls);
  CHECK(from_flags.connection.api_key == "flag-key");
  CHECK(from_flags.connection.token == "flag-token");
  CHECK(from_flags.connection.ca_file == "/flag/ca.pem");

  // An empty flag still beats the variable: it turns the credential off.
  CHECK(parse({"health", "--api-key", ""}, variables).connection.api_key.empty());
}

TEST_CASE("a bad URL names where it came from") {
  try {
    parse({"stats"}, {{"PUBSUB_URL", "localhost:8080"}});
    FAIL("accepted");
  } catch (const UsageError& e) {
    CHECK(std::string(e.what()).find("PUBSUB_URL") != std::string::npos);
  }
  try {
    parse({"stats", "--url", "ftp://x"});
    FAIL("accepted");
  } catch (const UsageError& e) {
    CHECK(std::string(e.what()).find("--url") != std::string::npos);
  }
}

TEST_CASE("global options go before or after the command") {
  const Invocation before = parse({"--timeout", "2.5", "--insecure", "sub", "a", "b"});
  const Invocation after = parse({"sub", "a", "--insecure", "b", "--timeout=2.5"});
  for (const Invocation* i : {&before, &after}) {
    CHECK(i->command == Command::sub);
    CHECK(i->sub.topics == std::vector<std::string>{"a", "b"});
    CHECK(i->connection.insecure);
    CHECK(i->connection.timeout == std::chrono::milliseconds(2500));
  }
}

TEST_CASE("topics: list by default, and its actions with a name") {
  CHECK(parse({"topics"}).topics.action == TopicsAction::list);
  CHECK(parse({"topics", "list", "--pretty"}).pretty);
  const Invocation create = parse({"topics", "create", "orders"});
  CHECK(create.topics.action == TopicsAction::create);
  CHECK(create.topics.name == "orders");
  CHECK(parse({"topics", "get", "o"}).topics.action == TopicsAction::get);
  CHECK(parse({"topics", "delete", "o"}).topics.action == TopicsAction::remove);
  CHECK_THROWS_AS(parse({"topics", "create"}), UsageError);
  CHECK_THROWS_AS(parse({"topics", "drop", "o"}), UsageError);
  CHECK_THROWS_AS(parse({"topics", "list", "o"}), UsageError);
  CHECK_THROWS_AS(parse({"topics", "get", "a", "b"}), UsageError);
}

TEST_CASE("pub: a topic, a payload or none, and its switches") {
  const Invocation one = parse({"pub", "chat", R"({"text":"hi"})"});
  CHECK(one.pub.topic == "chat");
  CHECK(one.pub.payload == R"({"text":"hi"})");
  CHECK_FALSE(one.pub.raw_string);
  CHECK_FALSE(one.pub.http);
  const Invocation lines = parse({"pub", "chat", "-v", "--print-seq", "--raw-string", "--http"});
  CHECK_FALSE(lines.pub.payload);
  CHECK(lines.pub.verbose);
  CHECK(lines.pub.print_seq);
  CHECK(lines.pub.raw_string);
  CHECK(lines.pub.http);
  CHECK(parse({"pub", "chat", "--verbose"}).pub.verbose);
  // A payload that looks like an option goes after "--".
  CHECK(parse({"pub", "chat", "--", "-1"}).pub.payload == "-1");
  CHECK_THROWS_AS(parse({"pub"}), UsageError);
  CHECK_THROWS_AS(parse({"pub", "a", "b", "c"}), UsageError);
  CHECK_THROWS_AS(parse({"pub", "\xff", "1"}), UsageError);
}

TEST_CASE("sub: topics once each, numbers checked") {
  const Invocation i = parse({"sub", "a", "b", "a", "--last-n", "5", "--count", "3", "--all-frames", "--client-id",
                              "me", "--duration", "0.5"});
  CHECK(i.sub.topics == std::vector<std::string>{"a", "b"});
  CHECK(i.sub.last_n == 5u);
  CHECK(i.sub.count == 3u);
  CHECK(i.sub.all_frames);
  CHECK(i.sub.client_id == "me");
  CHECK(i.sub.duration == std::chrono::milliseconds(500));
  const Invocation plain = parse({"sub", "a"});
  CHECK_FALSE(plain.sub.last_n);
  CHECK(plain.sub.count == 0);
  CHECK(plain.sub.client_id == "pubsub");
  CHECK_FALSE(plain.sub.duration);
  for (std::vector<std::string> bad : std::vector<std::vector<std::string>>{{"sub"},
                                                                            {"sub", "a", "--last-n", "-1"},
                                                                            {"sub", "a", "--count", "x"},
                                                                            {"sub", "a", "--count", "1.5"},
                                                                            {"sub", "a", "--duration", "0"},
                                                                            {"sub", "a", "--client-id", ""}}) {
    CHECK_THROWS_AS(parse(bad), UsageError);
  }
}

TEST_CASE("history, stats and health") {
  const Invocation h = parse({"history", "t", "--since-seq", "40", "--limit", "5", "--pretty"});
  CHECK(h.history.topic == "t");
  CHECK(h.history.since_seq == 40u);
  CHECK(h.history.limit == 5u);
  CHECK(h.pretty);
  CHECK_FALSE(parse({"history", "t"}).history.since_seq);
  CHECK_THROWS_AS(parse({"history"}), UsageError);
  CHECK_THROWS_AS(parse({"stats", "x"}), UsageError);
  CHECK(parse({"health"}).command == Command::health);
}

TEST_CASE("help and version") {
  const Invocation tool = parse({"--help"});
  CHECK(tool.action == Invocation::Action::help);
  CHECK_FALSE(tool.command);
  CHECK(parse({"-h"}).action == Invocation::Action::help);
  CHECK(parse({"help"}).action == Invocation::Action::help);
  const Invocation of_sub = parse({"help", "sub"});
  CHECK(of_sub.action == Invocation::Action::help);
  CHECK(of_sub.command == Command::sub);
  CHECK(parse({"pub", "--help"}).command == Command::pub);
  CHECK(parse({"pub", "--help"}).action == Invocation::Action::help);
  CHECK(parse({"--version"}).action == Invocation::Action::version);
  // Help needs no valid URL.
  CHECK(parse({"--help"}, {{"PUBSUB_URL", "nonsense"}}).action == Invocation::Action::help);
  CHECK_THROWS_AS(parse({"help", "nope"}), UsageError);
}

TEST_CASE("usage errors: no command, unknown command or option, options of another command") {
  for (std::vector<std::string> bad : std::vector<std::vector<std::string>>{{},
                                                                            {"publish", "t"},
                                                                            {"--bogus", "stats"},
                                                                            {"stats", "--bogus"},
                                                                            {"stats", "--last-n", "1"},
                                                                            {"pub", "t", "1", "--pretty"},
                                                                            {"stats", "--timeout", "0"},
                                                                            {"stats", "--timeout", "-1"},
                                                                            {"stats", "--url"},
                                                                            {"stats", "--insec"}}) {
    INFO(bad.size());
    CHECK_THROWS_AS(parse(bad), UsageError);
  }
}

TEST_CASE("an option's value is not taken for the command") {
  const Invocation i = parse({"--url", "ws://h:1", "--count", "2", "sub", "t"});
  CHECK(i.command == Command::sub);
  CHECK(i.sub.count == 2u);
}
