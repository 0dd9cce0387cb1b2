// Asio/Beast transport: listener, HTTP sessions (REST), WebSocket sessions,
// heartbeats and graceful shutdown. See server.h.
//
// Threads: one io_context per shard, each run by one thread, so everything
// a connection owns (its socket, its Subscriber, its timers) lives on
// that single thread and needs no strand. The only cross-thread paths are
// the broker's (see core/broker.h) and asio::post.
#include "net/server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <unordered_set>

#include "common/log.h"
#include "core/broker.h"
#include "net/frame_writer.h"
#include "net/rest.h"
#include "protocol/messages.h"
#include "protocol/websocket_reader.h"

namespace pubsub::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

// Errors come back as values. Co-awaiting a deferred operation costs no
// coroutine frame of its own, unlike use_awaitable's.
constexpr auto nothrow = asio::as_tuple(asio::deferred);
// Coroutines run on one shard's io_context: typed on its executor, their
// frames and operations are smaller than with the type-erased any_io_executor.
template <class T = void>
using task = asio::awaitable<T, asio::io_context::executor_type>;
constexpr std::size_t kMaxRequestBody = 64 * 1024;
constexpr std::size_t kMaxRequestHeader = 16 * 1024;
constexpr auto kMaxRequestTimeout = std::chrono::seconds(30);
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
constexpr auto kFinalFlushTimeout = std::chrono::seconds(5);
// Ready handlers a shard runs in one pass of its loop before it writes out
// what the pass queued (see run_shard), so that a busy loop still writes.
constexpr int kMaxPassHandlers = 256;
// What one read takes from a socket, into the buffer the shard's
// connections share (see WsConnection::read).
constexpr std::size_t kReadBufferSize = 64 * 1024;
// The idle-timeout sweep runs every quarter of --idle-timeout (an "epoch").
// A connection whose last read is 3 epochs old has been quiet for at least
// half the timeout and is pinged; at 5 epochs, for at least all of it (and
// at most 1.25 times it), and it is dropped.
constexpr std::uint32_t kIdleEpochsPerTimeout = 4;
constexpr std::uint32_t kIdlePingEpochs = 3;
constexpr std::uint32_t kIdleEndEpochs = 5;

std::string now_ts() { return protocol::format_timestamp(std::chrono::system_clock::now()); }

// The frames the broker originates, built by the protocol codec.
class ProtocolFrames final : public core::FrameEncoder {
 public:
  std::string topic_deleted(std::string_view topic) const override {
    return protocol::make_topic_deleted(topic, now_ts());
  }
  std::string dropped(std::string_view topic, std::uint64_t count) const override {
    return protocol::make_dropped(topic, count, now_ts());
  }
  std::string slow_consumer() const override {
    return protocol::make_error(std::nullopt, protocol::ErrorCode::slow_consumer,
                                "subscriber is too slow: its outbound queue overflowed; disconnecting", now_ts());
  }
};

// The event of one publish request; ts is the publish time.
class PublishEncoder final : public core::EventEncoder {
 public:
  explicit PublishEncoder(const protocol::Request& request) : request_(request) {}
  std::string encode(std::string_view topic, std::uint64_t seq) const override {
    return protocol::make_event(topic, request_.message_id_raw, request_.payload_raw, seq, now_ts());
  }

 private:
  const protocol::Request& request_;
};

class WsConnection;

// What one I/O thread owns: its io_context and the WebSocket sessions on it.
struct ShardContext {
  explicit ShardContext(core::Shard& broker_shard) : broker_shard(broker_shard) {}

