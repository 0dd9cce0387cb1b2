#include "redis/subscriber.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <map>
#include <vector>

namespace pubsub::redis {
namespace {

// At most this many channels per SUBSCRIBE when subscribing again.
constexpr std::size_t kChannelsPerCommand = 512;

std::string_view text_of(const redisReply& reply) { return {reply.str, static_cast<std::size_t>(reply.len)}; }

}  // namespace

// The connection of a Subscriber and the state of each wanted channel.
//
// One connection never has a SUBSCRIBE and an UNSUBSCRIBE of the same
// channel unanswered at once (a subscription wanted again while leaving
// waits for the UNSUBSCRIBE's answer): hiredis 0.14 keeps one callback per
// channel and would lose track otherwise.
class SubscriberConnection final : public Connection {
 public:
  using Connection::Connection;

  MessageHandler message_handler;
  SubscribedHandler subscribed_handler;

  void subscribe(std::string_view name) {
    if (closed()) return;
    const auto found = channels_.find(name);
    if (found != channels_.end()) {
      if (found->second.phase == Phase::leaving) found->second.rejoin = true;
      return;
    }
    channels_.emplace(std::string(name), Channel{});
    if (up()) request(std::vector<std::string_view>{name});
  }

  void unsubscribe(std::string_view name) {
    const auto found = channels_.find(name);
    if (found == channels_.end()) return;
    Channel& channel = found->second;
    switch (channel.phase) {
      case Phase::wanted: channels_.erase(found); return;
      case Phase::leaving: channel.rejoin = false; return;
      case Phase::requested:
      case Phase::active: {
        const std::string_view command[] = {"UNSUBSCRIBE", name};
        if (!send_routed(command, &SubscriberConnection::on_routed_reply, nullptr)) {
          channels_.erase(found);  // the connection is going, and the subscription with it
          return;
        }
        channel.phase = Phase::leaving;
        channel.rejoin = false;
        channel.deadline = clock::now() + options().command_timeout;
        watch(channel.deadline);
        return;
      }
    }
  }

  bool subscribed(std::string_view name) const {
    const auto found = channels_.find(name);
    return found != channels_.end() && found->second.phase == Phase::active;
  }

 private:
  enum class Phase : std::uint8_t {
    wanted,     // not asked for on this connection (or there is none)
    requested,  // SUBSCRIBE sent, not yet confirmed
    active,     // confirmed: messages arrive
    leaving,    // UNSUBSCRIBE sent, not yet confirmed; messages are dropped
  };
  struct Channel {
    Phase phase = Phase::wanted;
    bool rejoin = false;        // leaving, and wanted again since
    bool after_outage = false;  // the connection was lost since the last confirmation
    clock::time_point deadline{};
  };

  void on_up() override {
    std::vector<std::string_view> names;
    for (const auto& [name, channel] : channels_) {
      if (channel.phase == Phase::wanted) names.push_back(name);
    }
    for (std::size_t first = 0; first < names.size(); first += kChannelsPerCommand) {
      const std::size_t count = std::min(kChannelsPerCommand, names.size() - first);
      request(std::span<const std::string_view>(names).subspan(first, count));
    }
  }

  void on_down() override {
    for (auto it = channels_.begin(); it != channels_.end();) {
      Channel& channel = it->second;
      if (channel.phase == Phase::leaving && !channel.rejoin) {
        it = channels_.erase(it);
        continue;
      }
      if (channel.phase == Phase::active || channel.phase == Phase::leaving) channel.after_outage = true;
      channel.phase = Phase::wanted;
      channel.rejoin = false;
      ++it;
    }
  }

  std::optional<clock::time_point> other_deadline() const override {
    std::optional<clock::time_point> oldest;
    for (const auto& [name, channel] : channels_) {
      if (channel.phase != Phase::requested && channel.phase != Phase::leaving) continue;
      if (!oldest || channel.deadline < *oldest) oldest = channel.deadline;
    }
    return oldest;
  }

