// One WebSocket connection after the upgrade, as a state machine without
// I/O: it is given the bytes read from its socket, answers requests, keeps
// its outbound queue (it is the broker's Subscriber), fills its frame
// writer, and says what its socket must do next. The I/O code
// (ws_endpoint.h) performs that and reports back. Unit tests drive it with
// no socket at all.
//
// Lifecycle (State):
//
//   open ──shutdown / SLOW_CONSUMER──> draining ──queue written──┐
//    │  \                                 │                       v
//    │   `──message too big (1009)────────┼─────────────────> closing ──peer's close / deadline──> closed
//    │                                    │                       │
//    ├──peer's close (echoed) / a violation's close frame─────────┼──────────────────────────────> closed
//    └──EOF, I/O error, idle timeout──────┴───────────────────────┴──────────────────────────────> lost
//
// closed ends gently (the close frame is flushed, then the socket lingers);
// lost ends at once. In open and draining the reader may also be parked:
// while the outbound queue is at its bounds, the next request waits.
//
// Shard thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "auth/jwt.h"
#include "common/token_bucket.h"
#include "core/subscriber.h"
#include "net/close_reason.h"
#include "net/connection_context.h"
#include "net/frame_writer.h"
#include "net/shared_topics_link.h"
#include "protocol/messages.h"
#include "protocol/websocket_reader.h"

namespace pubsub::core {
struct SubscribeResult;
}

namespace pubsub::net {

class WsConnection : public core::Subscriber {
 public:
  enum class State : std::uint8_t {
    open,      // reading requests, answering, delivering events
    draining,  // shutdown or SLOW_CONSUMER: the queue goes out, then the close frame
    closing,   // the server's close frame went out; waiting for the peer's (messages skipped)
    closed,    // the close handshake is over (or abandoned): flush, then close gently
    lost,      // the connection failed or timed out: close at once
  };
  // What the session (the reading side) must do next.
  enum class Action : std::uint8_t {
    read,           // read from the socket into read_space(), then on_read() or on_read_end()
    wait_readable,  // wait until wake_due(): on_input_ready() came (or the end)
    wait_wake,      // wait until wake_due(): room in the queue (or the end)
    finish,         // the connection is over: see state() and writer()
  };

  // `early_input`: bytes the client sent right after its upgrade request;
  // `identity`: the holder of the token it presented (null: an API key, or
  // no authentication; everything is granted).
  WsConnection(ConnectionContext& context, std::uint64_t id, std::string early_input,
               std::unique_ptr<auth::Identity> identity = nullptr);
  ~WsConnection() override;

  std::uint64_t id() const { return id_; }
  State state() const { return state_; }
  CloseReason close_reason() const { return close_reason_; }
  // The token's holder; null if the connection presented none.
  const auth::Identity* identity() const;

  // --- the reading side (the session coroutine) ---

  // Handles what needs no waiting and says what to do next.
  Action next_action();
  // Where to read into: the buffer the shard's connections share.
  std::span<char> read_space() { return context_.read_buffer; }
  // `n` bytes were read into read_space().
  void on_read(std::size_t n);
  // `input` was read into a buffer of the connection's own (a TLS
  // connection decrypts into its own buffer, as its reads can overlap
  // others'). Leaves the readiness to the caller.
  void on_input(std::span<char> input);
  // The socket had nothing to read.
  void on_read_would_block() { maybe_readable_ = false; }
  // The peer ended its stream (`error` false) or the socket failed.
  void on_read_end(bool error);
  // The socket has input (or an end or error to report) since the last
  // read found it empty. Any time, waiting or not.
  void on_input_ready() { maybe_readable_ = true; }

  // --- the writing side (the shard's loop, at the end of each pass) ---

  // Starts the write at the end of the pass: moves queued frames into the
  // writer while it accepts them (and the close frame, once it is due).
  // Returns false if the connection was written already in this pass.
  bool begin_flush();
  FrameWriter& writer() { return writer_; }
  WriterPool& writer_pool() { return context_.writers; }
  // The socket took `n` bytes of what the writer gathered.
  void on_sent(std::size_t n);
  // The socket is full: writing waits for on_writable().
  void on_send_blocked() { send_blocked_ = true; }
  // The socket has room again (nothing to do unless it was full).
  void on_writable();
  bool send_blocked() const { return send_blocked_; }
  // The socket failed.
  void on_send_failed();