  core::Shard& broker_shard;
  asio::io_context ioc{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{ioc.get_executor()};
  std::unordered_set<WsConnection*> connections;  // this thread only
  std::unordered_set<beast::tcp_stream*> idle_http;  // waiting for a request; this thread only
  std::optional<asio::steady_timer> heartbeat;
  std::optional<asio::steady_timer> idle_sweep;
  std::uint32_t idle_epoch = 0;  // idle sweeps so far (see kIdleEpochsPerTimeout)
  std::vector<char> read_buffer = std::vector<char>(kReadBufferSize);  // see WsConnection::read
  // Connections given frames during this loop pass; written at its end.
  std::vector<WsConnection*> dirty;
  std::vector<WsConnection*> flushing;  // dirty's previous contents, reused

  // Writes out every dirty connection's queue (see run_shard).
  void flush_dirty();
};

}  // namespace

struct Server::Impl {
  explicit Impl(ServerOptions opts);

  void begin_shutdown();
  RestContext rest_context() const;

  ServerOptions options;
  ProtocolFrames frames;
  core::Broker broker;
  std::vector<std::unique_ptr<ShardContext>> shards;  // destroyed before broker
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::signal_set> signals;
  const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  std::atomic<bool> shutting_down{false};
  std::atomic<std::int64_t> connections{0};
  std::atomic<std::int64_t> websocket_connections{0};
  std::atomic<std::uint64_t> rejected_connections{0};
  std::atomic<std::uint64_t> slow_consumer_disconnects{0};
  std::atomic<std::uint64_t> next_connection_id{1};

  // run() waits on these for the shutdown and for the threads to finish.
  std::mutex run_mutex;
  std::condition_variable run_changed;
  std::size_t running_threads = 0;
};

namespace {

// Closes a connection whose peer may still be sending: stop sending, then
// read and discard for a moment (at most 2 s and 1 MiB), so that the peer
// reads our last answer instead of a reset caused by unread input.
task<void> linger_close(beast::tcp_stream& stream) {
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.expires_after(std::chrono::seconds(2));
  char sink[4096];
  for (std::size_t total = 0; total < 1024 * 1024;) {
    auto [ec, got] = co_await stream.async_read_some(asio::buffer(sink), nothrow);
    if (ec) break;
    total += got;
  }
}

// ------------------------------------------------------------------ WebSocket session

// Tracks one open TCP connection for --max-connections and /stats, for as
// long as its session coroutine (HTTP, then WebSocket) runs.
class ConnectionSlot {
 public:
  explicit ConnectionSlot(Server::Impl& server) : server_(server) {
    server_.connections.fetch_add(1, std::memory_order_relaxed);
  }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ~ConnectionSlot() { server_.connections.fetch_sub(1, std::memory_order_relaxed); }

 private:
  Server::Impl& server_;
};

void log_session_exception(std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    log::error("session failed", {{"error", e.what()}});
  }
}

using WakeTimer = asio::basic_waitable_timer<std::chrono::steady_clock, asio::wait_traits<std::chrono::steady_clock>,
                                             asio::io_context::executor_type>;

