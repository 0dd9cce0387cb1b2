// A WebSocket connection on the project's client framing; see
// websocket_session.h.
#include "cli/websocket_session.h"

#include <array>
#include <deque>
#include <random>

#include "cli/exit_status.h"
#include "cli/transport.h"
#include "cli/websocket_upgrade.h"
#include "protocol/client_frames.h"
#include "protocol/websocket_frame.h"

namespace pubsub::cli {

namespace asio = boost::asio;
using protocol::Opcode;

// Everything the connection's pending operations touch: they hold it, so
// it outlives the session if they complete after it is gone.
struct WebSocketSession::State : std::enable_shared_from_this<State> {
  std::shared_ptr<Transport> transport;
  std::string received;  // bytes read, not yet whole frames
  std::array<char, 16384> chunk{};
  std::deque<std::string> texts;
  std::string fragments;  // a fragmented message so far
  bool in_fragmented = false;
  bool fragmented_text = false;
  std::string queued;   // frames waiting for the write in flight
  std::string writing;  // the frames of the write in flight
  bool read_in_flight = false;
  bool write_in_flight = false;
  bool write_failed = false;
  bool ended = false;
  bool closed_by_server = false;
  bool close_sent = false;
  std::uint16_t close_code = 0;
  std::string failure;
  std::mt19937 mask_random{std::random_device{}()};

  void end(std::string why) {
    if (ended) return;
    ended = true;
    failure = std::move(why);
  }

  void queue_frame(Opcode opcode, std::string_view payload) {
    const std::uint32_t bits = static_cast<std::uint32_t>(mask_random());
    const protocol::MaskKey key = {static_cast<unsigned char>(bits), static_cast<unsigned char>(bits >> 8),
                                   static_cast<unsigned char>(bits >> 16), static_cast<unsigned char>(bits >> 24)};
    protocol::append_client_frame(queued, static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(opcode)), payload,
                                  key);
    start_write();
  }

  void queue_close(std::uint16_t code) {
    if (close_sent) return;
    close_sent = true;
    const char payload[2] = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    queue_frame(Opcode::close, code == 0 ? std::string_view() : std::string_view(payload, 2));
  }

  void start_write() {
    if (write_in_flight || write_failed || queued.empty()) return;
    writing.clear();
    writing.swap(queued);
    write_in_flight = true;
    asio::async_write(*transport, asio::buffer(writing),
                      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                        self->write_in_flight = false;
                        if (ec) {
                          self->write_failed = true;
                          self->end("connection to " + self->transport->peer() + " lost: " + ec.message());
                          return;
                        }
                        self->start_write();
                      });
  }

  void start_read() {
    if (read_in_flight || ended) return;
    read_in_flight = true;
    transport->async_read_some(
        asio::buffer(chunk), [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
          self->read_in_flight = false;
          if (ec) {
            self->end("connection to " + self->transport->peer() +
                      " lost: " + (ec == asio::error::eof ? "closed without a close frame" : ec.message()));
            return;
          }
          self->received.append(self->chunk.data(), n);
          self->take_frames();
          self->start_read();
        });
  }

  // A protocol violation by the server: the connection is failed (1002).
  void violation(const char* what) {
    queue_close(protocol::close_code::protocol_error);
    end("the server broke the WebSocket protocol: " + std::string(what));
  }

  void take_message(std::string_view payload, bool fin, bool text) {
    if (in_fragmented) return violation("a new message inside a fragmented one");
    if (!fin) {
      fragments.assign(payload);
      in_fragmented = true;
      fragmented_text = text;
    } else if (text) {
      texts.emplace_back(payload);
    }
  }

  void take_continuation(std::string_view payload, bool fin) {
    if (!in_fragmented) return violation("a continuation frame outside a message");
    fragments.append(payload);
    if (!fin) return;
    in_fragmented = false;
    if (fragmented_text) texts.push_back(std::move(fragments));
    fragments.clear();
  }

  void take_close(std::string_view payload) {
    close_code = payload.size() >= 2 ? static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                                                  static_cast<unsigned char>(payload[1]))
                                     : 0;
    closed_by_server = !ended;
    queue_close(close_code);
    end("closed by the server");
  }

  // Sends the upgrade request and reads the answer's head; returns it,
  // with the bytes after it left in `received` (the body of a refusal
  // too).
  ResponseHead upgrade(EventLoop& loop, const ConnectionSettings& settings, const std::string& key,
                       Clock::time_point deadline) {
    struct Progress {
      bool done = false;
      boost::system::error_code error;
      std::size_t size = 0;
    };
    auto written = std::make_shared<Progress>();
    auto request = std::make_shared<std::string>(upgrade_request(
        settings.url.host_header(), settings.url.websocket_target(), key, credential_headers(settings)));
    asio::async_write(*transport, asio::buffer(*request),
                      [request, written, keep = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                        written->error = ec;
                        written->done = true;
                      });
    transport->await(loop, written->done, deadline, settings.timeout);
    auto head_read = std::make_shared<Progress>();
    if (!written->error) {
      asio::async_read_until(
          *transport, asio::dynamic_buffer(received), "\r\n\r\n",
          [head_read, keep = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
            head_read->error = ec;
            head_read->size = n;
            head_read->done = true;
          });
      transport->await(loop, head_read->done, deadline, settings.timeout);
    }
    const auto& error = written->error ? written->error : head_read->error;
    if (error)
      throw ConnectionFailure("connection to " + transport->peer() + " lost during the upgrade: " + error.message());
    auto head = parse_response_head(std::string_view(received).substr(0, head_read->size));
    if (!head) throw ConnectionFailure("the server at " + transport->peer() + " did not answer with HTTP");
    received.erase(0, head_read->size);
    if (head->status != 101 && received.size() < head->content_length) {
      auto body_read = std::make_shared<Progress>();
      asio::async_read(*transport, asio::dynamic_buffer(received),
                       asio::transfer_at_least(head->content_length - received.size()),
                       [body_read, keep = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                         body_read->error = ec;
                         body_read->done = true;
                       });
      transport->await(loop, body_read->done, deadline, settings.timeout);
    }
    return std::move(*head);
  }

  // Hands every whole frame in `received` to its handler.
  void take_frames() {
    std::size_t used = 0;
    while (!ended) {
      auto frame = protocol::read_server_frame(std::string_view(received).substr(used));
      if (!frame) break;
      used += frame->size();
      if (frame->masked) {
        violation("a masked frame");
        break;
      }
      switch (static_cast<Opcode>(frame->opcode)) {
        case Opcode::text: take_message(frame->payload, frame->fin, true); break;
        case Opcode::binary: take_message(frame->payload, frame->fin, false); break;
        case Opcode::continuation: take_continuation(frame->payload, frame->fin); break;
        case Opcode::ping: queue_frame(Opcode::pong, frame->payload); break;
        case Opcode::pong: break;
        case Opcode::close: take_close(frame->payload); break;
        default: violation("an unknown opcode"); break;
      }
    }
    received.erase(0, used);
  }
};

