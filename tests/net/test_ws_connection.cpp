// Tests of the WebSocket connection's state machine (ws_connection.h) with
// no socket: bytes go in as a socket read would deliver them, the shard's
// end-of-pass write is played by hand (begin_flush, then gather and on_sent
// until the writer is empty), and what the writer sends is read back as a
// client reads it. The broker is real and so are the frames (the
// protocol's own encoders), so every frame checked is wire bytes.
//
// Each transition of the lifecycle in ws_connection.h has its own case;
// those that depend on the overflow policy run under both.
#include "net/ws_connection.h"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/broker.h"
#include "net/broker_frames.h"
#include "net/shared_topics_link.h"
#include "net/timeouts.h"
#include "protocol/client_frames.h"
#include "protocol/json_scan.h"
#include "protocol/messages.h"
#include "protocol/websocket_frame.h"

using namespace pubsub;
using net::CloseReason;
using net::WsConnection;
using Action = WsConnection::Action;
using State = WsConnection::State;
using protocol::Opcode;

namespace {

constexpr std::string_view kUuid = "550e8400-e29b-41d4-a716-446655440000";

// Frames in one line each (see summary()).
using Lines = std::vector<std::string>;

// ------------------------------------------------------------------ the shard

// What a shard's connections share, over a real one-shard broker that
// encodes its frames as the server does.
struct TestShard {
  explicit TestShard(core::QueueLimits limits = {}, std::size_t history = 100)
      : broker(core::BrokerOptions{history, 1, limits}, frames) {}

  net::ProtocolFrames frames;
  core::Broker broker;
  net::ConnectionSettings settings;  // max_message_bytes: read when a connection is made
  net::ConnectionCounters counters;
  net::ConnectionContext context{broker.shard(0), settings, counters};
};

// The bounds of a subscriber's queue: `max_frames` (--max-queue) under `policy`.
core::QueueLimits limits(std::size_t max_frames, core::OverflowPolicy policy) {
  core::QueueLimits l;
  l.max_frames = max_frames;
  l.policy = policy;
  return l;
}

// True if `c` is on `list` exactly once.
bool listed(const std::vector<WsConnection*>& list, const WsConnection& c) {
  return std::count(list.begin(), list.end(), &c) == 1;
}

// ------------------------------------------------------------------ what the client sends

// One read from the socket that returns `bytes`.
void feed(WsConnection& c, std::string_view bytes) {
  const std::span<char> space = c.read_space();
  REQUIRE(bytes.size() <= space.size());
  std::copy(bytes.begin(), bytes.end(), space.begin());
  c.on_read(bytes.size());
}

// A client's masked text frame, and the requests it sends in them.
std::string text(std::string_view json) { return protocol::client_frame(0x81, json); }

std::string ping_request(std::string_view id) {
  return text(R"({"type":"ping","request_id":")" + std::string(id) + R"("})");
}

std::string subscribe_request(std::string_view topic, std::uint64_t last_n, std::string_view id) {
  return text(R"({"type":"subscribe","topic":")" + std::string(topic) + R"(","client_id":"c","last_n":)" +
              std::to_string(last_n) + R"(,"request_id":")" + std::string(id) + R"("})");
}

// A publish request's JSON (with `id` as its request_id, if any).
std::string publish_json(std::string_view topic, std::string_view payload_json, std::string_view id = "") {
  std::string json = R"({"type":"publish","topic":")" + std::string(topic) + R"(","message":{"id":")" +
                     std::string(kUuid) + R"(","payload":)" + std::string(payload_json) + "}";
  if (!id.empty()) json += R"(,"request_id":")" + std::string(id) + '"';
  return json + "}";
}

// The peer's close frame: `code` (none if nullopt) and `reason`.
std::string close_frame(std::optional<std::uint16_t> code, std::string_view reason = "") {
  std::string payload;
  if (code) {
    payload += static_cast<char>(*code >> 8);
    payload += static_cast<char>(*code & 0xff);
  }
  payload += reason;
  return protocol::client_frame(0x88, payload);
}

// A --max-message-bytes small enough for a test, and a message over it.
constexpr std::size_t kSmallLimit = 128;
std::string too_big() { return text(std::string(2 * kSmallLimit, ' ') + "{}"); }

// Publishes one event on `topic` as another client's publish request
// would; returns its seq.
std::uint64_t publish(TestShard& shard, std::string_view topic, std::string_view payload_json = "1") {
  const std::string json = publish_json(topic, payload_json);
  const protocol::ParseResult parsed = protocol::parse_request(json, {});
  REQUIRE(parsed.ok);
  const net::PublishEncoder encoder(parsed.request.message_id_raw, parsed.request.payload_raw);
  const core::PublishResult result = shard.broker.publish(0, topic, false, encoder);
  REQUIRE(result.found);
  return result.seq;
}

// A JSON string payload of `n` bytes.
std::string big_payload(std::size_t n) { return '"' + std::string(n, 'x') + '"'; }

// ------------------------------------------------------------------ what the server sends

// A server frame as a client reads it.
struct Frame {
  Opcode opcode;
  std::string payload;
};

// The frames in `wire`, read as a client reads them; a partial or masked
// frame fails the test.
std::vector<Frame> decode(std::string_view wire) {
  std::vector<Frame> frames;
  while (!wire.empty()) {
    const auto frame = protocol::read_server_frame(wire);
    REQUIRE(frame.has_value());
    REQUIRE(frame->fin);
    REQUIRE_FALSE(frame->masked);
    frames.push_back({static_cast<Opcode>(frame->opcode), std::string(frame->payload)});
    wire.remove_prefix(frame->size());
  }
  return frames;
}

// The members of a JSON object: key -> raw value text.
struct Members final : protocol::MemberVisitor {
  std::map<std::string, std::string> raw;
  void member(std::string_view key, protocol::JsonValue value) override { raw[std::string(key)] = value.raw; }
};

// A raw JSON string without its quotes (no escapes are expected here).
std::string unquoted(std::string_view raw) {
  if (raw.size() >= 2 && raw.front() == '"') return std::string(raw.substr(1, raw.size() - 2));
  return std::string(raw);
}

// A frame in one line: "pong p-1", "error TOPIC_NOT_FOUND s-1", "ack 0 s-1" (its seq),
// "event 3" (its seq), "info dropped", "PONG data", "PING", "CLOSE 1000".
std::string summary(const Frame& frame) {
  switch (frame.opcode) {
    case Opcode::ping: return "PING" + (frame.payload.empty() ? "" : " " + frame.payload);
    case Opcode::pong: return "PONG" + (frame.payload.empty() ? "" : " " + frame.payload);
    case Opcode::close: {
      REQUIRE(frame.payload.size() >= 2);
      const auto hi = static_cast<unsigned char>(frame.payload[0]);
      const auto lo = static_cast<unsigned char>(frame.payload[1]);
      return "CLOSE " + std::to_string(hi << 8 | lo);
    }
    case Opcode::text: break;
    default: FAIL("unexpected opcode " << static_cast<int>(frame.opcode));
  }
  Members top;
  INFO(frame.payload);
  REQUIRE(protocol::scan_object(frame.payload, top) == protocol::ObjectScan::ok);
  std::string out = unquoted(top.raw["type"]);
  if (top.raw.contains("error")) {
    Members error;
    REQUIRE(protocol::scan_object(top.raw["error"], error) == protocol::ObjectScan::ok);
    out += " " + unquoted(error.raw["code"]);
  }
  if (top.raw.contains("seq")) out += " " + top.raw["seq"];
  if (top.raw.contains("msg")) out += " " + unquoted(top.raw["msg"]);
  if (top.raw.contains("request_id")) out += " " + unquoted(top.raw["request_id"]);
  return out;
}