// One WebSocket session after the upgrade: its broker Subscriber, its
// reader (advance), and the frames it writes through the session's
// FrameWriter (flush, at the end of each loop pass). The reader reads into
// its shard's shared buffer and parses frames in place
// (protocol::ClientFrameReader); only an incomplete frame's head is kept.
// advance() does everything that needs no waiting and says what to wait
// for; the session coroutine waits (connection_session), so an idle
// connection holds one coroutine frame, one pending wait and no read
// buffer. A close that the server starts (1001, 1008, 1009) arms a deadline
// in a coroutine of its own, spawned only then.
// Lives in the session coroutine's frame; shard thread only.
class WsConnection {
 public:
  // `unread` holds the bytes the client sent after its upgrade request;
  // the connection keeps using it as its unparsed input.
  WsConnection(Server::Impl& server, std::size_t shard, FrameWriter& out, std::uint64_t id, std::string& unread)
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
    beast::error_code ignored;
    out_.socket().non_blocking(true, ignored);  // reads after a wait must never block
  }
  ~WsConnection() {
    out_.on_written(nullptr, nullptr);
    if (dirty_) std::erase(shard_.dirty, this);
    shard_.connections.erase(this);
  }

  core::Subscriber& subscriber() { return subscriber_; }

  // Flushes the queue, then closes with 1001 (graceful shutdown).
  void begin_close() {
    closing_ = true;
    end_output_if_due();
  }

  // Appends the queued frames to the writer (as many as it accepts) and
  // starts their write: called once per loop pass while dirty.
  void flush();

  // The idle-timeout sweep, once per quarter of --idle-timeout: pings a
  // peer quiet for half of it, and drops one silent for all of it.
  void check_idle(std::uint32_t epoch);

  // What the session waits for before calling advance() again.
  enum class Wait {
    readable,  // wait_readable(), then on_readable()
    woken,     // wait_woken(): the queue has room, or a close the server started finished
    done,      // the session is over
  };
  // Reads and handles requests until that needs a wait; says which.
  Wait advance();
  // The wait advance() asked for, as deferred operations: co-awaited by
  // the session without a coroutine frame of their own.
  auto wait_readable() { return out_.socket().async_wait(FrameWriter::socket_type::wait_read, nothrow); }
  void on_readable(beast::error_code ec) {
    if (!ec) maybe_readable_ = true;
    else if (!ended_) end_now("connection lost");
  }
  auto wait_woken() {
    reader_wake_.expires_at(WakeTimer::time_point::max());
    return reader_wake_.async_wait(nothrow);
  }
  const char* close_reason() const { return close_reason_; }
  // True if the session ended with a close frame (sent or answered): the
  // writer must flush it, and the peer may still be sending, so the socket
  // is closed gently (linger_close).
  bool lingers() const { return lingers_; }

 private:
  // Handles the items the reader finds in `input` until it needs more bytes,
  // the session ends, or the outbound queue is at its bounds (backlog_).
  void consume(std::span<char>& input);
  // One read from the socket, and what it brought handled.
  void read();
  // True while the next request must wait: the outbound queue is at its bounds.
  bool must_wait() const { return !close_started_ && !subscriber_.wants_requests() && !subscriber_.overflowed(); }
  void handle(std::string_view text);
  void reply_error(std::optional<std::string_view> request_id, protocol::ErrorCode code, std::string_view message) {
    subscriber_.push_control(core::make_control_frame(protocol::make_error(request_id, code, message, now_ts())));
  }
  void reply_ack(const protocol::Request& request) {
    subscriber_.push_control(core::make_control_frame(protocol::make_ack(request.request_id, request.topic, now_ts())));
  }
  void topic_not_found(const protocol::Request& request) {
    reply_error(request.request_id, protocol::ErrorCode::topic_not_found, "topic '" + request.topic + "' does not exist");
  }
  // The peer's close frame: answers it (echoing its code) unless it answers ours.
  void on_peer_close(std::uint16_t code);
  // Fails the connection: a close frame with `code` (1002, 1007), nothing after.
  void fail(std::uint16_t code);
  // Ends the output with a close frame carrying `code`, unless it has
  // ended already; true if the frame went out.
  bool send_close_frame(std::uint16_t code);
  // Sends the server's close frame with `code` and reads on (skipping
  // messages) until the peer answers or kFinalFlushTimeout passes.
  void start_close(std::uint16_t code, const char* reason);
  task<void> close_deadline();
  // Ends the session at once, without a close frame: the socket's wait and
  // a parked reader are cancelled.
  void end_now(const char* reason);
  // The slow-consumer decision: logged and counted once per subscriber.
  void on_overflow(core::OverflowPolicy policy);
  // Queues this connection for the flush at the end of the loop pass.
  void mark_dirty() {
    if (dirty_) return;
    dirty_ = true;
    shard_.dirty.push_back(this);
  }
  // A socket write finished: room for the rest of the queue, or an error.
  void on_written();
  // Ends the output once it is due: after a failed write (the session
  // ends), or once an overflow's SLOW_CONSUMER error or a shutdown's queue
  // has reached the socket (the close starts).
  void end_output_if_due();

  // Laid out small (flags last): every idle connection holds one.
  Server::Impl& server_;
  ShardContext& shard_;
  FrameWriter& out_;
  const std::uint64_t id_;
  protocol::ClientFrameReader reader_;
  std::string& unread_;  // bytes read but not yet parsed: a frame's head, or a backlog
  WakeTimer reader_wake_;  // queue below its bounds, a close started, or the session ended
  asio::steady_timer* close_timer_ = nullptr;  // the running close's deadline
  core::Subscriber subscriber_;
  std::uint32_t last_input_epoch_;  // the shard's idle epoch of the last read
  bool backlog_;         // unread_ may hold whole frames (left when the queue filled)
  bool closing_ = false;        // shutdown: close once the queue is out
  bool dirty_ = false;
  bool output_ended_ = false;   // no frame may follow: a close frame went out, or the writer failed
  bool close_started_ = false;  // the server's close frame went out; the peer's is awaited
  bool closer_running_ = false;
  bool reader_waiting_ = false;
  bool ended_ = false;          // the reader stops
  bool lingers_ = false;
  bool pinged_ = false;         // a ping went out since the last read
  // The socket may hold bytes no wait will announce: a wait is only started
  // after a read found the socket empty (its readiness is edge-triggered).
  bool maybe_readable_ = true;
  const char* close_reason_ = "peer closed";
};

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
  beast::error_code ec;
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
  beast::error_code ignored;
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

