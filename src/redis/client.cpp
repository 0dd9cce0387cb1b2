#include "redis/client.h"

#include <boost/container/small_vector.hpp>
#include <unordered_set>
#include <vector>

namespace pubsub::redis {
namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

// Commands that would take the connection out of plain request and answer
// (pub/sub, MONITOR, RESP3, replies turned off, a reset login): the order
// of answers, on which every pending command relies, would be lost.
bool refused(std::span<const std::string_view> args) {
  static constexpr std::string_view kRefused[] = {"subscribe",    "psubscribe",   "ssubscribe", "unsubscribe",
                                                  "punsubscribe", "sunsubscribe", "monitor",    "hello",
                                                  "reset",        "quit"};
  for (const std::string_view name : kRefused) {
    if (equal_ignoring_case(args[0], name)) return true;
  }
  return args.size() >= 2 && equal_ignoring_case(args[0], "client") && equal_ignoring_case(args[1], "reply");
}

}  // namespace

// The connection of a Client, and the scripts loaded on it.
class ClientConnection final : public Connection {
 public:
  using Connection::Connection;

  void command(std::span<const std::string_view> args, ReplyHandler handler) {
    if (closed()) return;
    if (args.empty()) {
      post_error(std::move(handler), "ERR empty command");
      return;
    }
    if (refused(args)) {
      post_error(std::move(handler),
                 "ERR " + std::string(args[0]) + " is not allowed on redis::Client (pub/sub has redis::Subscriber)");
      return;
    }
    if (!up() || !send(args, handler)) post_unavailable(std::move(handler), unavailable_reason());
  }

  void run_script(const Script& script, std::span<const std::string_view> keys, std::span<const std::string_view> args,
                  ReplyHandler handler) {
    if (closed()) return;
    if (!up()) {
      post_unavailable(std::move(handler), unavailable_reason());
      return;
    }
    load(script);
    ScriptCall call{script, {keys.begin(), keys.end()}, {args.begin(), args.end()}, std::move(handler)};
    ReplyHandler on_reply = [this, call = std::move(call)](Reply reply) mutable {
      if (reply.is_error("NOSCRIPT")) {
        evaluate(std::move(call));
        return;
      }
      call_guarded(call.handler, std::move(reply));
    };
    const std::string key_count = std::to_string(keys.size());
    if (!send(script_command("EVALSHA", script.sha1(), key_count, keys, args), on_reply)) {
      post_unavailable(std::move(on_reply), unavailable_reason());
    }
  }

 private:
  struct ScriptCall {
    Script script;
    std::vector<std::string> keys;
    std::vector<std::string> args;
    ReplyHandler handler;
  };
  using Arguments = boost::container::small_vector<std::string_view, 8>;

  // NAME script key_count keys... args... (EVALSHA or EVAL).
  template <typename Keys, typename Args>
  static Arguments script_command(std::string_view name, std::string_view script, std::string_view key_count,
                                  const Keys& keys, const Args& args) {
    Arguments command{name, script, key_count};
    command.insert(command.end(), keys.begin(), keys.end());
    command.insert(command.end(), args.begin(), args.end());
    return command;
  }

  void on_up() override { loaded_.clear(); }
  void on_down() override { loaded_.clear(); }

  // SCRIPT LOAD once per connection, ahead of the script's first EVALSHA
  // (the same pass, so both leave together).
  void load(const Script& script) {
    if (loaded_.contains(script.sha1())) return;
    const std::string_view load_command[] = {"SCRIPT", "LOAD", script.source()};
    ReplyHandler on_loaded = [this, sha1 = script.sha1()](Reply reply) {
      if (reply.kind != ReplyKind::string || reply.text != sha1) loaded_.erase(sha1);
    };
    if (send(load_command, on_loaded)) loaded_.insert(script.sha1());
  }

  // The server does not have the script (SCRIPT FLUSH, a failover): EVAL
  // sends its source, which also caches it there again, so the script
  // stays counted as loaded.
  void evaluate(ScriptCall call) {
    const std::string key_count = std::to_string(call.keys.size());
    if (!send(script_command("EVAL", call.script.source(), key_count, call.keys, call.args), call.handler)) {
      post_unavailable(std::move(call.handler), unavailable_reason());
    }
  }

  void post_error(ReplyHandler handler, std::string message) {
    asio::post(io(), [weak = weak_from_this(), handler = std::move(handler), message = std::move(message)]() mutable {
      const auto self = weak.lock();
      if (!self || self->closed()) return;
      call_guarded(handler, Reply::error(std::move(message)));
    });
  }

  std::unordered_set<std::string> loaded_;  // SHA1s loaded on this connection
};

Client::Client(asio::io_context& io, RedisUrl url, ConnectionOptions options)
    : connection_(std::make_shared<ClientConnection>(io, std::move(url), options)) {}

Client::~Client() { connection_->close(); }

void Client::on_state(StateHandler handler) { connection_->set_state_handler(std::move(handler)); }

void Client::start() { connection_->start(); }

bool Client::up() const { return connection_->up(); }

const std::string& Client::last_error() const { return connection_->last_error(); }

void Client::command(std::span<const std::string_view> args, ReplyHandler handler) {
  connection_->command(args, std::move(handler));
}

void Client::command(std::initializer_list<std::string_view> args, ReplyHandler handler) {
  connection_->command(std::span<const std::string_view>(args.begin(), args.size()), std::move(handler));
}

void Client::run_script(const Script& script, std::span<const std::string_view> keys,
                        std::span<const std::string_view> args, ReplyHandler handler) {
  connection_->run_script(script, keys, args, std::move(handler));
}

}  // namespace pubsub::redis