  // --- timers and the server ---

  // The idle-timeout sweep, once per epoch (timeouts.h): pings a quiet
  // peer, drops a silent one.
  void on_idle_sweep(std::uint32_t epoch);
  // The close tick: ends a close handshake past its deadline.
  void on_close_tick(std::chrono::steady_clock::time_point now);
  // --engine redis: sends the parked acks of `context`'s connections
  // whose events have reached them and, given `now` (the same tick as
  // on_close_tick), those past kAckAwaitsEventTimeout; each takes its
  // place in its connection's reply line.
  static void release_waiting_acks(ConnectionContext& context,
                                   std::optional<std::chrono::steady_clock::time_point> now);
  // What the shard's loop pass does before its writes (end_pass): wakes
  // the shards it handed events to, delivers its inbox to its
  // connections, then releases the acks whose events that brought
  // (release_waiting_acks).
  static void deliver_pass(ConnectionContext& context);
  // The graceful shutdown: flush the queue, then close with 1001.
  void begin_shutdown();
  // The token expired (the shard's expiry tick): the TOKEN_EXPIRED error,
  // nothing after it, then the close with 1008.
  void on_token_expired();

  // --- what the I/O code must do after a call from outside the session ---

  // True when the session's wait is over: input came, the queue has room,
  // or the connection ended.
  bool wake_due() const;

 protected:
  ConnectionContext& context() { return context_; }
  void on_ready(bool reply) override { mark_pending(reply); }
  // An answer from the shared topics came (--engine redis): the session
  // may resume. The I/O code settles the connection.
  virtual void on_shared_answer() {}
  // True if bytes wait unread in the socket (or in its TLS layer). Asked
  // only when a shutdown's drain is done, so that requests sent during it
  // are answered before the close; without a socket, none wait.
  virtual bool input_pending() { return false; }
  void on_overflow(core::OverflowPolicy policy) override;

 private:
  // The session waits for nothing, the socket, or a wake-up.
  enum class Waiting : std::uint8_t { nothing, readable, wake };