void ShardContext::flush_dirty() {
  while (!dirty.empty()) {
    flushing.swap(dirty);
    for (WsConnection* connection : flushing) connection->flush();
    flushing.clear();
  }
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
// the write in flight is cancelled.
task<void> flush_within(FrameWriter& out, std::chrono::steady_clock::duration limit) {
  out.flush();
  if (out.idle()) co_return;
  asio::steady_timer timer(out.socket().get_executor(), limit);
  out.when_flushed([&timer](FrameWriter::error_code) { timer.cancel(); });
  auto [ec] = co_await timer.async_wait(nothrow);
  if (!ec) {
    beast::error_code ignored;
    out.socket().cancel(ignored);
  }
  // The waiter above runs before this one: both are posted in order.
  co_await out.async_wait_flushed(nothrow);
}

// Answers an upgrade request with Beast's handshake: 101, or the refusal of
// a malformed request. Returns true once the socket speaks WebSocket.
task<bool> accept_websocket(tcp::socket& socket, const http::request<http::string_body>& request) {
  websocket::stream<tcp::socket> handshake(std::move(socket));
  handshake.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
    res.set(http::field::server, "pubsub");
  }));
  auto [ec] = co_await handshake.async_accept(request, nothrow);
  socket = std::move(handshake.next_layer());
  co_return !ec;
}

// ------------------------------------------------------------------ HTTP session

http::response<http::string_body> to_http(const RestResponse& rest, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(rest.status), version};
  res.set(http::field::server, "pubsub");
  res.set(http::field::content_type, "application/json");
  if (!rest.allow.empty()) res.set(http::field::allow, rest.allow);
  res.keep_alive(keep_alive);
  res.body() = rest.body;
  res.prepare_payload();
  return res;
}

// Sends `rest` and closes gently (see linger_close).
task<void> answer_and_close(beast::tcp_stream& stream, const RestResponse& rest) {
  stream.expires_after(kFinalFlushTimeout);
  auto res = to_http(rest, 11, false);
  auto [ec, n] = co_await http::async_write(stream, res, nothrow);
  if (!ec) co_await linger_close(stream);
}

bool upgrade_authorized(const Server::Impl& server, const http::request<http::string_body>& req) {
  const std::string& key = server.options.api_key;
  if (key.empty()) return true;
  if (auto header = req.find("X-API-Key"); header != req.end()) {
    return api_key_matches(key, std::string_view(header->value().data(), header->value().size()));
  }
  std::string_view target(req.target().data(), req.target().size());
  auto query_key = query_parameter(target, "api_key");
  return query_key && api_key_matches(key, *query_key);
}