Lines summaries(const std::vector<Frame>& frames) {
  Lines out;
  for (const Frame& frame : frames) out.push_back(summary(frame));
  return out;
}

Lines summaries(std::string_view wire) { return summaries(decode(wire)); }

// ------------------------------------------------------------------ the shard's writes

// Sends up to `n` bytes of what the writer holds, as a socket that takes
// only that many would; returns them.
std::string send_some(WsConnection& c, std::size_t n) {
  std::string wire;
  std::array<net::WriteBuffer, 4> buffers;  // few, so that a write takes several gathers
  while (n > 0 && !c.writer().empty()) {
    const std::size_t count = c.writer().gather(buffers);
    REQUIRE(count > 0);
    std::size_t taken = 0;
    for (std::size_t i = 0; i < count && taken < n; ++i) {
      const std::size_t size = std::min(buffers[i].size, n - taken);
      wire.append(buffers[i].data, size);
      taken += size;
    }
    c.on_sent(taken);
    n -= taken;
  }
  return wire;
}

// Sends everything the writer holds, and what the queue refills it with,
// as a socket with room for all of it would.
std::string send_all(WsConnection& c) { return send_some(c, SIZE_MAX); }

// Starts the write of `c` at the end of a pass, as the shard does: takes it
// off the pass's lists and moves its queued frames into its writer.
void begin_write(TestShard& shard, WsConnection& c) {
  std::erase(shard.context.urgent, &c);
  std::erase(shard.context.dirty, &c);
  REQUIRE(c.begin_flush());
}

// Plays the end of a shard's loop pass (ShardContext::end_pass): its
// deliveries (deliver_pass), then the writes of the connections given
// replies, then those given only events, then the replies that came
// meanwhile, each through a socket that takes it all. Returns the bytes
// `c` sent.
std::string write_pass(TestShard& shard, WsConnection& c) {
  WsConnection::deliver_pass(shard.context);
  std::string wire;
  auto write_out = [&](std::vector<WsConnection*>& list) {
    std::vector<WsConnection*> flushing;
    while (!list.empty()) {
      flushing.swap(list);
      for (WsConnection* each : flushing) {
        if (!each->begin_flush()) continue;
        const std::string sent = send_all(*each);
        if (each == &c) wire += sent;
      }
      flushing.clear();
    }
  };
  write_out(shard.context.urgent);
  write_out(shard.context.dirty);
  write_out(shard.context.urgent);
  shard.broker.shard(0).release_dropped();
  return wire;
}

// The frames `c` sent in a pass, whole.
std::vector<Frame> end_pass(TestShard& shard, WsConnection& c) { return decode(write_pass(shard, c)); }

// The frames `c` sent in a pass, in one line each.
Lines pass(TestShard& shard, WsConnection& c) { return summaries(write_pass(shard, c)); }

// Subscribes c to topic "t" (from its start) and checks the ack.
void subscribe_to_t(TestShard& shard, WsConnection& c) {
  feed(c, subscribe_request("t", 0, "s-1"));
  CHECK(pass(shard, c) == Lines{"ack 0 s-1"});
}

// One idle sweep at `epoch`, as the shard's timer runs it.
void sweep(TestShard& shard, WsConnection& c, std::uint32_t epoch) {
  shard.context.idle_epoch = epoch;
  c.on_idle_sweep(epoch);
}

}  // namespace

// ------------------------------------------------------------------ requests and control frames

TEST_CASE("A ping request is answered with a pong written at the end of the pass", "[ws_connection]") {
  TestShard shard;
  WsConnection c(shard.context, 1, "");
  REQUIRE(listed(shard.context.connections, c));

  CHECK(c.next_action() == Action::read);
  feed(c, ping_request("p-1"));
  CHECK(c.next_action() == Action::wait_readable);  // the read did not fill the buffer

  // Queued as a reply: urgent, and not in the writer before the flush.
  CHECK(listed(shard.context.urgent, c));
  CHECK(shard.context.dirty.empty());
  CHECK(c.writer().empty());
  CHECK(c.queued_frames() == 1);

  CHECK(pass(shard, c) == Lines{"pong p-1"});
  CHECK(shard.context.urgent.empty());
  CHECK(c.writer().empty());
  CHECK(c.idle());
  CHECK(c.writer_pool().in_use() == 0);
  CHECK(c.state() == State::open);
}

TEST_CASE("A WebSocket ping is answered with a pong carrying the same data", "[ws_connection]") {
  TestShard shard;
  WsConnection c(shard.context, 1, "");
  feed(c, protocol::client_frame(0x89, "are you there?") + protocol::client_frame(0x89, ""));
  const std::vector<Frame> frames = end_pass(shard, c);
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].opcode == Opcode::pong);
  CHECK(frames[0].payload == "are you there?");
  CHECK(frames[1].opcode == Opcode::pong);
  CHECK(frames[1].payload.empty());
  CHECK(c.state() == State::open);
}

TEST_CASE("Requests are answered in the order they came, whatever they are", "[ws_connection]") {
  TestShard shard;
  shard.broker.create_topic("t");
  WsConnection c(shard.context, 1, "");
  const std::string input = ping_request("a") + subscribe_request("missing", 0, "b") +
                            text(R"({"type":"subscribe","request_id":"c"})") +  // no topic
                            protocol::client_frame(0x82, "bin") + protocol::client_frame(0x89, "x") +
                            subscribe_request("t", 0, "d") + text(publish_json("t", "7", "e")) + ping_request("f");
  SECTION("in one read") { feed(c, input); }
  SECTION("a byte at a time") {
    for (char byte : input) feed(c, std::string_view(&byte, 1));
  }
  CHECK(pass(shard, c) == Lines{"pong a", "error TOPIC_NOT_FOUND b", "error BAD_REQUEST c", "error BAD_REQUEST",
                                "PONG x", "ack 0 d", "event 1", "ack 1 e", "pong f"});
  CHECK(c.state() == State::open);
}

TEST_CASE("Replies go on the urgent list, events alone on the dirty list", "[ws_connection]") {
  TestShard shard;
  shard.broker.create_topic("t");
  WsConnection c(shard.context, 1, "");
  feed(c, subscribe_request("t", 0, "s-1"));
  CHECK(listed(shard.context.urgent, c));
  CHECK(pass(shard, c) == Lines{"ack 0 s-1"});

  publish(shard, "t");
  publish(shard, "t");
  CHECK(listed(shard.context.dirty, c));
  CHECK(shard.context.urgent.empty());
  CHECK(c.writer().empty());  // events wait for the pass's write

  feed(c, ping_request("p-1"));  // a reply makes the same write urgent
  CHECK(listed(shard.context.urgent, c));
  CHECK(pass(shard, c) == Lines{"event 1", "event 2", "pong p-1"});
  CHECK(shard.context.urgent.empty());
  CHECK(shard.context.dirty.empty());
}

TEST_CASE("The context lists each connection while it exists", "[ws_connection]") {
  TestShard shard;
  auto a = std::make_unique<WsConnection>(shard.context, 1, "");
  auto b = std::make_unique<WsConnection>(shard.context, 2, "");
  auto c = std::make_unique<WsConnection>(shard.context, 3, "");
  CHECK(shard.context.connections == std::vector<WsConnection*>{a.get(), b.get(), c.get()});
  feed(*a, ping_request("p"));
  a.reset();
  CHECK(shard.context.connections.size() == 2);
  CHECK(listed(shard.context.connections, *b));
  CHECK(listed(shard.context.connections, *c));
  CHECK(shard.context.urgent.empty());  // the gone connection's write is forgotten
  c.reset();
  CHECK(shard.context.connections == std::vector<WsConnection*>{b.get()});
  b.reset();
  CHECK(shard.context.connections.empty());
}

