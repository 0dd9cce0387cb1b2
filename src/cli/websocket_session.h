// One WebSocket connection to the server's /ws endpoint, for `pub` and
// `sub`: the opening handshake with the credentials of the settings, text
// messages out (each masked with a fresh key, written as soon as possible,
// many together when they pile up) and in. The server's frames are read by
// protocol/client_frames.h; pings are answered, fragments joined, and a
// close frame is answered and reported.
//
// The main thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "cli/connection_settings.h"
#include "cli/event_loop.h"

namespace pubsub::cli {

// What waiting for the next message brought.
struct Incoming {
  enum class Kind {
    text,         // `text`: one whole text message
    closed,       // the server closed the connection: `close_code` (0 if it gave none)
    lost,         // the connection failed: `text` says how
    deadline,     // the deadline passed
    interrupted,  // SIGINT or SIGTERM
    woken,        // EventLoop::wake()
  };
  Kind kind = Kind::deadline;
  std::string text;
  std::uint16_t close_code = 0;
};

class WebSocketSession {
 public:
  // Connects and upgrades, within the settings' timeout. Throws
  // ConnectionFailure, ServerRefusal (the upgrade was refused: 401, 403,
  // 503, ... with the error of its body) or Interrupted.
  WebSocketSession(EventLoop& loop, const ConnectionSettings& settings);
  ~WebSocketSession();
  WebSocketSession(const WebSocketSession&) = delete;
  WebSocketSession& operator=(const WebSocketSession&) = delete;

  // Sends `text` as one text message. A failure shows in receive().
  void send(std::string_view text);

  // The next message, or why there is none before `deadline`. Messages
  // that arrived before the connection ended are handed out first.
  Incoming receive(Clock::time_point deadline);

  // Sends a close frame (1000) and waits, at most `grace`, for everything
  // queued to be written; then closes the socket. Signals do not cut it
  // short.
  void close(std::chrono::milliseconds grace = std::chrono::milliseconds(1000));

  // "host:port" for messages.
  const std::string& peer() const;

 private:
  struct State;
  EventLoop& loop_;
  std::shared_ptr<State> state_;
};

}  // namespace pubsub::cli
