// The WebSocket connection's reader, request handling and output; see
// ws_connection.h.
#include "net/ws_connection.h"

#include "common/log.h"
#include "core/broker.h"
#include "net/broker_frames.h"
#include "net/server_state.h"
#include "net/shard.h"
#include "net/timeouts.h"

namespace pubsub::net {

WsConnection::WsConnection(ServerState& server, std::size_t shard, FrameWriter& out, std::uint64_t id, std::string& unread)
    : server_(server),
      shard_(*server.shards[shard]),
      out_(out),
      id_(id),
      reader_(server.options.max_message_bytes),
      unread_(unread),
      reader_wake_(out.socket().get_executor()),
      subscriber_(
          server.broker, shard, [this] { mark_dirty(); },
          [this](core::OverflowPolicy policy) { on_overflow(policy); }),
      last_input_epoch_(shard_.idle_epoch),
      backlog_(!unread_.empty()) {
  shard_.connections.insert(this);
  out_.on_written([](void* self) { static_cast<WsConnection*>(self)->on_written(); }, this);
  boost::system::error_code ignored;
  out_.socket().non_blocking(true, ignored);  // reads after a wait must never block
}

WsConnection::~WsConnection() {
  out_.on_written(nullptr, nullptr);
  if (dirty_) std::erase(shard_.dirty, this);
  shard_.connections.erase(this);
}

void WsConnection::mark_dirty() {
  if (dirty_) return;
  dirty_ = true;
  shard_.dirty.push_back(this);
}

WsConnection::Wait WsConnection::advance() {
  reader_waiting_ = false;
  while (!ended_) {
    if (must_wait()) {
      reader_waiting_ = true;
      return Wait::woken;
    }
    if (backlog_) {
      backlog_ = false;
      std::span<char> input(unread_.data(), unread_.size());
      consume(input);
      unread_.erase(0, unread_.size() - input.size());
      continue;
    }
    if (!maybe_readable_) return Wait::readable;
    read();
  }
  return closer_running_ ? Wait::woken : Wait::done;
}

void WsConnection::read() {
  std::vector<char>& buffer = shard_.read_buffer;
  boost::system::error_code ec;
  std::size_t n = out_.socket().read_some(asio::buffer(buffer), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    maybe_readable_ = false;
    return;
  }
  if (ec) return end_now("connection lost");
  maybe_readable_ = n == buffer.size();
  last_input_epoch_ = shard_.idle_epoch;
  pinged_ = false;
  // Parse in the shared buffer unless a frame's head waits in unread_.
  const bool in_place = unread_.empty();
  if (!in_place) unread_.append(buffer.data(), n);
  std::span<char> input = in_place ? std::span<char>(buffer.data(), n) : std::span<char>(unread_);
  consume(input);
  if (in_place) {
    unread_.assign(input.data(), input.size());
  } else {
    unread_.erase(0, unread_.size() - input.size());
  }
  if (unread_.empty() && unread_.capacity() > 1024) std::string().swap(unread_);  // idle connections stay small
}

// Handles requests until the reader needs more bytes. While the outbound
// queue is at its bounds, the next request waits: replies are never dropped.
void WsConnection::consume(std::span<char>& input) {
  using Kind = protocol::ClientFrameReader::Kind;
  while (!ended_) {
    if (must_wait()) {
      backlog_ = true;
      return;
    }
    auto item = reader_.next(input);
    switch (item.kind) {
      case Kind::need_more:
        return;
      case Kind::text:
        handle(item.payload);
        break;
      case Kind::binary:
        reply_error(std::nullopt, protocol::ErrorCode::bad_request, "binary frames are not supported; send JSON text");
        break;
      case Kind::ping:
        // Queued like a reply: a client that pings without reading fills
        // its own queue, and its reading stops (must_wait).
        if (!output_ended_) subscriber_.push_control(core::make_pong_frame(item.payload));
        break;
      case Kind::pong:
        break;
      case Kind::close:
        on_peer_close(item.code);
        return;
      case Kind::too_big:
        // A graceful close: the reader skips the rest of the message while
        // the peer reads the 1009 frame, instead of getting a reset.
        start_close(protocol::close_code::too_big, "message too big (1009)");
        break;
      case Kind::violation:
        log::debug("websocket protocol violation", {{"connection", id_}, {"code", item.code}, {"detail", item.reason}});
        fail(item.code);
        return;
    }
  }
}

void WsConnection::on_peer_close(std::uint16_t code) {
  ended_ = true;
  lingers_ = true;
  if (close_started_) {  // the answer to ours
    if (close_timer_) close_timer_->cancel();
    return;
  }
  close_reason_ = "peer closed";
  send_close_frame(code == protocol::close_code::no_status ? protocol::close_code::normal : code);
}

void WsConnection::fail(std::uint16_t code) {
  close_reason_ = code == protocol::close_code::invalid_payload ? "invalid UTF-8 (1007)" : "protocol violation (1002)";
  ended_ = true;
  lingers_ = true;
  if (close_timer_) close_timer_->cancel();
  send_close_frame(code);
}

bool WsConnection::send_close_frame(std::uint16_t code) {
  if (output_ended_) return false;
  output_ended_ = true;
  out_.append_close(code);
  out_.flush();
  return true;
}

void WsConnection::start_close(std::uint16_t code, const char* reason) {
  if (!send_close_frame(code)) return;
  close_reason_ = reason;
  close_started_ = true;
  reader_.skip_messages();
  closer_running_ = true;
  asio::co_spawn(out_.socket().get_executor(), close_deadline(), [this](std::exception_ptr) {
    closer_running_ = false;
    reader_wake_.cancel();
  });
  reader_wake_.cancel();  // a parked reader reads the peer's answer
}

// Bounds the close handshake: a peer that does not answer cannot hold it.
task<void> WsConnection::close_deadline() {
  asio::steady_timer deadline(out_.socket().get_executor(), kFinalFlushTimeout);
  close_timer_ = &deadline;
  auto [ec] = co_await deadline.async_wait(nothrow);
  close_timer_ = nullptr;
  if (!ec && !ended_) {
    lingers_ = true;
    end_now(close_reason_);
  }
}

void WsConnection::end_now(const char* reason) {
  if (!ended_) close_reason_ = reason;
  ended_ = true;
  output_ended_ = true;
  boost::system::error_code ignored;
  out_.socket().cancel(ignored);
  reader_wake_.cancel();
}

void WsConnection::check_idle(std::uint32_t epoch) {
  if (ended_ || close_started_) return;  // a close has its own deadline
  const std::uint32_t quiet = epoch - last_input_epoch_;
  if (quiet >= kIdleEndEpochs) {
    end_now("idle timeout");
  } else if (quiet >= kIdlePingEpochs && !pinged_ && !output_ended_) {
    pinged_ = true;
    out_.append(protocol::Opcode::ping, {});
    mark_dirty();
  }
}

void WsConnection::handle(std::string_view text) {
  using protocol::RequestType;
  protocol::ParseResult parsed = protocol::parse_request(text, {server_.options.require_uuid});
  const protocol::Request& request = parsed.request;
  if (!parsed.ok) {
    reply_error(request.request_id, protocol::ErrorCode::bad_request, parsed.error);
    return;
  }
  if (request.type == RequestType::ping) {
    subscriber_.push_control(core::make_control_frame(protocol::make_pong(request.request_id, now_ts())));
    return;
  }
  if (server_.shutting_down.load(std::memory_order_relaxed)) {
    reply_error(request.request_id, protocol::ErrorCode::internal, "server is shutting down");
    return;
  }
  auto& broker = server_.broker;
  switch (request.type) {
    case RequestType::subscribe: {
      auto result = broker.subscribe(subscriber_, request.topic, request.last_n, server_.options.auto_create_topics);
      if (result.status == core::SubscribeStatus::topic_not_found) return topic_not_found(request);
      reply_ack(request);
      for (auto& frame : result.replay) {
        if (subscriber_.push_event(std::move(frame))) return broker.unsubscribe_all(subscriber_);
      }
      return;
    }
    case RequestType::unsubscribe:
      if (!broker.unsubscribe(subscriber_, request.topic)) return topic_not_found(request);
      return reply_ack(request);
    case RequestType::publish: {
      PublishEncoder encoder(request);
      auto result = broker.publish(subscriber_.shard(), request.topic, server_.options.auto_create_topics, encoder);
      if (!result.found) return topic_not_found(request);
      return reply_ack(request);
    }
    case RequestType::ping: return;
  }
}

void WsConnection::flush() {
  dirty_ = false;
  if (output_ended_) return;  // nothing may follow a close frame
  // The SLOW_CONSUMER error is the last frame: it goes out even past the
  // high-water mark, and the close follows once it has reached the socket.
  while (out_.accepting() || (subscriber_.overflowed() && !out_.error())) {
    core::FramePtr frame = subscriber_.pop();
    if (!frame) break;
    if (frame->type == core::Frame::Type::pong) out_.append(protocol::Opcode::pong, frame->bytes);
    else out_.append_frame(frame->bytes);
    subscriber_.written(*frame);
  }
  out_.flush();
  if (reader_waiting_ && subscriber_.wants_requests()) reader_wake_.cancel();
  end_output_if_due();
}

void WsConnection::on_written() {
  if (!subscriber_.idle()) mark_dirty();
  end_output_if_due();
}

void WsConnection::end_output_if_due() {
  if (output_ended_) return;
  if (out_.error()) {
    end_now("connection lost");
    return;
  }
  // The close (and its deadline) starts once the last frame has reached the
  // socket, so a peer that reads late still gets SLOW_CONSUMER and 1008.
  const bool overflowed = subscriber_.overflowed();
  if (!(closing_ || overflowed) || !subscriber_.idle() || !out_.idle()) return;
  if (overflowed) start_close(protocol::close_code::policy_violation, "slow consumer (1008)");
  else start_close(protocol::close_code::going_away, "server shutdown (1001)");
}


void WsConnection::on_overflow(core::OverflowPolicy policy) {
  bool disconnect = policy == core::OverflowPolicy::disconnect;
  if (disconnect) {
    server_.slow_consumer_disconnects.fetch_add(1, std::memory_order_relaxed);
    mark_dirty();  // the SLOW_CONSUMER error goes out even if the writer is full
  }
  log::warn(disconnect ? "slow consumer: disconnecting" : "slow consumer: dropping its oldest events",
            {{"connection", id_},
             {"policy", disconnect ? "disconnect" : "drop_oldest"},
             {"max_queue", server_.options.queue.max_frames},
             {"max_queue_bytes", server_.options.queue.max_bytes}});
}

// Waits until `out` has written everything, for at most `limit`; past it,

}  // namespace pubsub::net