TEST_CASE("Early input is handled before the first read", "[ws_connection]") {
  TestShard shard;
  const std::string second = ping_request("r-1");
  WsConnection c(shard.context, 1, ping_request("e-1") + second.substr(0, 4));
  CHECK(shard.context.urgent.empty());  // nothing is handled before the session asks what to do

  CHECK(c.next_action() == Action::read);
  CHECK(listed(shard.context.urgent, c));
  feed(c, second.substr(4));
  CHECK(pass(shard, c) == Lines{"pong e-1", "pong r-1"});
}

// ------------------------------------------------------------------ the close handshake

TEST_CASE("open -> closed: the peer's close is echoed with its code", "[ws_connection][close]") {
  const std::uint16_t code = GENERATE(1000, 1001, 3000, 4999);
  TestShard shard;
  WsConnection c(shard.context, 1, "");
  feed(c, close_frame(code, "bye") + ping_request("after"));  // nothing after the close is read

  CHECK(c.state() == State::closed);
  CHECK(c.close_reason() == CloseReason::client);
  CHECK(c.next_action() == Action::finish);
  CHECK(shard.context.closing.empty());
  CHECK(listed(shard.context.urgent, c));
  CHECK(pass(shard, c) == Lines{"CLOSE " + std::to_string(code)});
}

TEST_CASE("open -> closed: the peer's close without a code is answered with 1000", "[ws_connection][close]") {
  TestShard shard;
  WsConnection c(shard.context, 1, "");
  feed(c, close_frame(std::nullopt));
  CHECK(c.state() == State::closed);
  CHECK(c.close_reason() == CloseReason::client);
  CHECK(pass(shard, c) == Lines{"CLOSE 1000"});
}

TEST_CASE("The echoed close follows what the writer holds, and nothing follows it", "[ws_connection][close]") {
  TestShard shard;
  shard.broker.create_topic("t");
  WsConnection c(shard.context, 1, "");
  subscribe_to_t(shard, c);

  publish(shard, "t", big_payload(3000));
  begin_write(shard, c);
  std::string wire = send_some(c, 100);  // part of the event; then the socket is full
  c.on_send_blocked();

  feed(c, close_frame(1000));
  CHECK(c.state() == State::closed);
  publish(shard, "t");  // queued, never written
  sweep(shard, c, 4);   // no ping once closed
  c.on_writable();
  wire += write_pass(shard, c);
  CHECK(summaries(wire) == Lines{"event 1", "CLOSE 1000"});

  publish(shard, "t");
  c.begin_shutdown();
  CHECK(write_pass(shard, c).empty());  // nothing ever follows the close
  CHECK(c.writer().empty());
  CHECK(c.next_action() == Action::finish);
}

TEST_CASE("draining -> closed: the peer's close is echoed after the frames in the writer", "[ws_connection][close]") {
  TestShard shard;
  shard.broker.create_topic("t");
  WsConnection c(shard.context, 1, "");
  subscribe_to_t(shard, c);
  publish(shard, "t", big_payload(3000));
  c.begin_shutdown();
  REQUIRE(c.state() == State::draining);
  begin_write(shard, c);
  std::string wire = send_some(c, 100);
  c.on_send_blocked();
  publish(shard, "t");  // still queued when the close comes: never written

  feed(c, close_frame(1000));
  CHECK(c.state() == State::closed);
  CHECK(c.close_reason() == CloseReason::client);
  CHECK(shard.context.closing.empty());
  CHECK(c.next_action() == Action::finish);
  c.on_writable();
  wire += write_pass(shard, c);
  CHECK(summaries(wire) == Lines{"event 1", "CLOSE 1000"});
}

TEST_CASE("open -> closed: a protocol violation is answered with its close code", "[ws_connection][close]") {
  struct Violation {
    const char* what;
    std::string bytes;
    std::uint16_t code;
    CloseReason reason;
  };
  std::string unmasked;
  protocol::append_unmasked_client_frame(unmasked, 0x81, R"({"type":"ping"})");
  const Violation v = GENERATE_COPY(values<Violation>({
      {"an unmasked frame", unmasked, 1002, CloseReason::protocol_error},
      {"an RSV1 bit", protocol::client_frame(0xC1, R"({"type":"ping"})"), 1002, CloseReason::protocol_error},
      {"an unknown opcode", protocol::client_frame(0x83, "x"), 1002, CloseReason::protocol_error},
      {"a control frame over 125 bytes", protocol::client_frame(0x89, std::string(126, 'p')), 1002,
       CloseReason::protocol_error},
      {"a close code not for the wire", close_frame(1005), 1002, CloseReason::protocol_error},
      {"text that is not UTF-8", protocol::client_frame(0x81, "\"\xff\xfe\""), 1007, CloseReason::invalid_utf8},
      {"a close reason that is not UTF-8", close_frame(1000, "\xc3"), 1007, CloseReason::invalid_utf8},
  }));
  CAPTURE(v.what);
  TestShard shard;
  WsConnection c(shard.context, 1, "");
  feed(c, ping_request("before"));
  CHECK(pass(shard, c) == Lines{"pong before"});

  feed(c, v.bytes + ping_request("after"));
  CHECK(c.state() == State::closed);
  CHECK(c.close_reason() == v.reason);
  CHECK(c.next_action() == Action::finish);
  CHECK(pass(shard, c) == Lines{"CLOSE " + std::to_string(v.code)});
}

TEST_CASE("open -> closing -> closed: a message too big gets 1009, then the peer's close ends it",
          "[ws_connection][close]") {
  TestShard shard;
  shard.broker.create_topic("t");
  shard.settings.max_message_bytes = kSmallLimit;
  WsConnection c(shard.context, 1, "");
  subscribe_to_t(shard, c);

  feed(c, too_big());
  CHECK(c.state() == State::closing);
  CHECK(c.close_reason() == CloseReason::message_too_big);
  CHECK(listed(shard.context.closing, c));
  CHECK(c.next_action() == Action::wait_readable);  // still reading: the peer's close is awaited
  CHECK(pass(shard, c) == Lines{"CLOSE 1009"});

  // While closing, messages are skipped, pings are not answered and no
  // event is written.
  feed(c, ping_request("skipped") + protocol::client_frame(0x89, "p") + too_big());
  publish(shard, "t");
  CHECK(c.state() == State::closing);
  CHECK(pass(shard, c).empty());

  feed(c, close_frame(1000));
  CHECK(c.state() == State::closed);
  CHECK(c.close_reason() == CloseReason::message_too_big);
  CHECK(shard.context.closing.empty());
  CHECK(c.next_action() == Action::finish);
  CHECK(pass(shard, c).empty());  // the peer's close answers ours: no second close
}

TEST_CASE("closing -> closed: the close handshake ends at its deadline, not before", "[ws_connection][close]") {
  TestShard shard;
  shard.settings.max_message_bytes = kSmallLimit;
  WsConnection c(shard.context, 1, "");
  const auto before = std::chrono::steady_clock::now();
  feed(c, too_big());
  const auto after = std::chrono::steady_clock::now();
  REQUIRE(c.state() == State::closing);
  CHECK(pass(shard, c) == Lines{"CLOSE 1009"});

  c.on_close_tick(after);
  c.on_close_tick(before + net::kFinalFlushTimeout - std::chrono::milliseconds(1));
  CHECK(c.state() == State::closing);
  CHECK(listed(shard.context.closing, c));

  c.on_close_tick(after + net::kFinalFlushTimeout);
  CHECK(c.state() == State::closed);
  CHECK(c.close_reason() == CloseReason::message_too_big);
  CHECK(shard.context.closing.empty());
  CHECK(c.next_action() == Action::finish);
  CHECK(pass(shard, c).empty());
}