// How long a client may take to send a request (or stay idle between
// keep-alive requests): 30 s, or --idle-timeout if shorter.
std::chrono::steady_clock::duration request_timeout(const ServerOptions& options) {
  if (options.idle_timeout.count() > 0 && options.idle_timeout < kMaxRequestTimeout) return options.idle_timeout;
  return kMaxRequestTimeout;
}

// A connection that asked for the WebSocket upgrade, with its request.
struct Upgrade {
  beast::tcp_stream stream;
  http::request<http::string_body> request;
  std::string early_input;  // bytes the client sent after the request, without waiting for the 101
};

// Serves HTTP requests on one connection until it closes (nullopt) or asks,
// properly, for a WebSocket upgrade. Returning ends this coroutine, so that
// its frame (parser, buffers) is not held for the WebSocket's lifetime.
task<std::optional<Upgrade>> http_session(Server::Impl& server, std::size_t shard, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxRequestHeader);
    parser.body_limit(kMaxRequestBody);
    stream.expires_after(request_timeout(server.options));
    ShardContext& context = *server.shards[shard];
    context.idle_http.insert(&stream);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, nothrow);
    context.idle_http.erase(&stream);
    if (ec == http::error::body_limit) {
      co_await answer_and_close(stream, rest_error(413, "PAYLOAD_TOO_LARGE", "request body is larger than 64 KiB"));
      co_return std::nullopt;
    }
    if (ec == http::error::header_limit) {
      co_await answer_and_close(stream, rest_error(431, "BAD_REQUEST", "request header fields are too large"));
      co_return std::nullopt;
    }
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
      co_return std::nullopt;
    }
    if (ec) {
      co_await answer_and_close(stream, rest_error(400, "BAD_REQUEST", "malformed HTTP request"));
      co_return std::nullopt;
    }
    auto request = parser.release();
    std::string_view target(request.target().data(), request.target().size());

    if (websocket::is_upgrade(request)) {
      RestResponse refusal;
      if (target_path(target) != "/ws") refusal = rest_error(404, "NOT_FOUND", "WebSocket upgrades are served at /ws only");
      else if (!upgrade_authorized(server, request)) refusal = rest_error(401, "UNAUTHORIZED", "missing or invalid API key");
      else if (server.shutting_down.load()) refusal = rest_error(503, "INTERNAL", "server is shutting down");
      if (refusal.status != 200) {
        co_await answer_and_close(stream, refusal);
        co_return std::nullopt;
      }
      stream.expires_never();
      auto early = buffer.cdata();
      std::string early_input(static_cast<const char*>(early.data()), early.size());
      co_return Upgrade{std::move(stream), std::move(request), std::move(early_input)};
    }

    std::optional<std::string_view> api_key;
    if (auto header = request.find("X-API-Key"); header != request.end()) {
      api_key = std::string_view(header->value().data(), header->value().size());
    }
    std::string_view method(request.method_string().data(), request.method_string().size());
    RestResponse rest = handle_rest(server.broker, server.rest_context(), {method, target, request.body(), api_key});
    bool keep_alive = request.keep_alive() && !server.shutting_down.load();
    log::debug("http request", {{"method", method}, {"target", target_path(target)}, {"status", rest.status}});
    auto response = to_http(rest, request.version(), keep_alive);
    auto [wec, wn] = co_await http::async_write(stream, response, nothrow);
    if (wec || !keep_alive) {
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      co_return std::nullopt;
    }
  }
}

// Answers a connection past --max-connections with 503 and closes it.
task<void> reject_session(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  http::request_parser<http::empty_body> parser;
  parser.header_limit(kMaxRequestHeader);
  stream.expires_after(kHandshakeTimeout);
  co_await http::async_read_header(stream, buffer, parser, nothrow);
  co_await answer_and_close(stream, rest_error(503, "INTERNAL", "too many connections"));
}