WebSocketSession::WebSocketSession(EventLoop& loop, const ConnectionSettings& settings)
    : loop_(loop), state_(std::make_shared<State>()) {
  const auto deadline = deadline_after(settings.timeout);
  state_->transport = Transport::open(loop, settings, deadline);
  const std::string key = new_websocket_key();
  const ResponseHead head = state_->upgrade(loop, settings, key, deadline);
  if (head.status != 101) {
    state_->transport->close();
    throw refusal_from_http(head.status, state_->received.substr(0, head.content_length));
  }
  if (!upgrade_accepted(head, key)) {
    state_->transport->close();
    throw ConnectionFailure("the server at " + state_->transport->peer() + " did not accept the WebSocket upgrade");
  }
  state_->take_frames();
  state_->start_read();
}

WebSocketSession::~WebSocketSession() { state_->transport->close(); }

void WebSocketSession::send(std::string_view text) {
  if (state_->ended) return;
  state_->queue_frame(Opcode::text, text);
}

Incoming WebSocketSession::receive(Clock::time_point deadline) {
  State& s = *state_;
  const auto stop = loop_.run_until([&] { return !s.texts.empty() || s.ended; }, deadline);
  Incoming out;
  if (!s.texts.empty()) {
    out.kind = Incoming::Kind::text;
    out.text = std::move(s.texts.front());
    s.texts.pop_front();
  } else if (s.closed_by_server) {
    out.kind = Incoming::Kind::closed;
    out.close_code = s.close_code;
  } else if (s.ended) {
    out.kind = Incoming::Kind::lost;
    out.text = s.failure;
  } else if (stop == EventLoop::Stop::interrupted) {
    out.kind = Incoming::Kind::interrupted;
  } else if (stop == EventLoop::Stop::woken) {
    out.kind = Incoming::Kind::woken;
  }
  return out;
}

void WebSocketSession::close(std::chrono::milliseconds grace) {
  State& s = *state_;
  const auto deadline = deadline_after(grace);
  if (!s.ended) s.queue_close(protocol::close_code::normal);
  // The server answers with its own close frame, then ends the TCP connection.
  loop_.run_until([&] { return s.ended && !s.write_in_flight; }, deadline, EventLoop::OnSignal::carry_on);
  s.transport->close();
}

const std::string& WebSocketSession::peer() const { return state_->transport->peer(); }

}  // namespace pubsub::cli