// ------------------------------------------------------------------ shutdown

TEST_CASE("open -> closing: shutdown with nothing queued sends 1001 at once", "[ws_connection][shutdown]") {
  TestShard shard;
  WsConnection c(shard.context, 1, "");
  c.begin_shutdown();
  CHECK(c.state() == State::closing);
  CHECK(c.close_reason() == CloseReason::shutdown);
  CHECK(listed(shard.context.closing, c));
  CHECK(listed(shard.context.urgent, c));
  CHECK(pass(shard, c) == Lines{"CLOSE 1001"});

  c.begin_shutdown();  // once only
  CHECK(pass(shard, c).empty());
  feed(c, close_frame(1001));
  CHECK(c.state() == State::closed);
  CHECK(c.close_reason() == CloseReason::shutdown);
}

TEST_CASE("open -> draining -> closing: shutdown writes the queue, then 1001 once the writer is empty",
          "[ws_connection][shutdown]") {
  TestShard shard;
  shard.broker.create_topic("t");
  WsConnection c(shard.context, 1, "");
  subscribe_to_t(shard, c);
  publish(shard, "t");
  publish(shard, "t", big_payload(2000));
  publish(shard, "t");

  c.begin_shutdown();
  CHECK(c.state() == State::draining);
  CHECK(c.close_reason() == CloseReason::shutdown);
  CHECK(shard.context.closing.empty());

  begin_write(shard, c);
  CHECK(c.idle());  // the whole queue is in the writer
  const std::size_t queued = c.writer().pending();
  std::string wire = send_some(c, queued - 1);
  CHECK(c.state() == State::draining);  // one byte is still to go: no close yet
  wire += send_some(c, 1);
  CHECK(c.state() == State::closing);
  CHECK(listed(shard.context.closing, c));
  wire += send_all(c);
  CHECK(summaries(wire) == Lines{"event 1", "event 2", "event 3", "CLOSE 1001"});
}

// A connection whose socket holds unread input while `unread` is true.
class ConnectionWithInput : public WsConnection {
 public:
  using WsConnection::WsConnection;
  bool unread = false;

 protected:
  bool input_pending() override { return unread; }
};

TEST_CASE("draining -> closing: requests that came while a shutdown drained the queue are answered before 1001",
          "[ws_connection][shutdown]") {
  TestShard shard;
  shard.broker.create_topic("t");
  ConnectionWithInput c(shard.context, 1, "");
  subscribe_to_t(shard, c);
  for (int event = 1; event <= 2; ++event) publish(shard, "t");  // still queued at the signal
  shard.counters.shutting_down = true;
  c.begin_shutdown();
  REQUIRE(c.state() == State::draining);

  c.unread = true;  // the client sent a request while its events waited
  c.on_input_ready();
  std::string wire = write_pass(shard, c);
  CHECK(c.state() == State::draining);  // drained, but the request is read first
  CHECK(c.next_action() == Action::read);

  SECTION("the request is answered, then the close follows") {
    feed(c, text(publish_json("t", "1", "late")));
    c.unread = false;
    wire += write_pass(shard, c);
    CHECK(summaries(wire) == Lines{"event 1", "event 2", "error INTERNAL late", "CLOSE 1001"});
  }
  SECTION("the input was only part of a frame: the close follows once nothing more waits") {
    const std::string request = text(publish_json("t", "1", "late"));
    feed(c, request.substr(0, 5));
    c.unread = false;
    CHECK(c.state() == State::draining);
    c.on_read_would_block();
    CHECK(c.next_action() == Action::wait_readable);
    CHECK(c.state() == State::closing);
    wire += write_pass(shard, c);
    CHECK(summaries(wire) == Lines{"event 1", "event 2", "CLOSE 1001"});
  }
  SECTION("a client that keeps sending gets one round of answers, then the close") {
    feed(c, text(publish_json("t", "1", "late-1")));
    wire += write_pass(shard, c);
    CHECK(c.state() == State::closing);
    CHECK(summaries(wire) == Lines{"event 1", "event 2", "error INTERNAL late-1", "CLOSE 1001"});
  }
}

TEST_CASE("Requests during shutdown are refused with INTERNAL; pings are still answered", "[ws_connection][shutdown]") {
  TestShard shard;
  shard.broker.create_topic("t");
  WsConnection c(shard.context, 1, "");
  feed(c, subscribe_request("t", 0, "s-0"));
  CHECK(pass(shard, c) == Lines{"ack 0 s-0"});
  shard.counters.shutting_down = true;

  SECTION("while the connection is still open") {}
  SECTION("while it drains its queue") {
    publish(shard, "t");
    c.begin_shutdown();
    REQUIRE(c.state() == State::draining);
  }
  const std::uint64_t published = shard.broker.topic_stats("t")->messages;
  const std::string input = subscribe_request("t", 0, "s-1") + ping_request("p-1") +
                            text(publish_json("t", "1", "u-1")) + protocol::client_frame(0x89, "x");
  feed(c, input);
  Lines frames = pass(shard, c);
  std::erase(frames, "event 1");     // queued before the requests, while draining
  std::erase(frames, "CLOSE 1001");  // once drained
  CHECK(frames == Lines{"error INTERNAL s-1", "pong p-1", "error INTERNAL u-1", "PONG x"});
  CHECK(shard.broker.topic_stats("t")->messages == published);
}

TEST_CASE("A connection made during shutdown closes with 1001 at once, after answering what it sent with its upgrade",
          "[ws_connection][shutdown]") {
  TestShard shard;
  shard.counters.shutting_down = true;
  SECTION("nothing") {
    WsConnection c(shard.context, 1, "");
    CHECK(c.state() == State::closing);
    CHECK(c.close_reason() == CloseReason::shutdown);
    CHECK(pass(shard, c) == Lines{"CLOSE 1001"});
  }
  SECTION("requests") {
    WsConnection c(shard.context, 1, ping_request("early") + subscribe_request("t", 0, "s-1"));
    CHECK(c.state() == State::draining);
    CHECK(c.close_reason() == CloseReason::shutdown);
    CHECK(c.next_action() == Action::read);
    CHECK(pass(shard, c) == Lines{"pong early", "error INTERNAL s-1", "CLOSE 1001"});
    CHECK(c.state() == State::closing);
  }
}

// ------------------------------------------------------------------ backpressure and overflow

TEST_CASE("A flood of requests parks the reader until the replies are written; none is lost",
          "[ws_connection][backpressure]") {
  const auto policy = GENERATE(core::OverflowPolicy::drop_oldest, core::OverflowPolicy::disconnect);
  TestShard shard(limits(4, policy));
  WsConnection c(shard.context, 1, "");
  std::string input;
  for (int i = 0; i < 10; ++i) input += ping_request("p-" + std::to_string(i));
  const std::string last = ping_request("p-10");
  input += last.substr(0, 5);  // and the head of one more

  feed(c, input);
  Lines seen;
  int parked = 0;
  Action action = c.next_action();
  while (action == Action::wait_wake) {
    parked += 1;
    CHECK(c.queued_frames() == 4);
    CHECK_FALSE(c.wake_due());
    for (const std::string& line : pass(shard, c)) seen.push_back(line);
    CHECK(c.wake_due());
    action = c.next_action();
  }
  CHECK(parked == 2);
  CHECK(action == Action::wait_readable);
  c.on_input_ready();
  CHECK(c.next_action() == Action::read);
  feed(c, last.substr(5));
  for (const std::string& line : pass(shard, c)) seen.push_back(line);

  Lines expected;
  for (int i = 0; i <= 10; ++i) expected.push_back("pong p-" + std::to_string(i));
  CHECK(seen == expected);
  CHECK(c.state() == State::open);
  CHECK_FALSE(c.overflowed());
  CHECK(c.dropped_total() == 0);
  CHECK(shard.counters.slow_consumer_disconnects == 0);
}