// A connection that speaks WebSocket now, with the bytes the client sent
// after its upgrade request.
struct WebSocketStart {
  FrameWriter out;
  std::string early_input;
};

// Serves HTTP requests until the connection closes (nullopt) or upgrades;
// then answers the upgrade. Its frames (parser, request, handshake) are
// gone once it returns.
task<std::optional<WebSocketStart>> upgrade(Server::Impl& server, std::size_t shard,
                                                       FrameWriter::socket_type socket) {
  std::optional<Upgrade> upgrade = co_await http_session(server, shard, tcp::socket(std::move(socket)));
  if (!upgrade) co_return std::nullopt;
  tcp::socket upgraded = upgrade->stream.release_socket();
  if (!co_await accept_websocket(upgraded, upgrade->request)) co_return std::nullopt;
  // The same descriptor, for the shard's own executor type.
  beast::error_code ec;
  const auto protocol = upgraded.local_endpoint(ec).protocol();
  if (ec) co_return std::nullopt;
  FrameWriter::socket_type socket_for_shard(server.shards[shard]->ioc.get_executor());
  socket_for_shard.assign(protocol, upgraded.release(ec), ec);
  if (ec) co_return std::nullopt;
  co_return WebSocketStart{FrameWriter(std::move(socket_for_shard)), std::move(upgrade->early_input)};
}

// Ends a WebSocket session's socket: a session that exchanged close frames
// flushes them and closes gently; any other closes at once.
task<void> close_socket(FrameWriter& out, bool gently) {
  if (gently) {
    // The close frame goes out first; then the peer may still be sending.
    co_await flush_within(out, kFinalFlushTimeout);
    beast::tcp_stream lingering(tcp::socket(std::move(out.socket())));
    co_await linger_close(lingering);
  } else {
    // A write still in flight refers to the socket: end it before the socket goes.
    beast::error_code ignored;
    out.socket().close(ignored);
    co_await out.async_wait_flushed(nothrow);
  }
}

// The session's log lines and counters, outside its coroutine: the
// temporaries of a call in a coroutine can take room in its frame.
std::uint64_t open_websocket(Server::Impl& server) {
  std::uint64_t id = server.next_connection_id.fetch_add(1, std::memory_order_relaxed);
  server.websocket_connections.fetch_add(1, std::memory_order_relaxed);
  log::info("websocket open", {{"connection", id}});
  return id;
}

void websocket_closed(Server::Impl& server, std::uint64_t id, const char* reason) {
  server.websocket_connections.fetch_sub(1, std::memory_order_relaxed);
  log::info("websocket closed", {{"connection", id}, {"reason", reason}});
}

// Serves one TCP connection: its HTTP requests and, after an upgrade, its
// WebSocket session, which waits in this coroutine's frame (see
// WsConnection::advance).
task<void> connection_session(Server::Impl& server, std::size_t shard, FrameWriter::socket_type socket) {
  ConnectionSlot slot(server);
  std::optional<WebSocketStart> start = co_await upgrade(server, shard, std::move(socket));
  if (!start) co_return;
  FrameWriter& out = start->out;
  const std::uint64_t id = open_websocket(server);
  const char* reason = "peer closed";
  bool lingers = false;
  {
    WsConnection connection(server, shard, out, id, start->early_input);
    if (server.shutting_down.load()) connection.begin_close();
    for (;;) {
      WsConnection::Wait wait = connection.advance();
      if (wait == WsConnection::Wait::done) break;
      if (wait == WsConnection::Wait::readable) {
        auto [ec] = co_await connection.wait_readable();
        connection.on_readable(ec);
      } else {
        co_await connection.wait_woken();
      }
    }
    reason = connection.close_reason();
    lingers = connection.lingers();
  }
  co_await close_socket(out, lingers);
  websocket_closed(server, id, reason);
}

