// A WebSocket connection's requests with --engine redis: publishes through
// Valkey/Redis with their acks in request order (each after the
// connection's own event of it), and subscribes to topics the node's
// mirror loads first; see ws_connection.h.
#include <algorithm>
#include <string>

#include "core/broker.h"
#include "net/broker_frames.h"
#include "net/timeouts.h"
#include "net/ws_connection.h"
#include "net/ws_connection_shared.h"

namespace pubsub::net {
namespace {

using protocol::ErrorCode;

// A subscribe whose topic another node deleted between the load and the
// subscribe loads it again, this many times at most.
constexpr int kMaxLoads = 3;

std::string unreachable(std::string_view what) {
  return "Valkey/Redis is unreachable: " + std::string(what) + "; try again";
}

std::string does_not_exist(std::string_view topic) { return "topic '" + std::string(topic) + "' does not exist"; }

}  // namespace

std::shared_ptr<WsConnection*> WsConnection::self_handle() {
  if (!shared_) shared_ = std::make_unique<Shared>(this);
  return shared_->self;
}

void WsConnection::send_ready_replies() {
  shared_->line.take_ready([this](std::string_view frame) { push_control(core::Outbound::control(frame)); });
}

void WsConnection::after_deferred_reply() {
  send_ready_replies();
  if (shared_->line.empty() && shared_->held) run_held_request();
  on_shared_answer();
}

void WsConnection::finish_held_request() {
  context_.counts.count_request(shared_->held->type, request_error_);
  shared_->held.reset();
  shared_->awaiting = false;
  on_shared_answer();
}

// ------------------------------------------------------------------ publish

void WsConnection::publish_shared(SharedTopicsLink& link, const protocol::Request& request) {
  auto self = self_handle();
  const DeferredReplies::Place place = shared_->line.reserve();
  shared_->count_later = true;
  std::optional<std::string> request_id;
  if (request.request_id) request_id.emplace(*request.request_id);
  link.publish(
      request.topic, request.message_id_raw, request.payload_raw, context_.settings.auto_create_topics,
      [self, place, request_id = std::move(request_id),
       topic = request.topic](engine::StoreResult<engine::PublishReceipt> result) {
        WsConnection* connection = *self;
        if (connection == nullptr) return;
        std::optional<std::string_view> id;
        if (request_id) id = *request_id;
        std::string& scratch = connection->scratch();
        std::optional<ErrorCode> error;
        std::string_view frame;
        switch (result.status) {
          case engine::StoreStatus::ok:
          case engine::StoreStatus::exists:
            connection->context_.counts.published_websocket.add();
            frame = frame_ack(scratch, id, topic, {std::nullopt, result.value.last_seq, std::nullopt});
            break;
          case engine::StoreStatus::not_found:
            error = ErrorCode::topic_not_found;
            frame = frame_error(scratch, id, *error, does_not_exist(topic));
            break;
          case engine::StoreStatus::unavailable:
            error = ErrorCode::unavailable;
            frame = frame_error(scratch, id, *error, unreachable("the message was not published"));
            break;
        }
        connection->context_.counts.count_request(protocol::RequestType::publish, error);
        // A publisher that holds the topic gets its event first
        // (section 3): it comes through the node's feed, and may
        // not have reached this shard yet.
        if (!error && connection->shard().subscriptions().awaits_event(*connection, topic, result.value.last_seq)) {
          return connection->park_ack(place, frame, topic, result.value.last_seq);
        }
        connection->shared_->line.fill(place, frame);
        connection->after_deferred_reply();
      });
}

void WsConnection::park_ack(std::uint64_t place, std::string_view frame, std::string_view topic, std::uint64_t seq) {
  if (shared_->parked.empty()) context_.acks_awaiting_events.push_back(this);
  shared_->parked.push_back(
      {place, std::string(frame), std::string(topic), seq, std::chrono::steady_clock::now() + kAckAwaitsEventTimeout});
}

void WsConnection::release_waiting_acks(ConnectionContext& context,
                                        std::optional<std::chrono::steady_clock::time_point> now) {
  std::vector<WsConnection*>& waiting = context.acks_awaiting_events;
  // Backwards: a connection whose last ack goes leaves the list, which
  // moves only the connections seen already.
  for (std::size_t i = waiting.size(); i-- > 0;) {
    if (i < waiting.size()) waiting[i]->release_acks(now);
  }
}

void WsConnection::release_acks(std::optional<std::chrono::steady_clock::time_point> now) {
  if (!shared_ || shared_->parked.empty()) return;
  const core::SubscriptionIndex& index = shard().subscriptions();
  const std::size_t before = shared_->parked.size();
  std::erase_if(shared_->parked, [&](const Shared::ParkedAck& ack) {
    if (index.awaits_event(*this, ack.topic, ack.seq)) {
      if (!now || *now < ack.deadline) return false;
      context_.counts.acks_ahead_of_event.add();
    }
    shared_->line.fill(ack.place, ack.frame);
    return true;
  });
  if (shared_->parked.empty()) std::erase(context_.acks_awaiting_events, this);
  if (shared_->parked.size() != before) after_deferred_reply();
}

// ------------------------------------------------------------------ subscribe, unsubscribe

void WsConnection::hold_shared_request(const protocol::Request& request) {
  self_handle();
  shared_->hold(request);
  shared_->count_later = true;
  // Its ack and replay come after every earlier reply: it waits for them.
  if (!shared_->line.empty()) {
    shared_->awaiting = true;
    return;
  }
  run_held_request();
}

void WsConnection::run_held_request() {
  request_error_.reset();  // what it replies decides how it is counted
  const protocol::Request& request = *shared_->held;
  if (request.type == protocol::RequestType::subscribe) return subscribe_loading(request, kMaxLoads);
  // Unsubscribe: a topic the mirror holds answers now; another may exist
  // elsewhere.
  if (shard().broker().unsubscribe(*this, request.topic)) {
    reply_ack(request);
    return finish_held_request();
  }
  shared_->awaiting = true;
  context_.shared_topics->find(request.topic, [self = shared_->self](engine::StoreStatus status) {
    WsConnection* connection = *self;
    if (connection == nullptr) return;
    const protocol::Request& held = *connection->shared_->held;
    switch (status) {
      case engine::StoreStatus::ok:
      case engine::StoreStatus::exists: connection->reply_ack(held); break;
      case engine::StoreStatus::not_found: connection->topic_not_found(held); break;
      case engine::StoreStatus::unavailable:
        connection->reply_error(held.request_id, ErrorCode::unavailable, unreachable("the topic was not looked up"));
        break;
    }
    connection->finish_held_request();
  });
}

void WsConnection::subscribe_loading(const protocol::Request& request, int loads) {
  core::SubscribeRequest subscribe{request.topic, request.last_n, request.since_seq,
                                   std::nullopt,  false,          context_.settings.max_subscriptions};
  if (request.epoch) subscribe.epoch = *request.epoch;
  core::SubscribeResult result = shard().broker().subscribe(*this, subscribe);
  // A topic the mirror does not hold is not held by this connection: at
  // --max-subscriptions it is refused before a load could create it.
  if (result.status == core::SubscribeStatus::topic_not_found && topic_count() >= context_.settings.max_subscriptions) {
    result.status = core::SubscribeStatus::subscription_limit_reached;
  }
  if (result.status != core::SubscribeStatus::topic_not_found || loads == 0) {
    answer_subscribe(request, result);
    return finish_held_request();
  }
  // Not in the node's mirror: it loads the topic, then the subscribe runs again.
  shared_->awaiting = true;
  context_.shared_topics->load(
      request.topic, context_.settings.auto_create_topics, [self = shared_->self, loads](engine::StoreStatus status) {
        WsConnection* connection = *self;
        if (connection == nullptr) return;
        const protocol::Request& held = *connection->shared_->held;
        if (status == engine::StoreStatus::ok) return connection->subscribe_loading(held, loads - 1);
        if (status == engine::StoreStatus::not_found) {
          connection->topic_not_found(held);
        } else {
          connection->reply_error(held.request_id, ErrorCode::unavailable, unreachable("the topic was not subscribed"));
        }
        connection->finish_held_request();
      });
}

}  // namespace pubsub::net