TEST_CASE("open -> draining -> closing: the disconnect policy sends SLOW_CONSUMER last, then 1008",
          "[ws_connection][backpressure]") {
  TestShard shard(limits(2, core::OverflowPolicy::disconnect));
  shard.broker.create_topic("t");
  WsConnection c(shard.context, 1, "");
  subscribe_to_t(shard, c);

  for (int i = 0; i < 3; ++i) publish(shard, "t");
  CHECK(c.overflowed());
  CHECK(c.state() == State::draining);
  CHECK(c.close_reason() == CloseReason::slow_consumer);
  CHECK(shard.counters.slow_consumer_disconnects == 1);
  CHECK(shard.broker.topic_stats("t")->subscribers == 0);
  CHECK(listed(shard.context.urgent, c));

  begin_write(shard, c);
  std::string wire = send_some(c, c.writer().pending() - 1);
  CHECK(c.state() == State::draining);  // the close waits until the error is out
  wire += send_some(c, 1);
  CHECK(c.state() == State::closing);
  wire += send_all(c);
  CHECK(summaries(wire) == Lines{"error SLOW_CONSUMER", "CLOSE 1008"});

  feed(c, ping_request("late") + close_frame(1008));
  CHECK(c.state() == State::closed);
  CHECK(c.close_reason() == CloseReason::slow_consumer);
  CHECK(pass(shard, c).empty());
  CHECK(shard.counters.slow_consumer_disconnects == 1);
}

TEST_CASE("draining -> lost: a peer that never reads its SLOW_CONSUMER error is cut at the close deadline",
          "[ws_connection][backpressure]") {
  TestShard shard(limits(2, core::OverflowPolicy::disconnect));
  shard.broker.create_topic("t");
  WsConnection c(shard.context, 1, "");
  subscribe_to_t(shard, c);
  publish(shard, "t", big_payload(40000));
  publish(shard, "t", big_payload(40000));
  begin_write(shard, c);
  send_some(c, 1000);
  c.on_send_blocked();  // the peer stops reading

  const auto overflowed_at = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) publish(shard, "t");
  REQUIRE(c.state() == State::draining);
  CHECK(listed(shard.context.closing, c));
  feed(c, ping_request("still sending"));  // input does not hold it either
  c.on_close_tick(overflowed_at + net::kFinalFlushTimeout - std::chrono::milliseconds(10));
  CHECK(c.state() == State::draining);
  c.on_close_tick(overflowed_at + net::kFinalFlushTimeout + std::chrono::milliseconds(10));
  CHECK(c.state() == State::lost);
  CHECK(c.close_reason() == CloseReason::slow_consumer);
  CHECK(shard.context.closing.empty());
  CHECK(c.next_action() == Action::finish);
}

TEST_CASE("A connection whose output has ended holds no subscription and no queue", "[ws_connection][lost]") {
  auto end = GENERATE(as<std::string>{}, "violation", "too big", "peer close", "eof");
  TestShard shard;
  shard.broker.create_topic("t");
  shard.settings.max_message_bytes = kSmallLimit;
  WsConnection c(shard.context, 1, "");
  subscribe_to_t(shard, c);
  publish(shard, "t");  // queued, not yet written
  CAPTURE(end);
  if (end == "violation") feed(c, protocol::client_frame(0xC1, "{}"));  // RSV1 without an extension
  if (end == "too big") feed(c, too_big());
  if (end == "peer close") feed(c, close_frame(1000));
  if (end == "eof") c.on_read_end(false);
  CHECK(shard.broker.topic_stats("t")->subscribers == 0);
  CHECK(c.queued_frames() == 0);
  publish(shard, "t");
  CHECK(c.queued_frames() == 0);
}

TEST_CASE("The SLOW_CONSUMER error follows the frames already in a full writer", "[ws_connection][backpressure]") {
  TestShard shard(limits(2, core::OverflowPolicy::disconnect));
  shard.broker.create_topic("t");
  WsConnection c(shard.context, 1, "");
  subscribe_to_t(shard, c);

  publish(shard, "t", big_payload(40000));
  publish(shard, "t", big_payload(40000));
  begin_write(shard, c);
  std::string wire = send_some(c, 1000);
  c.on_send_blocked();
  REQUIRE_FALSE(c.writer().accepting());

  for (int i = 0; i < 3; ++i) publish(shard, "t");
  REQUIRE(c.overflowed());
  c.on_writable();
  CHECK(listed(shard.context.urgent, c));
  begin_write(shard, c);
  CHECK(c.idle());  // the error joined the writer past its high-water mark
  wire += send_all(c);
  CHECK(summaries(wire) == Lines{"event 1", "event 2", "error SLOW_CONSUMER", "CLOSE 1008"});
  CHECK(c.state() == State::closing);
}

TEST_CASE("drop_oldest keeps the connection open and says what it dropped", "[ws_connection][backpressure]") {
  TestShard shard(limits(2, core::OverflowPolicy::drop_oldest));
  shard.broker.create_topic("t");
  WsConnection c(shard.context, 1, "");
  subscribe_to_t(shard, c);
  for (int i = 0; i < 5; ++i) publish(shard, "t");
  CHECK(pass(shard, c) == Lines{"info dropped", "event 4", "event 5"});
  CHECK(c.state() == State::open);
  CHECK(c.dropped_total() == 3);
  CHECK(shard.counters.slow_consumer_disconnects == 0);
}

TEST_CASE("A replay of --max-queue events is exempt from the bounds under both policies",
          "[ws_connection][backpressure]") {
  const auto policy = GENERATE(core::OverflowPolicy::drop_oldest, core::OverflowPolicy::disconnect);
  constexpr std::size_t kMaxQueue = 5;
  TestShard shard(limits(kMaxQueue, policy), 2 * kMaxQueue);
  shard.broker.create_topic("t");
  for (std::size_t i = 0; i < 2 * kMaxQueue; ++i) publish(shard, "t");

  WsConnection c(shard.context, 1, "");
  feed(c, subscribe_request("t", kMaxQueue, "s-1"));
  CHECK(c.queued_frames() == kMaxQueue + 1);  // the ack and the whole replay
  publish(shard, "t");                        // a live event on top of it
  CHECK_FALSE(c.overflowed());
  CHECK(c.dropped_total() == 0);
  CHECK(c.state() == State::open);
  CHECK(shard.counters.slow_consumer_disconnects == 0);
  CHECK(pass(shard, c) == Lines{"ack 10 s-1", "event 6", "event 7", "event 8", "event 9", "event 10", "event 11"});
  CHECK(c.state() == State::open);
}

// ------------------------------------------------------------------ the idle sweep

TEST_CASE("open -> lost: a quiet peer is pinged at epochs 4 and 8 and dropped at 9", "[ws_connection][idle]") {
  TestShard shard;
  WsConnection c(shard.context, 1, "");
  std::vector<std::uint32_t> pinged;
  for (std::uint32_t epoch = 1; epoch <= net::kIdleEndEpochs; ++epoch) {
    sweep(shard, c, epoch);
    const Lines frames = pass(shard, c);
    if (frames == Lines{"PING"}) {
      pinged.push_back(epoch);
    } else {
      CHECK(frames.empty());
    }
    if (epoch < net::kIdleEndEpochs) CHECK(c.state() == State::open);
  }
  CHECK(pinged == std::vector<std::uint32_t>{net::kIdlePingEpochs, 2 * net::kIdlePingEpochs});
  CHECK(c.state() == State::lost);
  CHECK(c.close_reason() == CloseReason::idle_timeout);
  CHECK(c.next_action() == Action::finish);
}

