// The WebSocket connection's state machine; see ws_connection.h.
#include "net/ws_connection.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "auth/authenticator.h"
#include "common/log.h"
#include "common/steady_ns.h"
#include "common/string_hash.h"
#include "core/broker.h"
#include "net/broker_frames.h"
#include "net/timeouts.h"
#include "net/ws_connection_shared.h"
#include "protocol/websocket_frame.h"

namespace pubsub::net {
namespace {

std::uint16_t close_code_for(CloseReason reason) {
  switch (reason) {
    case CloseReason::slow_consumer:
    case CloseReason::token_expired: return protocol::close_code::policy_violation;
    case CloseReason::message_too_big: return protocol::close_code::too_big;
    case CloseReason::protocol_error: return protocol::close_code::protocol_error;
    case CloseReason::invalid_utf8: return protocol::close_code::invalid_payload;
    case CloseReason::shutdown: return protocol::close_code::going_away;
    case CloseReason::client:
    case CloseReason::idle_timeout:
    case CloseReason::error: break;
  }
  return protocol::close_code::normal;
}

// Removes `connection` from `list`, if it is there.
void erase_from(std::vector<WsConnection*>& list, WsConnection* connection) {
  auto it = std::find(list.begin(), list.end(), connection);
  if (it != list.end()) list.erase(it);
}

// Publishes granted or refused, remembered per topic: a publish checks
// one decision, not the token's patterns. Bounded; past it, forgotten.
constexpr std::size_t kMaxPublishDecisions = 1024;

}  // namespace

struct WsConnection::TokenAccess {
  auth::Identity identity;
  std::multimap<std::int64_t, WsConnection*>::iterator expiry;  // in ConnectionContext::token_expiries
  bool expired = false;                                         // on_token_expired came; expiry is gone
  std::unordered_map<std::string, bool, StringHash, std::equal_to<>> publish_decisions;
};

WsConnection::WsConnection(ConnectionContext& context, std::uint64_t id, std::string early_input,
                           std::unique_ptr<auth::Identity> identity)
    : core::Subscriber(context.broker_shard),
      context_(context),
      id_(id),
      reader_(context.settings.max_message_bytes),
      unread_(early_input.empty() ? nullptr : std::make_unique<std::string>(std::move(early_input))),
      last_input_epoch_(context.idle_epoch),
      slot_(static_cast<std::uint32_t>(context.connections.size())),
      backlog_(unread_ != nullptr) {
  context_.connections.push_back(this);
  if (identity) {
    const std::int64_t expires_at = identity->expires_at;
    token_ = std::make_unique<TokenAccess>(
        TokenAccess{std::move(*identity), context_.token_expiries.emplace(expires_at, this), false, {}});
  }
  if (context_.counters.shutting_down.load(std::memory_order_relaxed)) begin_shutdown();
}

const auth::Identity* WsConnection::identity() const { return token_ ? &token_->identity : nullptr; }

WsConnection::~WsConnection() {
  std::vector<WsConnection*>& all = context_.connections;
  all[slot_] = all.back();
  all[slot_]->slot_ = slot_;
  all.pop_back();
  std::erase(context_.dirty, this);
  std::erase(context_.urgent, this);
  if (shared_ && !shared_->parked.empty()) std::erase(context_.acks_awaiting_events, this);
  if (token_ && !token_->expired) context_.token_expiries.erase(token_->expiry);
  disarm_deadline();
  writer_.discard(context_.writers);
}

void WsConnection::deliver_pass(ConnectionContext& context) {
  context.broker_shard.wake_receivers();
  context.broker_shard.drain();
  release_waiting_acks(context, std::nullopt);
}

// ------------------------------------------------------------------ reading

WsConnection::Action WsConnection::next_action() {
  waiting_ = Waiting::nothing;
  while (!ended()) {
    if (must_wait()) {
      waiting_ = Waiting::wake;
      return Action::wait_wake;
    }
    if (backlog_) {
      backlog_ = false;
      std::span<char> input(unread_->data(), unread_->size());
      consume(input);
      keep_unread(input);
      continue;
    }
    if (read_before_close_ && state_ == State::draining && !input_pending()) {
      close_if_drained();  // all read: the close, once the answers are written
      if (state_ != State::draining) continue;
    }
    if (!maybe_readable_) {
      waiting_ = Waiting::readable;
      return Action::wait_readable;
    }
    return Action::read;
  }
  return Action::finish;
}

void WsConnection::on_read(std::size_t n) {
  std::vector<char>& buffer = context_.read_buffer;
  maybe_readable_ = n == buffer.size();
  on_input(std::span<char>(buffer.data(), n));
}

void WsConnection::on_input(std::span<char> bytes) {
  last_input_epoch_ = context_.idle_epoch;
  // Parse where the bytes are unless a frame's head waits in unread_.
  if (!unread_) {
    std::span<char> input = bytes;
    consume(input);
    if (!input.empty()) unread_ = std::make_unique<std::string>(input.data(), input.size());
    return;
  }
  unread_->append(bytes.data(), bytes.size());
  std::span<char> input(unread_->data(), unread_->size());
  consume(input);
  keep_unread(input);
}

void WsConnection::keep_unread(std::span<char> rest) {
  if (rest.empty()) {
    unread_.reset();  // idle connections hold no input
  } else {
    unread_->erase(0, unread_->size() - rest.size());
  }
}

void WsConnection::on_read_end(bool error) { lose(error ? CloseReason::error : CloseReason::client); }

bool WsConnection::must_wait() const {
  return (state_ == State::open || state_ == State::draining) &&
         ((shared_ && shared_->awaiting) || (!overflowed() && !wants_requests()));
}

// Handles requests until the reader needs more bytes. While the outbound
// queue is at its bounds, the next request waits: replies are never dropped.
void WsConnection::consume(std::span<char>& input) {
  using Kind = protocol::ClientFrameReader::Kind;
  while (!ended()) {
    if (must_wait()) {
      backlog_ = !input.empty();
      return;
    }
    const auto item = reader_.next(input);
    if (item.kind == Kind::need_more) return;
    handle_item(item);
    if (item.kind == Kind::close || item.kind == Kind::violation) return;
  }
}

void WsConnection::handle_item(const protocol::ClientFrameReader::Item& item) {
  using Kind = protocol::ClientFrameReader::Kind;
  switch (item.kind) {
    case Kind::need_more:
    case Kind::pong: return;
    case Kind::text: return handle(item.payload);
    case Kind::binary:
      return reply_error(std::nullopt, protocol::ErrorCode::bad_request,
                         "binary frames are not supported; send JSON text");
    case Kind::ping:
      // Queued like a reply: a client that pings without reading fills
      // its own queue, and its reading stops (must_wait).
      if (!output_ended()) push_control(core::Outbound::control(frame_pong(scratch(), item.payload)));
      return;
    case Kind::close: return on_peer_close(item.code);
    case Kind::too_big:
      // A graceful close: the reader skips the rest of the message while
      // the peer reads the 1009 frame, instead of getting a reset.
      return start_close(protocol::close_code::too_big, CloseReason::message_too_big);
    case Kind::violation:
      log::debug("websocket protocol violation", {{"connection", id_}, {"code", item.code}, {"detail", item.reason}});
      return fail(item.code, item.code == protocol::close_code::invalid_payload ? CloseReason::invalid_utf8
                                                                                : CloseReason::protocol_error);
  }
}

// ------------------------------------------------------------------ requests

void WsConnection::handle(std::string_view text) {
  const protocol::ParseResult parsed = protocol::parse_request(text, {context_.settings.require_uuid});
  if (!parsed.ok) {
    reply_error(parsed.request.request_id, protocol::ErrorCode::bad_request, parsed.error);
    if (parsed.type_known) context_.counts.count_request(parsed.request.type, protocol::ErrorCode::bad_request);
    return;
  }
  if (close_reason_ == CloseReason::token_expired) return;  // nothing follows TOKEN_EXPIRED
  request_error_.reset();
  handle(parsed.request);
  if (shared_ && shared_->count_later) {
    shared_->count_later = false;  // counted when its answer comes
    return;
  }
  context_.counts.count_request(parsed.request.type, request_error_);
}

void WsConnection::handle(const protocol::Request& request) {
  using protocol::RequestType;
  if (request.type == RequestType::ping) return reply(frame_pong_reply(scratch(), request.request_id));
  if (context_.counters.shutting_down.load(std::memory_order_relaxed)) {
    return reply_error(request.request_id, protocol::ErrorCode::internal, "server is shutting down");
  }
  switch (request.type) {
    case RequestType::subscribe: return handle_subscribe(request);
    case RequestType::unsubscribe:
      if (context_.shared_topics != nullptr) return hold_shared_request(request);
      if (!shard().broker().unsubscribe(*this, request.topic)) return topic_not_found(request);
      return reply_ack(request);
    case RequestType::publish: return handle_publish(request);
    case RequestType::ping: return;
  }
}

void WsConnection::handle_subscribe(const protocol::Request& request) {
  if (!auth::may_subscribe(identity(), request.topic)) {
    return reply_error(request.request_id, protocol::ErrorCode::forbidden,
                       "the token does not grant subscribing to '" + request.topic + "'");
  }
  if (context_.shared_topics != nullptr) return hold_shared_request(request);
  core::SubscribeRequest subscribe{request.topic,
                                   request.last_n,
                                   request.since_seq,
                                   std::nullopt,
                                   context_.settings.auto_create_topics,
                                   context_.settings.max_subscriptions};
  if (request.epoch) subscribe.epoch = *request.epoch;
  auto result = shard().broker().subscribe(*this, subscribe);
  answer_subscribe(request, result);
}

void WsConnection::answer_subscribe(const protocol::Request& request, core::SubscribeResult& result) {
  switch (result.status) {
    case core::SubscribeStatus::topic_not_found: return topic_not_found(request);
    case core::SubscribeStatus::topic_limit_reached: return topic_limit_reached(request);
    case core::SubscribeStatus::subscription_limit_reached:
      return reply_error(request.request_id, protocol::ErrorCode::limit_exceeded,
                         "this connection holds --max-subscriptions (" +
                             std::to_string(context_.settings.max_subscriptions) + ") topics already");
    case core::SubscribeStatus::subscribed:
    case core::SubscribeStatus::already_subscribed: break;
  }
  reply(frame_ack(scratch(), request.request_id, request.topic, {result.epoch.text(), result.seq, result.recovered}));
  for (core::EventRef& event : result.replay)
    push_replay(core::OutboundRef(core::Outbound::of_event(std::move(event))));
}

void WsConnection::handle_publish(const protocol::Request& request) {
  if (!publish_granted(request.topic)) {
    return reply_error(request.request_id, protocol::ErrorCode::forbidden,
                       "the token does not grant publishing to '" + request.topic + "'");
  }
  if (!publish_allowed()) {
    return reply_error(request.request_id, protocol::ErrorCode::rate_limited,
                       "publishes above --max-publish-rate (" + std::to_string(context_.settings.max_publish_rate) +
                           " per second); this one was not published");
  }
  if (SharedTopicsLink* link = context_.shared_topics) return publish_shared(*link, request);
  const PublishEncoder encoder(request.message_id_raw, request.payload_raw);
  auto result = shard().broker().publish(shard().index(), request.topic, context_.settings.auto_create_topics, encoder);
  if (result.topic_limit_reached) return topic_limit_reached(request);
  if (!result.found) return topic_not_found(request);
  context_.counts.published_websocket.add();
  reply(frame_ack(scratch(), request.request_id, request.topic, {std::nullopt, result.seq, std::nullopt}));
}

void WsConnection::reply(std::string_view frame) {
  if (shared_ && !shared_->line.empty()) return shared_->line.append(frame);  // behind answers to come
  push_control(core::Outbound::control(frame));
}

void WsConnection::reply_error(std::optional<std::string_view> request_id, protocol::ErrorCode code,
                               std::string_view message) {
  request_error_ = code;
  reply(frame_error(scratch(), request_id, code, message));
}

void WsConnection::reply_ack(const protocol::Request& request) {
  reply(frame_ack(scratch(), request.request_id, request.topic));
}

bool WsConnection::publish_allowed() {
  const std::uint32_t rate = context_.settings.max_publish_rate;
  if (rate == 0) return true;
  const auto now = common::TokenBucket::Clock::now();
  if (!publish_budget_) publish_budget_ = std::make_unique<common::TokenBucket>(rate, now);
  return publish_budget_->take(1, now);
}

bool WsConnection::publish_granted(const std::string& topic) {
  if (!token_) return true;
  auto& decisions = token_->publish_decisions;
  if (const auto known = decisions.find(std::string_view(topic)); known != decisions.end()) return known->second;
  if (decisions.size() >= kMaxPublishDecisions) decisions.clear();
  const bool granted = auth::may_publish(&token_->identity, topic);
  decisions.emplace(topic, granted);
  return granted;
}

void WsConnection::topic_limit_reached(const protocol::Request& request) {
  reply_error(request.request_id, protocol::ErrorCode::limit_exceeded,
              "topic '" + request.topic + "' cannot be created: the server holds --max-topics topics");
}

void WsConnection::topic_not_found(const protocol::Request& request) {
  reply_error(request.request_id, protocol::ErrorCode::topic_not_found, "topic '" + request.topic + "' does not exist");
}

// ------------------------------------------------------------------ closing

void WsConnection::on_peer_close(std::uint16_t code) {
  if (state_ == State::closing) return enter(State::closed);  // the answer to ours
  close_reason_ = CloseReason::client;
  append_close_frame(code == protocol::close_code::no_status ? protocol::close_code::normal : code);
  enter(State::closed);
}

void WsConnection::fail(std::uint16_t code, CloseReason reason) {
  if (!output_ended()) append_close_frame(code);
  close_reason_ = reason;
  enter(State::closed);
}

void WsConnection::start_close(std::uint16_t code, CloseReason reason) {
  if (output_ended()) return;
  append_close_frame(code);
  close_reason_ = reason;
  arm_deadline();
  reader_.skip_messages();
  enter(State::closing);
}

void WsConnection::arm_deadline() {
  if (close_deadline_ == std::chrono::steady_clock::time_point{}) context_.closing.push_back(this);
  close_deadline_ = std::chrono::steady_clock::now() + kFinalFlushTimeout;
}

void WsConnection::disarm_deadline() {
  if (close_deadline_ == std::chrono::steady_clock::time_point{}) return;
  close_deadline_ = {};
  erase_from(context_.closing, this);
}

void WsConnection::close_if_drained() {
  if (state_ != State::draining || !idle() || !writer_.empty()) return;
  // --engine redis: a shutdown waits for the answers still to come from
  // Valkey/Redis, so that a message published is acknowledged before the
  // close (the store keeps running until the sessions end).
  if (close_reason_ == CloseReason::shutdown && shared_ && (!shared_->line.empty() || shared_->held)) return;
  // The contract answers every request of a shutdown with INTERNAL: those
  // already in the socket when the drain ends, not read yet (their
  // readiness not reported yet, or reading held back by a full queue), are
  // read first, once; then the close follows.
  if (close_reason_ == CloseReason::shutdown && !read_before_close_ && (backlog_ || input_pending())) {
    read_before_close_ = true;
    return;
  }
  start_close(close_code_for(close_reason_), close_reason_);
}

void WsConnection::append_close_frame(std::uint16_t code) {
  std::string& out = scratch();
  out.clear();
  protocol::append_close_frame(out, code);
  writer_.append_bytes(context_.writers, out);
  mark_pending(true);
}

void WsConnection::lose(CloseReason reason) {
  if (ended()) return;
  if (state_ != State::closing) close_reason_ = reason;  // a close the server started keeps its reason
  enter(State::lost);
}

void WsConnection::enter(State state) {
  state_ = state;
  if (ended()) disarm_deadline();
  if (output_ended()) {
    // Nothing more will be written: the connection stops receiving events.
    shard().broker().unsubscribe_all(*this);
    drop_queue();
  }
  if (state == State::lost) writer_.discard(context_.writers);
}

void WsConnection::begin_shutdown() {
  if (state_ != State::open) return;
  close_reason_ = CloseReason::shutdown;
  enter(State::draining);
  close_if_drained();
}

void WsConnection::on_token_expired() {
  if (!token_ || token_->expired) return;
  token_->expired = true;
  context_.token_expiries.erase(token_->expiry);
  if (state_ != State::open) return;  // closing already
  // The events queued before go out first; nothing follows the error.
  shard().broker().unsubscribe_all(*this);
  close_reason_ = CloseReason::token_expired;
  reply_error(std::nullopt, protocol::ErrorCode::token_expired,
              "the connection's token has expired; reconnect with a new token and resume with since_seq");
  enter(State::draining);
  arm_deadline();  // a peer that never reads the error cannot hold the connection
  close_if_drained();
}

void WsConnection::on_overflow(core::OverflowPolicy policy) {
  const bool disconnect = policy == core::OverflowPolicy::disconnect;
  if (disconnect) {
    context_.counters.slow_consumer_disconnects.fetch_add(1, std::memory_order_relaxed);
    if (state_ == State::open || state_ == State::draining) {
      close_reason_ = CloseReason::slow_consumer;
      enter(State::draining);
      arm_deadline();  // a peer that never reads its SLOW_CONSUMER cannot hold the connection
    }
    mark_pending(true);  // the SLOW_CONSUMER error goes out even if the writer is full
  }
  const core::QueueLimits& limits = shard().broker().options().queue;
  log::warn(disconnect ? "slow consumer: disconnecting" : "slow consumer: dropping its oldest events",
            {{"connection", id_},
             {"policy", disconnect ? "disconnect" : "drop_oldest"},
             {"max_queue", limits.max_frames},
             {"max_queue_bytes", limits.max_bytes}});
}

// ------------------------------------------------------------------ writing

void WsConnection::mark_pending(bool urgent) {
  // An entry in `dirty` left behind by a move to `urgent` is skipped there
  // (see begin_flush).
  if (urgent) {
    if (pending_ == Pending::urgent) return;
    pending_ = Pending::urgent;
    context_.urgent.push_back(this);
  } else if (pending_ == Pending::none) {
    pending_ = Pending::events;
    context_.dirty.push_back(this);
  }
}

bool WsConnection::begin_flush() {
  if (pending_ == Pending::none) return false;  // written already in this pass
  pending_ = Pending::none;
  context_.counts.queue_frames.observe(queued_frames());
  fill_output();
  return true;
}

void WsConnection::fill_output() {
  if (output_ended()) return;
  // Events leave for the socket in this pass's write: that is when they
  // count as delivered, and their latency is measured (one clock read per
  // write; the tally adds a bucket's run of events and the latencies' sum
  // once, metrics/histogram.h). The latency histogram's count is the
  // delivered total.
  std::uint64_t now_ns = 0;
  metrics::ThreadHistogram::Tally latency(context_.counts.delivery_latency_ns);
  // The SLOW_CONSUMER error is the last frame: it goes out even past the
  // high-water mark, and the close follows once it has reached the socket.
  while (writer_.accepting() || overflowed()) {
    core::OutboundRef frame = pop();
    if (!frame) break;
    const core::Event* event = frame->event();
    if (metrics::kCounting && event != nullptr) {
      if (now_ns == 0) now_ns = common::steady_now_ns();
      latency.observe(now_ns > event->accepted_ns() ? now_ns - event->accepted_ns() : 0);
    }
    writer_.append(context_.writers, frame);
    written(*frame);
  }
  close_if_drained();
}

void WsConnection::on_sent(std::size_t n) {
  writer_.consume(context_.writers, n);
  if (writer_.empty()) fill_output();
}

void WsConnection::on_writable() {
  if (!send_blocked_) return;
  send_blocked_ = false;
  mark_pending(true);
}

void WsConnection::on_send_failed() {
  writer_.discard(context_.writers);
  lose(CloseReason::error);
}

// ------------------------------------------------------------------ timers

void WsConnection::on_idle_sweep(std::uint32_t epoch) {
  if (state_ != State::open && state_ != State::draining) return;  // a close has its own deadline
  const std::uint32_t quiet = epoch - last_input_epoch_;
  if (quiet >= kIdleEndEpochs) return lose(CloseReason::idle_timeout);
  // While draining, the queue's last frame (SLOW_CONSUMER, or the last
  // event before 1001) is the last frame before the close: no ping.
  if (state_ == State::open && quiet >= kIdlePingEpochs && quiet % kIdlePingEpochs == 0) {
    std::string& out = scratch();
    out.clear();
    protocol::append_server_frame(out, protocol::Opcode::ping, {});
    writer_.append_bytes(context_.writers, out);
    mark_pending(true);
  }
}

void WsConnection::on_close_tick(std::chrono::steady_clock::time_point now) {
  if (close_deadline_ == std::chrono::steady_clock::time_point{} || now < close_deadline_) return;
  if (state_ == State::closing) {
    enter(State::closed);  // the close frame went out: end gently
  } else {
    lose(close_reason_);  // the SLOW_CONSUMER error was never read
  }
}

bool WsConnection::wake_due() const {
  switch (waiting_) {
    case Waiting::nothing: return false;
    case Waiting::readable: return maybe_readable_ || ended();
    case Waiting::wake: return ended() || !must_wait();
  }
  return false;
}

}  // namespace pubsub::net