task<void> accept_loop(Server::Impl& server) {
  std::size_t next_shard = 0;
  for (;;) {
    std::size_t shard = next_shard;
    next_shard = (next_shard + 1) % server.shards.size();
    auto [ec, socket] = co_await server.acceptor->async_accept(server.shards[shard]->ioc, nothrow);
    if (ec == asio::error::operation_aborted || !server.acceptor->is_open()) co_return;
    if (ec) {
      log::warn("accept failed", {{"error", ec.message()}});
      asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
      co_await pause.async_wait(nothrow);
      continue;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto& ioc = server.shards[shard]->ioc;
    if (server.connections.load(std::memory_order_relaxed) >= static_cast<std::int64_t>(server.options.max_connections)) {
      server.rejected_connections.fetch_add(1, std::memory_order_relaxed);
      asio::co_spawn(ioc, reject_session(tcp::socket(std::move(socket))), log_session_exception);
      continue;
    }
    asio::co_spawn(ioc, connection_session(server, shard, std::move(socket)), log_session_exception);
  }
}

// Runs one shard's event loop, in passes: it runs ready handlers until none
// is left (or kMaxPassHandlers ran), then writes out every connection that
// the pass gave frames, one socket write each. Under load a pass handles
// many publishes, so each connection's write carries many events; when idle,
// a frame leaves at the end of the pass that queued it, without delay.
void run_shard(ShardContext& shard) {
  while (shard.ioc.run_one() > 0) {
    for (int ran = 1; ran < kMaxPassHandlers && shard.ioc.poll_one() > 0; ++ran) {
    }
    shard.flush_dirty();
    shard.broker_shard.release_dropped();
  }
}

task<void> heartbeat_loop(Server::Impl& server, ShardContext& shard) {
  auto& timer = *shard.heartbeat;
  for (;;) {
    timer.expires_after(server.options.heartbeat_interval);
    auto [ec] = co_await timer.async_wait(nothrow);
    if (ec || server.shutting_down.load()) co_return;
    if (shard.connections.empty()) continue;
    auto frame = core::make_control_frame(protocol::make_heartbeat(now_ts()));
    for (WsConnection* connection : shard.connections) connection->subscriber().push_control(frame);
  }
}

// Pings quiet connections and drops silent ones (WsConnection::check_idle).
task<void> idle_sweep_loop(Server::Impl& server, ShardContext& shard) {
  auto& timer = *shard.idle_sweep;
  const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(server.options.idle_timeout) /
                      kIdleEpochsPerTimeout;
  for (;;) {
    timer.expires_after(period);
    auto [ec] = co_await timer.async_wait(nothrow);
    if (ec || server.shutting_down.load()) co_return;
    ++shard.idle_epoch;
    for (WsConnection* connection : shard.connections) connection->check_idle(shard.idle_epoch);
  }
}

core::BrokerOptions broker_options(const ServerOptions& options) {
  core::BrokerOptions out;
  out.history_size = options.history_size;
  out.shards = std::max<std::size_t>(options.threads, 1);
  out.queue = options.queue;
  return out;
}

}  // namespace

Server::Impl::Impl(ServerOptions opts) : options(std::move(opts)), broker(broker_options(options), frames) {
  for (std::size_t i = 0; i < broker.options().shards; ++i) {
    core::Shard& broker_shard = broker.shard(i);
    auto shard = std::make_unique<ShardContext>(broker_shard);
    asio::io_context& ioc = shard->ioc;
    broker_shard.set_wake([&ioc, &broker_shard] { asio::post(ioc, [&broker_shard] { broker_shard.drain(); }); });
    shards.push_back(std::move(shard));
  }
}