TEST_CASE("Any input restarts the idle count", "[ws_connection][idle]") {
  TestShard shard;
  WsConnection c(shard.context, 1, "");
  std::vector<std::uint32_t> pinged;
  for (std::uint32_t epoch = 1; epoch <= 12; ++epoch) {
    sweep(shard, c, epoch);
    if (pass(shard, c) == Lines{"PING"}) pinged.push_back(epoch);
    if (epoch == 3) feed(c, protocol::client_frame(0x8A, ""));  // a pong, a frame like any other
    if (epoch < 12) CHECK(c.state() == State::open);
  }
  CHECK(pinged == std::vector<std::uint32_t>{7, 11});
  CHECK(c.state() == State::lost);
  CHECK(c.close_reason() == CloseReason::idle_timeout);
}

TEST_CASE("No idle ping or idle timeout while closing: the handshake has its own deadline", "[ws_connection][idle]") {
  TestShard shard;
  shard.settings.max_message_bytes = kSmallLimit;
  WsConnection c(shard.context, 1, "");
  feed(c, too_big());
  REQUIRE(c.state() == State::closing);
  CHECK(pass(shard, c) == Lines{"CLOSE 1009"});
  for (std::uint32_t epoch = 1; epoch <= 2 * net::kIdleEndEpochs; ++epoch) sweep(shard, c, epoch);
  CHECK(pass(shard, c).empty());
  CHECK(c.state() == State::closing);
}

// ------------------------------------------------------------------ lost connections

TEST_CASE("open -> lost: the end of the peer's stream or a read error", "[ws_connection][lost]") {
  const bool error = GENERATE(false, true);
  TestShard shard;
  WsConnection c(shard.context, 1, "");
  feed(c, ping_request("p-1"));
  begin_write(shard, c);
  c.on_send_blocked();
  REQUIRE_FALSE(c.writer().empty());

  c.on_read_end(error);
  CHECK(c.state() == State::lost);
  CHECK(c.close_reason() == (error ? CloseReason::error : CloseReason::client));
  CHECK(c.writer().empty());  // nothing more is written
  CHECK(c.writer_pool().in_use() == 0);
  CHECK(c.next_action() == Action::finish);
  c.on_writable();
  CHECK(pass(shard, c).empty());
}

TEST_CASE("closing -> lost: the end of the stream ends a close handshake at once", "[ws_connection][lost]") {
  TestShard shard;
  shard.settings.max_message_bytes = kSmallLimit;
  WsConnection c(shard.context, 1, "");
  feed(c, too_big());
  REQUIRE(c.state() == State::closing);
  CHECK(pass(shard, c) == Lines{"CLOSE 1009"});

  c.on_read_end(false);
  CHECK(c.state() == State::lost);
  CHECK(c.close_reason() == CloseReason::message_too_big);  // the server's close keeps its reason
  CHECK(shard.context.closing.empty());
  CHECK(c.next_action() == Action::finish);
}

TEST_CASE("draining -> lost: the end of the stream ends a drain at once", "[ws_connection][lost]") {
  TestShard shard;
  shard.broker.create_topic("t");
  WsConnection c(shard.context, 1, "");
  subscribe_to_t(shard, c);
  publish(shard, "t");
  c.begin_shutdown();
  REQUIRE(c.state() == State::draining);
  c.on_read_end(false);
  CHECK(c.state() == State::lost);
  CHECK(c.close_reason() == CloseReason::client);
  CHECK(pass(shard, c).empty());
}

TEST_CASE("open -> lost: a send failure drops the writer's frames", "[ws_connection][lost]") {
  TestShard shard;
  WsConnection c(shard.context, 1, "");
  feed(c, ping_request("p-1") + ping_request("p-2"));
  begin_write(shard, c);
  send_some(c, 5);
  c.on_send_failed();
  CHECK(c.state() == State::lost);
  CHECK(c.close_reason() == CloseReason::error);
  CHECK(c.writer().empty());
  CHECK(c.writer_pool().in_use() == 0);
  CHECK(c.next_action() == Action::finish);
}

// ------------------------------------------------------------------ the socket's readiness

TEST_CASE("A blocked write resumes, urgently, once the socket is writable", "[ws_connection][write]") {
  TestShard shard;
  WsConnection c(shard.context, 1, "");
  feed(c, ping_request("p-1"));
  begin_write(shard, c);
  std::string wire = send_some(c, 3);
  c.on_send_blocked();
  CHECK(c.send_blocked());
  CHECK(shard.context.urgent.empty());

  c.on_writable();
  CHECK_FALSE(c.send_blocked());
  CHECK(listed(shard.context.urgent, c));
  wire += write_pass(shard, c);
  CHECK(summaries(wire) == Lines{"pong p-1"});

  c.on_writable();  // not blocked: nothing to do
  CHECK(shard.context.urgent.empty());
}

TEST_CASE("A session waiting for input is due on readiness or on the end", "[ws_connection][wake]") {
  TestShard shard;
  WsConnection c(shard.context, 1, "");
  feed(c, ping_request("p-1"));
  CHECK(c.next_action() == Action::wait_readable);
  CHECK_FALSE(c.wake_due());

  SECTION("input is ready") {
    c.on_input_ready();
    CHECK(c.wake_due());
    CHECK(c.next_action() == Action::read);
    CHECK_FALSE(c.wake_due());  // not waiting
  }
  SECTION("the idle timeout ends it") {
    for (std::uint32_t epoch = 1; epoch <= net::kIdleEndEpochs; ++epoch) sweep(shard, c, epoch);
    CHECK(c.wake_due());
    CHECK(c.next_action() == Action::finish);
  }
  SECTION("a send failure ends it") {
    begin_write(shard, c);
    c.on_send_failed();
    CHECK(c.wake_due());
    CHECK(c.next_action() == Action::finish);
  }
}

TEST_CASE("A parked reader is due when the connection ends", "[ws_connection][wake]") {
  TestShard shard(limits(1, core::OverflowPolicy::drop_oldest));
  WsConnection c(shard.context, 1, "");
  feed(c, ping_request("p-1") + ping_request("p-2"));
  CHECK(c.next_action() == Action::wait_wake);
  for (std::uint32_t epoch = 1; epoch < net::kIdleEndEpochs; ++epoch) sweep(shard, c, epoch);
  CHECK_FALSE(c.wake_due());  // the pong is still queued
  sweep(shard, c, net::kIdleEndEpochs);
  CHECK(c.state() == State::lost);
  CHECK(c.wake_due());
  CHECK(c.next_action() == Action::finish);
}

// ------------------------------------------------------------------ known faults

// A connection in a close handshake still holds its subscriptions, and
// fill_output() writes nothing once the close frame is out, so a busy
// topic fills its queue during the handshake (up to kFinalFlushTimeout):
// the overflow policy then acts on a connection that is not slow. Under
// disconnect it is counted in slow_consumer_disconnects (and logged as a
// slow consumer) although its close reason stays message_too_big.
TEST_CASE("A connection in a close handshake is not counted as a slow consumer", "[ws_connection]") {
  TestShard shard(limits(3, core::OverflowPolicy::disconnect));
  shard.broker.create_topic("t");
  shard.settings.max_message_bytes = kSmallLimit;
  WsConnection c(shard.context, 1, "");
  subscribe_to_t(shard, c);
  feed(c, too_big());
  REQUIRE(c.state() == State::closing);
  CHECK(pass(shard, c) == Lines{"CLOSE 1009"});

  for (int i = 0; i < 10; ++i) publish(shard, "t");
  CHECK(pass(shard, c).empty());
  CHECK(c.close_reason() == CloseReason::message_too_big);
  CHECK(shard.counters.slow_consumer_disconnects == 0);
}