  bool ended() const { return state_ == State::closed || state_ == State::lost; }
  std::string& scratch() { return shard().scratch(); }
  void fill_output();
  // True once no frame may follow: the close frame went out, or the socket is gone.
  bool output_ended() const { return state_ >= State::closing; }
  // True while the next request must wait: the queue is at its bounds.
  bool must_wait() const;
  // Handles the items the reader finds in `input` until it needs more
  // bytes, the connection ends, or the next request must wait (backlog_).
  void consume(std::span<char>& input);
  // Keeps `rest`, the end of unread_ that consume() left, as unread_.
  void keep_unread(std::span<char> rest);
  void handle_item(const protocol::ClientFrameReader::Item& item);
  void handle(std::string_view text);
  void handle(const protocol::Request& request);
  void handle_subscribe(const protocol::Request& request);
  void handle_publish(const protocol::Request& request);
  // --engine redis: a request that needs the shared topics.
  void publish_shared(SharedTopicsLink& link, const protocol::Request& request);
  // A subscribe or unsubscribe: held until the replies before it are out.
  void hold_shared_request(const protocol::Request& request);
  // Runs the subscribe or unsubscribe that waited for earlier answers.
  void run_held_request();
  // Subscribes as `request` says, loading the topic into the node's mirror
  // first when it is not there (up to `loads` more times).
  void subscribe_loading(const protocol::Request& request, int loads);
  // Replies to a subscribe the broker answered.
  void answer_subscribe(const protocol::Request& request, core::SubscribeResult& result);
  // A handle that tells a late answer whether the connection still exists.
  std::shared_ptr<WsConnection*> self_handle();
  // The held request is answered: it is counted (pubsub_requests_total),
  // and the parked reader may go on.
  void finish_held_request();
  void reply(std::string_view json_frame);
  // Sends the replies at the head of the deferred line that are ready.
  void send_ready_replies();
  // A reply of the deferred line came: sends what is ready, runs the held
  // request once the line is empty, and lets the session resume.
  void after_deferred_reply();
  // Keeps the ack `frame` of the publish at `place` of `topic`, whose
  // event `seq` the connection awaits, until that event has reached it.
  void park_ack(std::uint64_t place, std::string_view frame, std::string_view topic, std::uint64_t seq);
  // Sends the parked acks whose events reached the connection (or will
  // not), and, if `now` is given, those past their deadline.
  void release_acks(std::optional<std::chrono::steady_clock::time_point> now);
  void reply_error(std::optional<std::string_view> request_id, protocol::ErrorCode code, std::string_view message);
  void reply_ack(const protocol::Request& request);
  void topic_not_found(const protocol::Request& request);
  void topic_limit_reached(const protocol::Request& request);
  // True if --max-publish-rate lets one more publish through now.
  bool publish_allowed();
  // True if the connection's token grants publishing to `topic` (cached).
  bool publish_granted(const std::string& topic);
  // The peer's close frame: answers it (echoing its code) unless it answers ours.
  void on_peer_close(std::uint16_t code);
  // Fails the connection: a close frame with `code` (1002, 1007), nothing after.
  void fail(std::uint16_t code, CloseReason reason);
  // Sends the server's close frame and waits for the peer's (closing).
  void start_close(std::uint16_t code, CloseReason reason);
  // Starts the close that draining waits for, once the queue is written.
  void close_if_drained();
  void append_close_frame(std::uint16_t code);
  // Ends the connection; the socket closes at once.
  void lose(CloseReason reason);
  void enter(State state);
  // The deadline of a close handshake, or of a SLOW_CONSUMER error's
  // write: kFinalFlushTimeout from now; the shard's close tick checks it.
  void arm_deadline();
  void disarm_deadline();
  // Puts the connection on its shard's list of writes for the end of the
  // pass: `urgent` (a reply, a control frame) is written at the end of
  // this pass; events alone wait for the shard's next event write.
  void mark_pending(bool urgent);

  // Laid out small: every idle connection holds one.
  ConnectionContext& context_;
  const std::uint64_t id_;
  protocol::ClientFrameReader reader_;
  FrameWriter writer_;
  std::unique_ptr<std::string> unread_;                  // bytes read but not parsed: a frame's head, or a backlog
  std::unique_ptr<common::TokenBucket> publish_budget_;  // --max-publish-rate, from the first publish on
  struct TokenAccess;
  std::unique_ptr<TokenAccess> token_;                      // what its token grants; null: everything
  std::chrono::steady_clock::time_point close_deadline_{};  // none: not on context_.closing
  std::uint32_t last_input_epoch_;                          // the shard's idle epoch of the last read
  std::uint32_t slot_;                                      // position in context_.connections
  State state_ = State::open;
  CloseReason close_reason_ = CloseReason::client;
  Waiting waiting_ = Waiting::nothing;
  bool backlog_;                // unread_ may hold whole frames (left when the queue filled)
  bool maybe_readable_ = true;  // readiness is edge-triggered: wait only after a read found nothing
  // Which of the shard's write lists holds the connection.
  enum class Pending : std::uint8_t { none, events, urgent };
  Pending pending_ = Pending::none;
  bool send_blocked_ = false;  // the socket is full
  // A shutdown's drain is done but input had come: the session reads it
  // (answering each request with INTERNAL) before the close.
  bool read_before_close_ = false;
  // The error the request being handled was answered with, if any (for
  // pubsub_requests_total).
  std::optional<protocol::ErrorCode> request_error_;
  // --engine redis: replies kept in request order behind answers still
  // to come; a subscribe or unsubscribe waiting for them (or for the
  // node's mirror), during which no request is read; the handle late
  // answers hold.
  struct Shared;
  std::unique_ptr<Shared> shared_;
};

}  // namespace pubsub::net
