// Flag and environment parsing and validation; see config.h.
#include "app/config.h"

#include <arpa/inet.h>

#include <boost/program_options.hpp>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include "common/read_file.h"
#include "common/text.h"
#include "redis/redis_url.h"

#ifndef PUBSUB_VERSION
#define PUBSUB_VERSION "0.0.0"
#endif

namespace pubsub::app {
namespace {

namespace po = boost::program_options;

// The one option that may be given several times (its values add up).
constexpr std::string_view kRepeatable = "redis-url";

struct OptionSpec {
  const char* name;
  std::string default_value;
  const char* help;
};

std::vector<OptionSpec> option_specs(unsigned cores) {
  return {
      {"host", "0.0.0.0", "address to listen on (IPv4 or IPv6 literal)"},
      {"port", "8080", "TCP port; 0 picks a free port (the chosen one is printed)"},
      {"threads", std::to_string(cores), "I/O threads (default: the cores this process may use)"},
      {"io-uring", "true",
       "hand each loop pass's socket writes to the kernel together through io_uring, where the kernel allows it "
       "(true or false)"},
      {"history-size", "100", "messages kept per topic (last_n replay, resume, history over REST)"},
      {"max-queue", "1000", "outbound queue bound per connection, in messages"},
      {"max-queue-bytes", "16777216", "outbound queue bound per connection, in bytes"},
      {"backpressure", "drop_oldest", "on a full queue: drop_oldest or disconnect"},
      {"heartbeat-interval", "30", "seconds between heartbeat infos (fractions allowed; 0 = off)"},
      {"idle-timeout", "60", "seconds without any frame from a peer before closing it (0 = never)"},
      {"max-message-bytes", "1048576", "largest accepted WebSocket message (larger: close 1009)"},
      {"require-uuid", "true", "message.id must be a UUID (true or false)"},
      {"auto-create-topics", "false", "subscribe and publish create missing topics (true or false)"},
      {"api-key", "",
       "keys accepted in X-API-Key (or ?api_key= on /ws), separated by commas to rotate them; empty: no "
       "authentication"},
      {"jwt-secret", "",
       "accept JSON Web Tokens signed with HS256 and this secret (prefer PUBSUB_JWT_SECRET: flags show in ps)"},
      {"jwt-public-key", "", "accept JSON Web Tokens signed with RS256 or ES256: the PEM file of the RSA or P-256 key"},
      {"jwt-issuer", "", "tokens must carry this iss (empty: any)"},
      {"jwt-audience", "", "tokens must name this aud (empty: any)"},
      {"tls-cert", "", "PEM certificate chain: serve HTTPS and wss:// on the port (with --tls-key; SIGHUP reloads)"},
      {"tls-key", "", "PEM private key of --tls-cert"},
      {"max-connections", "100000", "open connections allowed; past it HTTP 503"},
      {"max-subscriptions", "1000", "topics one connection may hold; one more subscribe answers LIMIT_EXCEEDED"},
      {"max-topics", "100000",
       "topics the server holds; past it creating one answers 403 / LIMIT_EXCEEDED (--engine memory; with redis, "
       "bound Valkey/Redis with maxmemory)"},
      {"max-publish-rate", "0",
       "publishes per second per connection, in bursts of up to one second; over it RATE_LIMITED (0 = off)"},
      {"allowed-origins", "",
       "origins (https://app.example.com) allowed to open /ws, separated by commas; an upgrade with another "
       "Origin header gets 403 (empty: any)"},
      {"metrics-topics", "false",
       "GET /metrics also reports each topic (label topic): published, subscriptions, dropped (true or false)"},
      {"engine", "memory",
       "where topics live: memory (this process) or redis (Valkey/Redis servers shared by several nodes)"},
      {"redis-url", "",
       "with --engine redis: redis://[user:password@]host[:port][/db]; give it again (or separate by commas) to "
       "spread topics over several servers, in the same order on every node"},
      {"shutdown-timeout", "10", "seconds to flush queues on SIGINT/SIGTERM before closing"},
      {"log-level", "info", "debug, info, warn or error"},
      {"log-format", "text", "text or json (one object per line)"},
  };
}

std::string env_name(std::string_view flag) {
  std::string out = "PUBSUB_";
  for (char c : flag) out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// A value and where it came from, for error messages.
struct Source {
  std::string value;
  std::string origin;  // "--port" or "PUBSUB_PORT (--port)"
};

class Invalid : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] void invalid(const Source& source, std::string_view expected) {
  throw Invalid("invalid value '" + source.value + "' for " + source.origin + ": expected " + std::string(expected));
}

// The same for a value that is a secret: the message does not show it.
[[noreturn]] void invalid_secret(const Source& source, std::string_view expected) {
  throw Invalid("invalid value for " + source.origin + ": expected " + std::string(expected));
}

std::uint64_t integer(const Source& s, std::uint64_t min, std::uint64_t max) {
  std::uint64_t v = 0;
  const char* end = s.value.data() + s.value.size();
  auto [ptr, ec] = std::from_chars(s.value.data(), end, v);
  if (s.value.empty() || ec != std::errc{} || ptr != end || v < min || v > max) {
    invalid(s, "an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return v;
}

std::chrono::milliseconds seconds(const Source& s) {
  double v = 0;
  const char* end = s.value.data() + s.value.size();
  auto [ptr, ec] = std::from_chars(s.value.data(), end, v);
  if (s.value.empty() || ec != std::errc{} || ptr != end || !std::isfinite(v) || v < 0 || v > 1e9) {
    invalid(s, "a number of seconds >= 0 (fractions allowed)");
  }
  // Any positive value stays positive (0.0001 s is 1 ms, not "off").
  auto ms = static_cast<std::int64_t>(std::llround(v * 1000));
  return std::chrono::milliseconds(v > 0 ? std::max<std::int64_t>(ms, 1) : 0);
}

bool boolean(const Source& s) {
  if (s.value == "true") return true;
  if (s.value == "false") return false;
  invalid(s, "true or false");
}

// Splits a comma-separated value; an empty value is an empty list, an
// empty entry is invalid (`expected` says what is; a `secret` value is not
// shown).
std::vector<std::string> comma_list(const Source& s, std::string_view expected, bool secret = false) {
  std::vector<std::string> out;
  if (s.value.empty()) return out;
  for (std::string_view entry : common::split(s.value, ',')) {
    if (entry.empty()) secret ? invalid_secret(s, expected) : invalid(s, expected);
    out.emplace_back(entry);
  }
  return out;
}

std::string read_file(const Source& s) {
  std::optional<std::string> text = common::read_file(s.value);
  if (!text) invalid(s, "a readable file");
  return std::move(*text);
}

// The token verifier --jwt-secret or --jwt-public-key asks for, if any.
std::shared_ptr<const auth::JwtVerifier> jwt_verifier(const Source& secret, const Source& public_key,
                                                      const Source& issuer, const Source& audience) {
  auth::JwtRules rules{issuer.value, audience.value};
  if (!secret.value.empty() && !public_key.value.empty()) {
    throw Invalid(secret.origin + " and " + public_key.origin + " exclude each other: the key implies the algorithm");
  }
  if (!secret.value.empty()) {
    if (secret.value.size() < 32) invalid_secret(secret, "a secret of at least 32 bytes for HS256 (RFC 7518 3.2)");
    return std::make_shared<const auth::JwtVerifier>(auth::JwtVerifier::with_secret(secret.value, std::move(rules)));
  }
  if (!public_key.value.empty()) {
    try {
      return std::make_shared<const auth::JwtVerifier>(
          auth::JwtVerifier::with_public_key(read_file(public_key), std::move(rules)));
    } catch (const std::invalid_argument& e) {
      invalid(public_key, e.what());
    }
  }
  if (!issuer.value.empty() || !audience.value.empty()) {
    throw Invalid(issuer.origin + " and " + audience.origin + " need --jwt-secret or --jwt-public-key");
  }
  return nullptr;
}

// The servers of --redis-url: a comma-separated list of redis:// URLs
// (the flag given several times is joined so); an error never shows a
// password.
std::vector<redis::RedisUrl> redis_urls(const Source& s) {
  std::vector<redis::RedisUrl> out;
  for (const std::string& text : comma_list(s, "redis:// URLs separated by commas, none of them empty", true)) {
    redis::RedisUrlParse parsed = redis::parse_redis_url(text);
    if (!parsed.url) throw Invalid("invalid value for " + s.origin + ": " + parsed.error);
    out.push_back(std::move(*parsed.url));
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (out[i].host == out[j].host && out[i].port == out[j].port && out[i].db == out[j].db) {
        throw Invalid(s.origin + " names " + out[i].endpoint() + " database " + std::to_string(out[i].db) + " twice");
      }
    }
  }
  return out;
}

template <typename Enum>
Enum choice(const Source& s, const std::map<std::string, Enum>& allowed) {
  auto it = allowed.find(s.value);
  if (it != allowed.end()) return it->second;
  std::string names;
  for (const auto& [name, value] : allowed) names += (names.empty() ? "" : ", ") + name;
  invalid(s, "one of " + names);
}

std::string help_text(const po::options_description& described) {
  std::ostringstream out;
  out << "usage: pubsubd [options]\n\n"
      << "A real-time publish/subscribe server: WebSocket at /ws, REST for topics.\n"
      << "Every option may also be set by the environment variable PUBSUB_<NAME>\n"
      << "(for example --max-queue is PUBSUB_MAX_QUEUE); a flag beats its variable.\n\n"
      << described;
  return out.str();
}

void apply_values(Config& config, const std::map<std::string, Source>& values) {
  auto& s = config.server;
  const auto& v = [&](const char* name) -> const Source& { return values.at(name); };
  s.host = v("host").value;
  in6_addr scratch{};
  if (inet_pton(AF_INET, s.host.c_str(), &scratch) != 1 && inet_pton(AF_INET6, s.host.c_str(), &scratch) != 1) {
    invalid(v("host"), "an IPv4 or IPv6 address such as 0.0.0.0 or 127.0.0.1");
  }
  s.port = static_cast<std::uint16_t>(integer(v("port"), 0, 65535));
  s.threads = integer(v("threads"), 1, 1024);
  s.history_size = integer(v("history-size"), 0, 10'000'000);
  s.queue.max_frames = integer(v("max-queue"), 1, std::numeric_limits<std::uint32_t>::max());
  s.queue.max_bytes = integer(v("max-queue-bytes"), 1, std::numeric_limits<std::int64_t>::max());
  s.queue.policy = choice<core::OverflowPolicy>(v("backpressure"), {{"drop_oldest", core::OverflowPolicy::drop_oldest},
                                                                    {"disconnect", core::OverflowPolicy::disconnect}});
  s.heartbeat_interval = seconds(v("heartbeat-interval"));
  s.idle_timeout = seconds(v("idle-timeout"));
  s.max_message_bytes = integer(v("max-message-bytes"), 1, std::numeric_limits<std::uint32_t>::max());
  s.require_uuid = boolean(v("require-uuid"));
  s.auto_create_topics = boolean(v("auto-create-topics"));
  s.api_keys = comma_list(v("api-key"), "one key, or several separated by commas, none of them empty", true);
  s.jwt = jwt_verifier(v("jwt-secret"), v("jwt-public-key"), v("jwt-issuer"), v("jwt-audience"));
  s.tls_certificate = v("tls-cert").value;
  s.tls_key = v("tls-key").value;
  if (s.tls_certificate.empty() != s.tls_key.empty()) {
    throw Invalid(v("tls-cert").origin + " and " + v("tls-key").origin + " go together: give both or neither");
  }
  if (!s.tls_certificate.empty()) {
    read_file(v("tls-cert"));
    read_file(v("tls-key"));
  }
  s.max_connections = integer(v("max-connections"), 1, std::numeric_limits<std::uint32_t>::max());
  s.max_subscriptions = integer(v("max-subscriptions"), 1, std::numeric_limits<std::uint32_t>::max());
  s.max_topics = integer(v("max-topics"), 1, std::numeric_limits<std::uint32_t>::max());
  s.max_publish_rate = static_cast<std::uint32_t>(integer(v("max-publish-rate"), 0, 1'000'000'000));
  s.allowed_origins = comma_list(v("allowed-origins"), "origins separated by commas, none of them empty");
  s.metrics_topics = boolean(v("metrics-topics"));
  s.io_uring = boolean(v("io-uring"));
  s.shutdown_timeout = seconds(v("shutdown-timeout"));
  s.engine = choice<net::Engine>(v("engine"), {{"memory", net::Engine::memory}, {"redis", net::Engine::redis}});
  s.redis_urls = redis_urls(v("redis-url"));
  if (s.engine == net::Engine::redis && s.redis_urls.empty()) {
    throw Invalid(v("engine").origin + " redis needs " + v("redis-url").origin);
  }
  if (s.engine == net::Engine::memory && !s.redis_urls.empty()) {
    throw Invalid(v("redis-url").origin + " needs --engine redis");
  }
  config.log_level = choice<log::Level>(v("log-level"), {{"debug", log::Level::debug},
                                                         {"info", log::Level::info},
                                                         {"warn", log::Level::warn},
                                                         {"error", log::Level::error}});
  config.log_format = choice<log::Format>(v("log-format"), {{"text", log::Format::text}, {"json", log::Format::json}});
}

}  // namespace

ConfigResult parse_config(int argc, const char* const argv[], const EnvLookup& env, unsigned cores) {
  ConfigResult result;
  cores = std::max(cores, 1u);
  auto specs = option_specs(cores);

  po::options_description described("options", 132, 66);
  described.add_options()("help", "print this help and exit")("version", "print the version and exit");
  for (const auto& spec : specs) {
    std::string help = std::string(spec.help) + "  [" + env_name(spec.name) + "]";
    if (std::string_view(spec.name) == kRepeatable) {
      described.add_options()(spec.name, po::value<std::vector<std::string>>()->composing(), help.c_str());
      continue;
    }
    described.add_options()(spec.name,
                            po::value<std::string>()->default_value(
                                spec.default_value, spec.default_value.empty() ? "\"\"" : spec.default_value),
                            help.c_str());
  }

  po::variables_map vm;
  try {
    po::positional_options_description no_positionals;  // a stray word is an error
    po::store(po::command_line_parser(argc, argv)
                  .options(described)
                  .positional(no_positionals)
                  .style(po::command_line_style::unix_style & ~po::command_line_style::allow_guessing)
                  .run(),
              vm);
  } catch (const po::error& e) {
    result.text = std::string("pubsubd: ") + e.what() + " (see --help)";
    return result;
  }
  if (vm.count("help")) {
    result.outcome = ConfigOutcome::help;
    result.text = help_text(described);
    return result;
  }
  if (vm.count("version")) {
    result.outcome = ConfigOutcome::version;
    result.text = "pubsubd " PUBSUB_VERSION;
    return result;
  }

  std::map<std::string, Source> values;
  for (const auto& spec : specs) {
    const auto& entry = vm[spec.name];
    std::string variable = env_name(spec.name);
    if (std::string_view(spec.name) == kRepeatable && !entry.empty()) {
      std::string joined;
      for (const std::string& one : entry.as<std::vector<std::string>>()) joined += (joined.empty() ? "" : ",") + one;
      values[spec.name] = {joined, std::string("--") + spec.name};
    } else if (!entry.empty() && !entry.defaulted()) {
      values[spec.name] = {entry.as<std::string>(), std::string("--") + spec.name};
    } else if (const char* from_env = env(variable.c_str()); from_env != nullptr) {
      values[spec.name] = {from_env, variable + " (--" + spec.name + ")"};
    } else {
      values[spec.name] = {spec.default_value, std::string("--") + spec.name};
    }
  }
  try {
    apply_values(result.config, values);
  } catch (const Invalid& e) {
    result.text = std::string("pubsubd: ") + e.what();
    return result;
  }
  result.outcome = ConfigOutcome::run;
  return result;
}

}  // namespace pubsub::app