// The idle sweep appends its ping straight to the writer in draining, so
// a ping can follow the SLOW_CONSUMER error that the disconnect policy
// makes the last frame before the 1008 close.
TEST_CASE("No idle ping follows the SLOW_CONSUMER error", "[ws_connection]") {
  TestShard shard(limits(2, core::OverflowPolicy::disconnect));
  shard.broker.create_topic("t");
  WsConnection c(shard.context, 1, "");
  subscribe_to_t(shard, c);
  for (int i = 0; i < 3; ++i) publish(shard, "t");
  REQUIRE(c.overflowed());
  begin_write(shard, c);
  c.on_send_blocked();  // the error waits in the writer
  sweep(shard, c, net::kIdlePingEpochs);
  c.on_writable();
  CHECK(pass(shard, c) == Lines{"error SLOW_CONSUMER", "CLOSE 1008"});
}

// ------------------------------------------------------------------ tokens

namespace {

// The holder of a token granting subscribe to chat.* and publish to chat.room1.
std::unique_ptr<auth::Identity> chat_identity(std::int64_t expires_at) {
  auto identity = std::make_unique<auth::Identity>();
  identity->subject = "alice";
  identity->expires_at = expires_at;
  REQUIRE(identity->grants.subscribe.add("chat.*"));
  REQUIRE(identity->grants.publish.add("chat.room1"));
  return identity;
}

}  // namespace

// ------------------------------------------------------------------ --engine redis

namespace {

// The shared topics answered by hand (shared_topics_link.h): each call is
// recorded, its handler kept and never called, so a request stays held.
struct HandAnsweredLink final : net::SharedTopicsLink {
  std::vector<std::string> loads, finds, publishes;
  std::vector<StatusHandler> load_handlers;
  std::vector<PublishHandler> publish_handlers;
  void publish(std::string_view topic, std::string_view, std::string_view, bool, PublishHandler handler) override {
    publishes.emplace_back(topic);
    publish_handlers.push_back(std::move(handler));
  }
  void load(std::string_view topic, bool, StatusHandler handler) override {
    loads.emplace_back(topic);
    load_handlers.push_back(std::move(handler));
  }
  void find(std::string_view topic, StatusHandler) override { finds.emplace_back(topic); }
};

}  // namespace

TEST_CASE("--engine redis: at --max-subscriptions a topic the mirror lacks is refused before a load could create it",
          "[ws_connection][shared][limits]") {
  TestShard shard;
  shard.settings.max_subscriptions = 1;
  shard.settings.auto_create_topics = true;
  HandAnsweredLink link;
  shard.context.shared_topics = &link;
  shard.broker.create_topic("t");  // held by the node's mirror
  WsConnection c(shard.context, 1, "");
  subscribe_to_t(shard, c);
  feed(c, subscribe_request("elsewhere", 0, "s-2"));
  CHECK(pass(shard, c) == Lines{"error LIMIT_EXCEEDED s-2"});
  CHECK(link.loads.empty());
  feed(c, subscribe_request("t", 0, "s-3"));  // held already: no more
  CHECK(pass(shard, c) == Lines{"ack 0 s-3"});

  // Below the limit, the same subscribe asks the node to load the topic.
  WsConnection other(shard.context, 2, "");
  feed(other, subscribe_request("elsewhere", 0, "s-4"));
  CHECK(link.loads == std::vector<std::string>{"elsewhere"});
  CHECK(pass(shard, other).empty());  // its answer waits for the load
}

TEST_CASE("--engine redis: a shutdown waits for the answers of the publishes sent to Valkey/Redis before 1001",
          "[ws_connection][shared][shutdown]") {
  TestShard shard;
  HandAnsweredLink link;
  shard.context.shared_topics = &link;
  WsConnection c(shard.context, 1, "");
  feed(c, text(publish_json("t", "1", "p-1")) + text(publish_json("t", "2", "p-2")));
  REQUIRE(link.publish_handlers.size() == 2);
  CHECK(pass(shard, c).empty());  // the acks wait for the seqs

  c.begin_shutdown();
  CHECK(pass(shard, c).empty());  // no close while answers are to come
  CHECK(c.state() == State::draining);
  engine::StoreResult<engine::PublishReceipt> published;
  published.status = engine::StoreStatus::ok;
  published.value.last_seq = 7;
  link.publish_handlers[0](published);
  CHECK(pass(shard, c) == Lines{"ack 7 p-1"});
  CHECK(c.state() == State::draining);
  published.value.last_seq = 8;
  link.publish_handlers[1](published);
  CHECK(pass(shard, c) == Lines{"ack 8 p-2", "CLOSE 1001"});
  CHECK(c.state() == State::closing);
}

namespace {

// Valkey/Redis's answer to a publish: published as `seq`.
engine::StoreResult<engine::PublishReceipt> published_as(std::uint64_t seq) {
  engine::StoreResult<engine::PublishReceipt> result;
  result.status = engine::StoreStatus::ok;
  result.value.last_seq = seq;
  return result;
}

// A shard of --engine redis whose shared topics are answered by hand,
// with topic "t" in the node's mirror.
struct SharedTestShard : TestShard {
  SharedTestShard() {
    context.shared_topics = &link;
    broker.create_topic("t");
  }
  HandAnsweredLink link;
};

// A connection of a SharedTestShard that holds "t".
struct HoldingPublisher {
  HoldingPublisher() { subscribe_to_t(shard, c); }
  SharedTestShard shard;
  HandAnsweredLink& link = shard.link;
  WsConnection c{shard.context, 1, ""};
};

// `c` publishes to "t" (request `id`), and Valkey/Redis answers `seq`.
void publish_answered(SharedTestShard& shard, WsConnection& c, std::string_view id, std::uint64_t seq) {
  feed(c, text(publish_json("t", "1", id)));
  shard.link.publish_handlers.back()(published_as(seq));
}

}  // namespace

TEST_CASE_METHOD(HoldingPublisher, "--engine redis: a publisher that holds the topic gets its own event before the ack",
                 "[ws_connection][shared][order]") {
  feed(c, text(publish_json("t", "1", "p-1")) + text(publish_json("t", "2", "p-2")) + ping_request("q-3"));
  REQUIRE(link.publish_handlers.size() == 2);

  // Valkey/Redis answers before the events come through the node's feed.
  link.publish_handlers[0](published_as(1));
  link.publish_handlers[1](published_as(2));
  CHECK(pass(shard, c).empty());
  CHECK(listed(shard.context.acks_awaiting_events, c));
  CHECK(publish(shard, "t") == 1);  // the mirror delivers event 1
  CHECK(pass(shard, c) == Lines{"event 1", "ack 1 p-1"});
  CHECK(publish(shard, "t") == 2);
  CHECK(pass(shard, c) == Lines{"event 2", "ack 2 p-2", "pong q-3"});
  CHECK(shard.context.acks_awaiting_events.empty());
  CHECK(shard.context.counts.acks_ahead_of_event.value() == 0);  // none waited for the deadline

  // The event came first: the ack goes at once.
  feed(c, text(publish_json("t", "3", "p-4")));
  CHECK(publish(shard, "t") == 3);
  link.publish_handlers[2](published_as(3));
  CHECK(pass(shard, c) == Lines{"event 3", "ack 3 p-4"});
}

