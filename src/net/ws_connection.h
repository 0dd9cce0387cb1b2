// One WebSocket connection after the upgrade: its broker Subscriber, the
// reader that parses and handles the client's frames, and the frames it
// writes through its FrameWriter at the end of each loop pass.
//
// Shard thread only: a connection lives in its session coroutine's frame
// on the thread of its shard.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/subscriber.h"
#include "net/asio_support.h"
#include "net/broker_frames.h"
#include "net/frame_writer.h"
#include "protocol/messages.h"
#include "protocol/websocket_reader.h"

namespace pubsub::net {

struct ServerState;
struct ShardContext;

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
  WsConnection(ServerState& server, std::size_t shard, FrameWriter& out, std::uint64_t id, std::string& unread);
  ~WsConnection();

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
  void on_readable(boost::system::error_code ec) {
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
  void mark_dirty();
  // A socket write finished: room for the rest of the queue, or an error.
  void on_written();
  // Ends the output once it is due: after a failed write (the session
  // ends), or once an overflow's SLOW_CONSUMER error or a shutdown's queue
  // has reached the socket (the close starts).
  void end_output_if_due();

  // Laid out small (flags last): every idle connection holds one.
  ServerState& server_;
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


}  // namespace pubsub::net