RestContext Server::Impl::rest_context() const {
  ServerCounters counters;
  counters.connections = connections.load(std::memory_order_relaxed);
  counters.websocket_connections = websocket_connections.load(std::memory_order_relaxed);
  counters.rejected_connections = rejected_connections.load(std::memory_order_relaxed);
  counters.slow_consumer_disconnects = slow_consumer_disconnects.load(std::memory_order_relaxed);
  counters.shutting_down = shutting_down.load(std::memory_order_relaxed);
  return RestContext{options.api_key, started, counters};
}

// Runs on shard 0's thread.
void Server::Impl::begin_shutdown() {
  if (shutting_down.exchange(true)) return;
  log::info("shutting down", {{"timeout_ms", options.shutdown_timeout.count()}});
  beast::error_code ignored;
  acceptor->close(ignored);
  signals->cancel(ignored);
  for (auto& shard : shards) {
    asio::post(shard->ioc, [s = shard.get()] {
      if (s->heartbeat) s->heartbeat->cancel();
      if (s->idle_sweep) s->idle_sweep->cancel();
      for (WsConnection* connection : s->connections) connection->begin_close();
      for (beast::tcp_stream* stream : s->idle_http) stream->cancel();
      s->work.reset();
    });
  }
  std::lock_guard lock(run_mutex);
  run_changed.notify_all();
}

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Server::~Server() = default;

void Server::request_stop() {
  Impl* impl = impl_.get();
  asio::post(impl->shards[0]->ioc, [impl] { impl->begin_shutdown(); });
}

int Server::run() {
  Impl& s = *impl_;
  asio::io_context& main_ioc = s.shards[0]->ioc;
  auto address = asio::ip::make_address(s.options.host);
  tcp::endpoint endpoint(address, s.options.port);
  s.acceptor.emplace(main_ioc);
  s.acceptor->open(endpoint.protocol());
  s.acceptor->set_option(tcp::acceptor::reuse_address(true));
  s.acceptor->bind(endpoint);
  s.acceptor->listen(asio::socket_base::max_listen_connections);
  auto bound = s.acceptor->local_endpoint();

  s.signals.emplace(main_ioc, SIGINT, SIGTERM);
  s.signals->async_wait([&s](const boost::system::error_code& ec, int) {
    if (!ec) s.begin_shutdown();
  });
  asio::co_spawn(main_ioc, accept_loop(s), log_session_exception);
  if (s.options.heartbeat_interval.count() > 0) {
    for (auto& shard : s.shards) {
      shard->heartbeat.emplace(shard->ioc);
      asio::co_spawn(shard->ioc, heartbeat_loop(s, *shard), asio::detached);
    }
  }
  if (s.options.idle_timeout.count() > 0) {
    for (auto& shard : s.shards) {
      shard->idle_sweep.emplace(shard->ioc);
      asio::co_spawn(shard->ioc, idle_sweep_loop(s, *shard), asio::detached);
    }
  }

  std::printf("listening on %s:%u\n", s.options.host.c_str(), static_cast<unsigned>(bound.port()));
  std::fflush(stdout);
  log::info("listening", {{"host", s.options.host}, {"port", bound.port()}, {"threads", s.shards.size()}});

  s.running_threads = s.shards.size();
  std::vector<std::thread> threads;
  for (auto& shard : s.shards) {
    threads.emplace_back([&s, shard = shard.get()] {
      run_shard(*shard);
      std::lock_guard lock(s.run_mutex);
      --s.running_threads;
      s.run_changed.notify_all();
    });
  }
  {
    // Wait for the shutdown to start, then give it --shutdown-timeout.
    std::unique_lock lock(s.run_mutex);
    s.run_changed.wait(lock, [&] { return s.shutting_down.load() || s.running_threads == 0; });
    if (!s.run_changed.wait_for(lock, s.options.shutdown_timeout, [&] { return s.running_threads == 0; })) {
      log::warn("shutdown timeout: closing remaining connections");
      for (auto& shard : s.shards) shard->ioc.stop();
    }
  }
  for (auto& t : threads) t.join();
  log::info("stopped");
  return 0;
}

}  // namespace pubsub::net