TEST_CASE("--engine redis: an ack waits for no event its publisher will not get", "[ws_connection][shared][order]") {
  SharedTestShard shard;
  HandAnsweredLink& link = shard.link;
  shard.broker.create_topic("u");
  CHECK(publish(shard, "t") == 1);
  CHECK(publish(shard, "t") == 2);
  WsConnection c(shard.context, 1, "");
  feed(c, subscribe_request("t", 0, "s-1"));
  CHECK(pass(shard, c) == Lines{"ack 2 s-1"});
  // A topic it does not hold, and a seq from before its subscription
  // (an idempotent retry answered with the first publish's seq).
  feed(c, text(publish_json("u", "1", "p-1")) + text(publish_json("t", "1", "p-2")));
  link.publish_handlers[0](published_as(1));
  engine::StoreResult<engine::PublishReceipt> retried = published_as(2);
  retried.status = engine::StoreStatus::exists;
  link.publish_handlers[1](retried);
  CHECK(pass(shard, c) == Lines{"ack 1 p-1", "ack 2 p-2"});
  CHECK(shard.context.acks_awaiting_events.empty());
}

TEST_CASE_METHOD(HoldingPublisher, "--engine redis: a waiting ack goes when the topic is deleted, or at its deadline",
                 "[ws_connection][shared][order]") {
  SECTION("deleted: the connection no longer awaits the event") {
    publish_answered(shard, c, "p-1", 1);
    CHECK(pass(shard, c).empty());
    shard.broker.shard(0).set_wake([] {});  // the test drains the shard itself
    REQUIRE(shard.broker.delete_topic("t"));
    shard.broker.shard(0).drain();
    CHECK(pass(shard, c) == Lines{"info topic_deleted", "ack 1 p-1"});
    CHECK(shard.context.counts.acks_ahead_of_event.value() == 0);  // no event of it will come
  }
  SECTION("the feed is late: the ack goes at kAckAwaitsEventTimeout, not before") {
    const auto before = std::chrono::steady_clock::now();
    publish_answered(shard, c, "p-1", 1);
    const auto after = std::chrono::steady_clock::now();
    WsConnection::release_waiting_acks(shard.context,
                                       before + net::kAckAwaitsEventTimeout - std::chrono::milliseconds(1));
    CHECK(pass(shard, c).empty());
    CHECK(shard.context.counts.acks_ahead_of_event.value() == 0);
    WsConnection::release_waiting_acks(shard.context, after + net::kAckAwaitsEventTimeout);
    CHECK(pass(shard, c) == Lines{"ack 1 p-1"});
    CHECK(shard.context.counts.acks_ahead_of_event.value() == 1);  // pubsub_acks_ahead_of_event_total
    CHECK(shard.context.acks_awaiting_events.empty());
    CHECK(publish(shard, "t") == 1);  // the event, late
    CHECK(pass(shard, c) == Lines{"event 1"});
  }
  SECTION("a subscribe waits behind the ack, then runs") {
    shard.broker.create_topic("u");
    feed(c, text(publish_json("t", "1", "p-1")) + subscribe_request("u", 0, "s-2"));
    link.publish_handlers[0](published_as(1));
    CHECK(pass(shard, c).empty());
    CHECK(publish(shard, "t") == 1);
    CHECK(pass(shard, c) == Lines{"event 1", "ack 1 p-1", "ack 0 s-2"});
  }
}

TEST_CASE("--engine redis: a connection that goes while its ack waits leaves the shard's lists",
          "[ws_connection][shared][order]") {
  SharedTestShard shard;
  {
    WsConnection c(shard.context, 1, "");
    subscribe_to_t(shard, c);
    publish_answered(shard, c, "p-1", 1);
    CHECK(listed(shard.context.acks_awaiting_events, c));
  }
  CHECK(shard.context.acks_awaiting_events.empty());
  CHECK(publish(shard, "t") == 1);  // the shard tells nobody (ASan: no use after its end)
}

TEST_CASE("A token's grants decide each subscribe and publish; refusals are FORBIDDEN and the connection stays",
          "[ws_connection][auth]") {
  TestShard shard;
  for (const char* topic : {"chat.room1", "chat.room2", "chatroom"}) shard.broker.create_topic(topic);
  WsConnection c(shard.context, 1, "", chat_identity(std::numeric_limits<std::int64_t>::max()));
  REQUIRE(c.identity() != nullptr);
  CHECK(c.identity()->subject == "alice");
  CHECK(shard.context.token_expiries.size() == 1);

  feed(c, subscribe_request("chat.room2", 0, "s-1") + subscribe_request("chatroom", 0, "s-2"));
  CHECK(pass(shard, c) == Lines{"ack 0 s-1", "error FORBIDDEN s-2"});
  CHECK(shard.broker.topic_stats("chatroom")->subscribers == 0);
  // Twice each: the second answer comes from the cached decision.
  feed(c, text(publish_json("chat.room1", "1", "p-1")) + text(publish_json("chat.room2", "2", "p-2")) +
              text(publish_json("chat.room1", "3", "p-3")) + text(publish_json("chat.room2", "4", "p-4")));
  CHECK(pass(shard, c) == Lines{"ack 1 p-1", "error FORBIDDEN p-2", "ack 2 p-3", "error FORBIDDEN p-4"});
  CHECK(shard.broker.topic_stats("chat.room2")->messages == 0);
  CHECK(c.state() == State::open);
}

TEST_CASE("A connection without a token may do everything and is not tracked for expiry", "[ws_connection][auth]") {
  TestShard shard;
  shard.broker.create_topic("chatroom");
  WsConnection c(shard.context, 1, "");
  CHECK(c.identity() == nullptr);
  CHECK(shard.context.token_expiries.empty());
  feed(c, subscribe_request("chatroom", 0, "s-1") + text(publish_json("chatroom", "1", "p-1")));
  CHECK(pass(shard, c) == Lines{"ack 0 s-1", "event 1", "ack 1 p-1"});
}

TEST_CASE("open -> draining -> closing: an expired token sends TOKEN_EXPIRED after the queued events, then 1008",
          "[ws_connection][auth]") {
  TestShard shard;
  shard.broker.create_topic("chat.room1");
  {
    WsConnection c(shard.context, 1, "", chat_identity(1000));
    REQUIRE(shard.context.token_expiries.begin()->first == 1000);
    feed(c, subscribe_request("chat.room1", 0, "s-2"));
    CHECK(pass(shard, c) == Lines{"ack 0 s-2"});
    publish(shard, "chat.room1");

    c.on_token_expired();
    CHECK(shard.context.token_expiries.empty());
    CHECK(c.close_reason() == CloseReason::token_expired);
    CHECK(shard.broker.topic_stats("chat.room1")->subscribers == 0);
    publish(shard, "chat.room1");   // after the expiry: not delivered
    feed(c, ping_request("late"));  // not answered
    CHECK(pass(shard, c) == Lines{"event 1", "error TOKEN_EXPIRED", "CLOSE 1008"});
    CHECK(c.state() == State::closing);
    c.on_token_expired();  // once only
    feed(c, close_frame(1008));
    CHECK(c.state() == State::closed);
  }
  CHECK(shard.context.token_expiries.empty());
}

TEST_CASE("A connection destroyed before its token expires leaves the expiry list", "[ws_connection][auth]") {
  TestShard shard;
  {
    WsConnection a(shard.context, 1, "", chat_identity(2000));
    WsConnection b(shard.context, 2, "", chat_identity(2000));
    CHECK(shard.context.token_expiries.size() == 2);
  }
  CHECK(shard.context.token_expiries.empty());
}
