// Tests of the configuration (config.h) against the contract's section 8:
// defaults, both flag spellings, PUBSUB_* variables, precedence, validation
// of every option, --help and --version. The environment is a fake map.
#include "app/config.h"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

using Catch::Matchers::ContainsSubstring;
using namespace pubsub;
using app::ConfigOutcome;
using app::ConfigResult;
using namespace std::chrono_literals;

namespace {

using Env = std::map<std::string, std::string>;

ConfigResult parse(std::vector<std::string> args, const Env& env = {}, unsigned hardware_threads = 4) {
  args.insert(args.begin(), "pubsubd");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  app::EnvLookup lookup = [&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  return app::parse_config(static_cast<int>(args.size()), argv.data(), lookup, hardware_threads);
}

// "max-queue" -> "PUBSUB_MAX_QUEUE"
std::string env_name(const std::string& option) {
  std::string out = "PUBSUB_";
  for (char c : option) out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Every option, a valid non-default value, and how to read it back.
struct OptionCase {
  std::string name;
  std::string value;
  std::function<bool(const app::Config&)> applied;
};

std::vector<OptionCase> option_cases() {
  return {
      {"host", "127.0.0.1", [](const app::Config& c) { return c.server.host == "127.0.0.1"; }},
      {"port", "9090", [](const app::Config& c) { return c.server.port == 9090; }},
      {"threads", "3", [](const app::Config& c) { return c.server.threads == 3; }},
      {"history-size", "7", [](const app::Config& c) { return c.server.history_size == 7; }},
      {"max-queue", "5", [](const app::Config& c) { return c.server.queue.max_frames == 5; }},
      {"max-queue-bytes", "4096", [](const app::Config& c) { return c.server.queue.max_bytes == 4096; }},
      {"backpressure", "disconnect",
       [](const app::Config& c) { return c.server.queue.policy == core::OverflowPolicy::disconnect; }},
      {"heartbeat-interval", "2", [](const app::Config& c) { return c.server.heartbeat_interval == 2000ms; }},
      {"idle-timeout", "15", [](const app::Config& c) { return c.server.idle_timeout == 15000ms; }},
      {"max-message-bytes", "2048", [](const app::Config& c) { return c.server.max_message_bytes == 2048; }},
      {"require-uuid", "false", [](const app::Config& c) { return !c.server.require_uuid; }},
      {"auto-create-topics", "true", [](const app::Config& c) { return c.server.auto_create_topics; }},
      {"api-key", "k3y", [](const app::Config& c) { return c.server.api_keys == std::vector<std::string>{"k3y"}; }},
      {"max-connections", "10", [](const app::Config& c) { return c.server.max_connections == 10; }},
      {"shutdown-timeout", "3", [](const app::Config& c) { return c.server.shutdown_timeout == 3000ms; }},
      {"log-level", "debug", [](const app::Config& c) { return c.log_level == log::Level::debug; }},
      {"log-format", "json", [](const app::Config& c) { return c.log_format == log::Format::json; }},
  };
}

const std::vector<std::string> kIntegerOptions = {
    "port", "threads", "history-size", "max-queue", "max-queue-bytes", "max-message-bytes", "max-connections"};
const std::vector<std::string> kSecondsOptions = {"heartbeat-interval", "idle-timeout", "shutdown-timeout"};

void check_invalid(const ConfigResult& r, const std::string& names) {
  CHECK(r.outcome == ConfigOutcome::invalid);
  CHECK_THAT(r.text, ContainsSubstring(names));
}

}  // namespace

TEST_CASE("defaults follow the contract's table", "[config]") {
  auto r = parse({});
  REQUIRE(r.outcome == ConfigOutcome::run);
  const auto& s = r.config.server;
  CHECK(s.host == "0.0.0.0");
  CHECK(s.port == 8080);
  CHECK(s.threads == 4);  // the number of cores given
  CHECK(s.history_size == 100);
  CHECK(s.queue.max_frames == 1000);
  CHECK(s.queue.max_bytes == 16777216);
  CHECK(s.queue.policy == core::OverflowPolicy::drop_oldest);
  CHECK(s.heartbeat_interval == 30s);
  CHECK(s.idle_timeout == 60s);
  CHECK(s.max_message_bytes == 1048576);
  CHECK(s.require_uuid);
  CHECK_FALSE(s.auto_create_topics);
  CHECK(s.api_keys.empty());
  CHECK(s.jwt == nullptr);
  CHECK(s.max_connections == 100000);
  CHECK(s.shutdown_timeout == 10s);
  CHECK(r.config.log_level == log::Level::info);
  CHECK(r.config.log_format == log::Format::text);

  CHECK(parse({}, {}, 1).config.server.threads == 1);
  CHECK(parse({}, {}, 16).config.server.threads == 16);
  CHECK(parse({}, {}, 0).config.server.threads == 1);  // unknown core count: at least one
}

TEST_CASE("every option is read from --flag value, --flag=value and its variable", "[config]") {
  for (const OptionCase& option : option_cases()) {
    CAPTURE(option.name, option.value);
    const std::string flag = "--" + option.name;
    auto separate = parse({flag, option.value});
    REQUIRE(separate.outcome == ConfigOutcome::run);
    CHECK(option.applied(separate.config));

    auto joined = parse({flag + "=" + option.value});
    REQUIRE(joined.outcome == ConfigOutcome::run);
    CHECK(option.applied(joined.config));

    auto from_env = parse({}, {{env_name(option.name), option.value}});
    REQUIRE(from_env.outcome == ConfigOutcome::run);
    CHECK(option.applied(from_env.config));

    // The default is something else, so the checks above meant something.
    CHECK_FALSE(option.applied(parse({}).config));
  }
}

TEST_CASE("a flag beats its variable", "[config]") {
  auto r = parse({"--max-queue", "7", "--log-level=warn"},
                 {{"PUBSUB_MAX_QUEUE", "9"}, {"PUBSUB_LOG_LEVEL", "error"}, {"PUBSUB_PORT", "1234"}});
  REQUIRE(r.outcome == ConfigOutcome::run);
  CHECK(r.config.server.queue.max_frames == 7);
  CHECK(r.config.log_level == log::Level::warn);
  CHECK(r.config.server.port == 1234);  // no flag: the variable counts
  // An invalid variable is ignored when the flag is given.
  CHECK(parse({"--port", "1"}, {{"PUBSUB_PORT", "junk"}}).outcome == ConfigOutcome::run);
  // Unrelated variables are ignored.
  CHECK(parse({}, {{"PUBSUB_NOT_AN_OPTION", "x"}, {"MAX_QUEUE", "junk"}}).outcome == ConfigOutcome::run);
}

TEST_CASE("numeric options reject negatives, non-numbers and junk", "[config][invalid]") {
  std::vector<std::string> options = kIntegerOptions;
  options.insert(options.end(), kSecondsOptions.begin(), kSecondsOptions.end());
  auto value = GENERATE(as<std::string>{}, "-1", "-0.5", "abc", "12abc", "1 2", " 5", "5 ", "", "0x10", "+5", "5s",
                        "1,5", "nan", "inf", "1e400", "99999999999999999999999999");
  for (const std::string& option : options) {
    CAPTURE(option, value);
    check_invalid(parse({"--" + option + "=" + value}), "--" + option);
    auto from_env = parse({}, {{env_name(option), value}});
    check_invalid(from_env, env_name(option));
    CHECK_THAT(from_env.text, ContainsSubstring("--" + option));
  }
}

TEST_CASE("a negative number after a space names the option", "[config][invalid]") {
  for (std::string option : {"max-queue", "port", "heartbeat-interval"}) {
    CAPTURE(option);
    check_invalid(parse({"--" + option, "-5"}), "--" + option);
  }
}

TEST_CASE("integer options reject fractions and values out of range", "[config][invalid]") {
  for (const std::string& option : kIntegerOptions) {
    CAPTURE(option);
    check_invalid(parse({"--" + option, "1.5"}), "--" + option);
  }
  check_invalid(parse({"--port", "65536"}), "--port");
  CHECK(parse({"--port", "65535"}).config.server.port == 65535);
  CHECK(parse({"--port", "0"}).config.server.port == 0);  // picks a free port
  check_invalid(parse({"--threads", "0"}), "--threads");
  check_invalid(parse({"--max-queue", "0"}), "--max-queue");
  check_invalid(parse({"--max-queue-bytes", "0"}), "--max-queue-bytes");
  check_invalid(parse({"--max-message-bytes", "0"}), "--max-message-bytes");
  check_invalid(parse({"--max-connections", "0"}), "--max-connections");
  CHECK(parse({"--history-size", "0"}).config.server.history_size == 0);
}

TEST_CASE("seconds accept fractions", "[config]") {
  CHECK(parse({"--heartbeat-interval", "0.25"}).config.server.heartbeat_interval == 250ms);
  CHECK(parse({"--heartbeat-interval=1.5"}).config.server.heartbeat_interval == 1500ms);
  CHECK(parse({}, {{"PUBSUB_HEARTBEAT_INTERVAL", "0.75"}}).config.server.heartbeat_interval == 750ms);
  CHECK(parse({"--heartbeat-interval", "0"}).config.server.heartbeat_interval == 0ms);  // off
  CHECK(parse({"--idle-timeout", "0.5"}).config.server.idle_timeout == 500ms);
  CHECK(parse({"--idle-timeout", "0"}).config.server.idle_timeout == 0ms);
  CHECK(parse({"--shutdown-timeout", "2.5"}).config.server.shutdown_timeout == 2500ms);
}

TEST_CASE("enumerations accept only their values", "[config][invalid]") {
  CHECK(parse({"--backpressure", "drop_oldest"}).config.server.queue.policy == core::OverflowPolicy::drop_oldest);
  for (const char* level : {"debug", "info", "warn", "error"}) {
    CAPTURE(level);
    CHECK(parse({"--log-level", level}).outcome == ConfigOutcome::run);
  }
  CHECK(parse({"--log-level", "error"}).config.log_level == log::Level::error);
  CHECK(parse({"--log-format", "text"}).config.log_format == log::Format::text);

  for (const char* bad : {"drop-oldest", "DROP_OLDEST", "drop", "", "close", "disconnect "}) {
    CAPTURE(bad);
    check_invalid(parse({std::string("--backpressure=") + bad}), "--backpressure");
    check_invalid(parse({}, {{"PUBSUB_BACKPRESSURE", bad}}), "PUBSUB_BACKPRESSURE");
  }
  for (const char* bad : {"verbose", "INFO", "warning", "trace", ""}) {
    CAPTURE(bad);
    check_invalid(parse({std::string("--log-level=") + bad}), "--log-level");
    check_invalid(parse({}, {{"PUBSUB_LOG_LEVEL", bad}}), "PUBSUB_LOG_LEVEL");
  }
  for (const char* bad : {"xml", "JSON", "plain", ""}) {
    CAPTURE(bad);
    check_invalid(parse({std::string("--log-format=") + bad}), "--log-format");
    check_invalid(parse({}, {{"PUBSUB_LOG_FORMAT", bad}}), "PUBSUB_LOG_FORMAT");
  }
}

TEST_CASE("booleans are only true or false", "[config][invalid]") {
  for (const std::string option : {"require-uuid", "auto-create-topics"}) {
    CHECK(parse({"--" + option, "true"}).outcome == ConfigOutcome::run);
    CHECK(parse({"--" + option, "false"}).outcome == ConfigOutcome::run);
    for (const char* bad : {"1", "0", "yes", "no", "TRUE", "False", "on", "t", ""}) {
      CAPTURE(option, bad);
      check_invalid(parse({"--" + option + "=" + bad}), "--" + option);
      check_invalid(parse({}, {{env_name(option), bad}}), env_name(option));
    }
  }
  CHECK(parse({"--require-uuid", "true"}).config.server.require_uuid);
  CHECK_FALSE(parse({"--require-uuid=false"}).config.server.require_uuid);
  CHECK(parse({"--auto-create-topics=true"}).config.server.auto_create_topics);
}

TEST_CASE("the host must be an IP address", "[config][invalid]") {
  CHECK(parse({"--host", "::1"}).config.server.host == "::1");
  CHECK(parse({"--host", "::"}).outcome == ConfigOutcome::run);
  for (const char* bad : {"localhost", "256.0.0.1", "1.2.3", "", "example.com", "0.0.0.0:80"}) {
    CAPTURE(bad);
    check_invalid(parse({std::string("--host=") + bad}), "--host");
  }
}

TEST_CASE("unknown options and stray arguments are invalid", "[config][invalid]") {
  check_invalid(parse({"--bogus"}), "bogus");
  check_invalid(parse({"--bogus=1"}), "bogus");
  check_invalid(parse({"--max-queu", "5"}), "max-queu");  // no guessing of abbreviations
  CHECK(parse({"-x"}).outcome == ConfigOutcome::invalid);
  CHECK(parse({"--port"}).outcome == ConfigOutcome::invalid);  // value missing
}

// Only "--flag value" and "--flag=value" are allowed: a word that is neither
// must stop the server instead of being ignored (e.g. a value given twice).
TEST_CASE("stray arguments that belong to no option are invalid", "[config][invalid]") {
  CHECK(parse({"stray"}).outcome == ConfigOutcome::invalid);
  CHECK(parse({"--port", "8081", "8082"}).outcome == ConfigOutcome::invalid);
}

TEST_CASE("--help lists every option with its default and variable", "[config][help]") {
  auto r = parse({"--help"}, {}, 6);
  REQUIRE(r.outcome == ConfigOutcome::help);
  const std::map<std::string, std::string> defaults = {
      {"host", "0.0.0.0"},
      {"port", "8080"},
      {"threads", "6"},
      {"history-size", "100"},
      {"max-queue", "1000"},
      {"max-queue-bytes", "16777216"},
      {"backpressure", "drop_oldest"},
      {"heartbeat-interval", "30"},
      {"idle-timeout", "60"},
      {"max-message-bytes", "1048576"},
      {"require-uuid", "true"},
      {"auto-create-topics", "false"},
      {"api-key", "\"\""},
      {"jwt-secret", "\"\""},
      {"jwt-public-key", "\"\""},
      {"jwt-issuer", "\"\""},
      {"jwt-audience", "\"\""},
      {"max-connections", "100000"},
      {"max-subscriptions", "1000"},
      {"max-topics", "100000"},
      {"max-publish-rate", "0"},
      {"allowed-origins", "\"\""},
      {"shutdown-timeout", "10"},
      {"engine", "memory"},
      {"log-level", "info"},
      {"log-format", "text"},
  };
  for (const auto& [name, value] : defaults) {
    CAPTURE(name);
    // Each option's line carries its default and, unbroken, its variable.
    CHECK_THAT(r.text, ContainsSubstring("--" + name + " "));
    CHECK_THAT(r.text, ContainsSubstring("--" + name + " arg (=" + value + ")"));
    CHECK_THAT(r.text, ContainsSubstring("[" + env_name(name) + "]"));
  }
  CHECK_THAT(r.text, ContainsSubstring("--help"));
  CHECK_THAT(r.text, ContainsSubstring("--version"));
  // --help wins over invalid values elsewhere.
  CHECK(parse({"--max-queue=junk", "--help"}).outcome == ConfigOutcome::help);
}

TEST_CASE("--version prints the version", "[config]") {
  auto r = parse({"--version"});
  CHECK(r.outcome == ConfigOutcome::version);
  CHECK(r.text == "pubsubd " PUBSUB_VERSION);
}

TEST_CASE("--api-key takes one key or several separated by commas, none empty", "[config][invalid]") {
  CHECK(parse({"--api-key", "new,old"}).config.server.api_keys == std::vector<std::string>{"new", "old"});
  for (const char* bad : {",", "k3y,", ",k3y", "k3y,,b"}) {
    CAPTURE(bad);
    const ConfigResult r = parse({std::string("--api-key=") + bad});
    check_invalid(r, "--api-key");
    CHECK_THAT(r.text, !ContainsSubstring("k3y"));  // keys are never shown
  }
}

TEST_CASE("--jwt-secret and --jwt-public-key: one of them, a secret of 32 bytes, a key of a known kind",
          "[config][invalid]") {
  const std::string secret(32, 's');
  const ConfigResult hs = parse({"--jwt-secret", secret, "--jwt-issuer", "i", "--jwt-audience", "a"});
  REQUIRE(hs.outcome == ConfigOutcome::run);
  REQUIRE(hs.config.server.jwt);
  CHECK(hs.config.server.jwt->algorithm() == auth::JwtAlgorithm::hs256);
  const ConfigResult short_secret = parse({"--jwt-secret", "short-s3cret"});
  check_invalid(short_secret, "--jwt-secret");
  CHECK_THAT(short_secret.text, !ContainsSubstring("short-s3cret"));
  check_invalid(parse({}, {{"PUBSUB_JWT_SECRET", "short"}}), "PUBSUB_JWT_SECRET");
  check_invalid(parse({"--jwt-secret", secret, "--jwt-public-key", "/etc/hostname"}), "--jwt-public-key");
  check_invalid(parse({"--jwt-public-key", "/nonexistent/key.pem"}), "--jwt-public-key");
  check_invalid(parse({"--jwt-public-key", "/etc/hostname"}), "--jwt-public-key");
  check_invalid(parse({"--jwt-issuer", "i"}), "--jwt-issuer");
}

TEST_CASE("the limits of section 12: defaults, values and bad values", "[config][limits]") {
  const auto defaults = parse({}).config.server;
  CHECK(defaults.max_subscriptions == 1000);
  CHECK(defaults.max_topics == 100000);
  CHECK(defaults.max_publish_rate == 0);
  CHECK(defaults.allowed_origins.empty());
  const auto set = parse({"--max-subscriptions", "3", "--max-topics", "7", "--max-publish-rate", "50",
                          "--allowed-origins", "https://a.example,http://localhost:3000"})
                       .config.server;
  CHECK(set.max_subscriptions == 3);
  CHECK(set.max_topics == 7);
  CHECK(set.max_publish_rate == 50);
  CHECK(set.allowed_origins == std::vector<std::string>{"https://a.example", "http://localhost:3000"});
  check_invalid(parse({"--max-subscriptions", "0"}), "--max-subscriptions");
  check_invalid(parse({"--max-topics", "0"}), "--max-topics");
  check_invalid(parse({"--max-publish-rate", "-1"}), "--max-publish-rate");
  check_invalid(parse({"--max-publish-rate", "1.5"}), "--max-publish-rate");
  check_invalid(parse({"--allowed-origins", "https://a.example,"}), "--allowed-origins");
}

TEST_CASE("--engine and --redis-url (section 15): memory by default, redis with one URL or several",
          "[config][engine]") {
  const auto defaults = parse({}).config.server;
  CHECK(defaults.engine == net::Engine::memory);
  CHECK(defaults.redis_urls.empty());

  const auto one = parse({"--engine", "redis", "--redis-url", "redis://:pw@cache.internal:6380/2"}).config.server;
  CHECK(one.engine == net::Engine::redis);
  REQUIRE(one.redis_urls.size() == 1);
  CHECK(one.redis_urls[0].host == "cache.internal");
  CHECK(one.redis_urls[0].port == 6380);
  CHECK(one.redis_urls[0].password == "pw");
  CHECK(one.redis_urls[0].db == 2);

  // Given twice, or separated by commas: the servers in that order.
  const auto twice =
      parse({"--engine=redis", "--redis-url", "redis://a:7001", "--redis-url", "redis://b:7002"}).config.server;
  REQUIRE(twice.redis_urls.size() == 2);
  CHECK(twice.redis_urls[0].host == "a");
  CHECK(twice.redis_urls[1].host == "b");
  const auto env = parse({}, {{"PUBSUB_ENGINE", "redis"}, {"PUBSUB_REDIS_URL", "redis://a:7001,redis://b:7002"}});
  REQUIRE(env.outcome == ConfigOutcome::run);
  REQUIRE(env.config.server.redis_urls.size() == 2);
  CHECK(env.config.server.redis_urls[1].port == 7002);
  // The flag beats the variable.
  const auto flag =
      parse({"--redis-url", "redis://c"}, {{"PUBSUB_ENGINE", "redis"}, {"PUBSUB_REDIS_URL", "redis://a"}});
  REQUIRE(flag.config.server.redis_urls.size() == 1);
  CHECK(flag.config.server.redis_urls[0].host == "c");

  check_invalid(parse({"--engine", "etcd"}), "--engine");
  check_invalid(parse({"--engine", "redis"}), "--redis-url");
  check_invalid(parse({"--redis-url", "redis://a"}), "--engine redis");
  check_invalid(parse({"--engine", "redis", "--redis-url", "http://a"}), "--redis-url");
  check_invalid(parse({"--engine", "redis", "--redis-url", "redis://a,"}), "--redis-url");
  check_invalid(parse({"--engine", "redis", "--redis-url", "redis://a:1", "--redis-url", "redis://a:1/0"}), "twice");
  // A bad URL's message never shows its password.
  const auto secret = parse({"--engine", "redis", "--redis-url", "redis://:hunter2@a:99999"});
  CHECK(secret.outcome == ConfigOutcome::invalid);
  CHECK_THAT(secret.text, !ContainsSubstring("hunter2"));
}