  // SUBSCRIBE `names`, all wanted; they stay wanted if there is no
  // connection (the next one subscribes them).
  void request(std::span<const std::string_view> names) {
    std::vector<std::string_view> command;
    command.reserve(names.size() + 1);
    command.push_back("SUBSCRIBE");
    command.insert(command.end(), names.begin(), names.end());
    if (!send_routed(command, &SubscriberConnection::on_routed_reply, nullptr)) return;
    const auto deadline = clock::now() + options().command_timeout;
    for (const std::string_view name : names) {
      Channel& channel = channels_.find(name)->second;
      channel.phase = Phase::requested;
      channel.deadline = deadline;
    }
    watch(deadline);
  }

  // hiredis routes each pub/sub answer by its channel to this callback:
  // ["subscribe", channel, count], ["unsubscribe", channel, count] or
  // ["message", channel, payload]. A null reply: the context is going.
  static void on_routed_reply(redisAsyncContext* context, void* reply, void* /*privdata*/) {
    auto* self = static_cast<SubscriberConnection*>(static_cast<Connection*>(context->data));
    if (reply == nullptr) {
      self->context_dying(context);
      return;
    }
    if (!self->closed()) self->take(*static_cast<const redisReply*>(reply));
  }

  void take(const redisReply& reply) {
    if (reply.type != REDIS_REPLY_ARRAY || reply.elements < 3) return;
    const redisReply& kind = *reply.element[0];
    const redisReply& name = *reply.element[1];
    if (kind.type != REDIS_REPLY_STRING || name.type != REDIS_REPLY_STRING) return;
    const auto found = channels_.find(text_of(name));
    if (found == channels_.end()) return;
    Channel& channel = found->second;
    const std::string_view what = text_of(kind);
    if (what == "message") {
      const redisReply& payload = *reply.element[2];
      if (channel.phase == Phase::active && payload.type == REDIS_REPLY_STRING && message_handler) {
        call_guarded(message_handler, text_of(name), text_of(payload));
      }
    } else if (what == "subscribe") {
      if (channel.phase != Phase::requested) return;  // left meanwhile
      channel.phase = Phase::active;
      const bool after_outage = channel.after_outage;
      channel.after_outage = false;
      if (subscribed_handler) call_guarded(subscribed_handler, text_of(name), after_outage);
    } else if (what == "unsubscribe") {
      if (channel.phase != Phase::leaving) return;
      if (!channel.rejoin) {
        channels_.erase(found);
        return;
      }
      // Wanted again while leaving: messages of the time between are lost.
      channel.phase = Phase::wanted;
      channel.rejoin = false;
      channel.after_outage = true;
      request(std::vector<std::string_view>{found->first});
    }
  }

  std::map<std::string, Channel, std::less<>> channels_;
};

Subscriber::Subscriber(asio::io_context& io, RedisUrl url, ConnectionOptions options)
    : connection_(std::make_shared<SubscriberConnection>(io, std::move(url), options)) {}

Subscriber::~Subscriber() { connection_->close(); }

void Subscriber::on_state(StateHandler handler) { connection_->set_state_handler(std::move(handler)); }

void Subscriber::on_message(MessageHandler handler) { connection_->message_handler = std::move(handler); }

void Subscriber::on_subscribed(SubscribedHandler handler) { connection_->subscribed_handler = std::move(handler); }

void Subscriber::start() { connection_->start(); }

void Subscriber::subscribe(std::string_view channel) { connection_->subscribe(channel); }

void Subscriber::unsubscribe(std::string_view channel) { connection_->unsubscribe(channel); }

bool Subscriber::up() const { return connection_->up(); }

bool Subscriber::subscribed(std::string_view channel) const { return connection_->subscribed(channel); }

const std::string& Subscriber::last_error() const { return connection_->last_error(); }

}  // namespace pubsub::redis
