// A client WebSocket connection on a bare socket, for the per-frame client
// style: set up with blocking calls (connect, upgrade, subscribe), then
// driven by an epoll loop through non-blocking reads of whatever arrived and
// one send() per frame (with --tls, one TLS record per frame). Server frames are read by protocol/client_frames.h;
// pings are answered, fragments joined, and the server's close frame ends
// the connection.
//
// Not thread-safe: a connection belongs to the one thread that drives it.
#pragma once

#include <sys/socket.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/options.h"
#include "bench/stats.h"
#include "bench/tls_client.h"
#include "protocol/client_frames.h"

namespace pubsub::bench {

// The server's socket address, resolved once for every connection.
struct ServerAddress {
  sockaddr_storage address{};
  socklen_t size = 0;
};

// Returns o.host:port (a numeric IPv4 or IPv6 address), or nullopt.
std::optional<ServerAddress> resolve_server(const Options& o, std::uint16_t port);

// Bytes read from any connection, before its frames are handled; one per
// thread, shared by its connections (a connection keeps only the head of
// an incomplete frame between reads).
using ReadBuffer = std::vector<char>;

class RawConnection {
 public:
  // A connection not yet open; the destructor closes the socket, if any.
  RawConnection() = default;
  ~RawConnection();
  RawConnection(RawConnection&& other) noexcept;
  RawConnection& operator=(RawConnection&& other) noexcept;

  // Connects (blocking, 5 s timeouts; SO_RCVBUF set to `receive_buffer`
  // first if > 0), runs the TLS handshake with --tls, and upgrades to WebSocket at /ws with o's API key.
  // Returns false if any step failed.
  bool open(const Options& o, const ServerAddress& server, int receive_buffer = 0);

  // Sends the subscribe request for `topic` and reads (blocking, at most
  // 5 s) until its answer. Returns true on an ack.
  bool subscribe(const std::string& topic, ReadBuffer& buffer);

  // Makes the socket non-blocking, for the epoll loop. Returns false on failure.
  bool set_nonblocking();

  // The socket, for epoll; -1 before open() and after close().
  int fd() const { return fd_; }

  // Sends `frame` with one send() (one SSL_write with --tls). Whatever the socket does not take now
  // (or all of it, if earlier bytes still wait) is kept, in order, for
  // flush(). Returns false if the connection failed.
  bool send_frame(std::string_view frame);
  // Sends what send_frame kept, as far as the socket takes it. Returns
  // false if the connection failed.
  bool flush();
  // True while bytes wait for the socket to take them.
  bool wants_write() const { return !unsent_.empty(); }

  // Reads what has arrived, until the socket has no more, and calls
  // on_text(text, received_ns) for every complete text message, with the
  // time of the read that completed it. Returns false when the connection
  // ended (end of stream, an error, or the server's close frame).
  template <typename OnText>
  bool read_available(ReadBuffer& buffer, OnText&& on_text);

  // Closes the socket (which also leaves every epoll set); idempotent.
  void close();

 private:
  enum class Control { none, message, closed };

  // One recv() into `buffer` after the kept head of a frame, which is
  // copied to its front (the buffer grows if the head leaves too little
  // room); sets `room` to the bytes recv() was offered and returns its result.
  long receive(ReadBuffer& buffer, std::size_t& room);
  // Handles a frame other than a whole text message: ping, pong, close,
  // fragments. Returns message when partial_ holds a whole message now.
  Control control_or_fragment(const protocol::ServerFrame& frame);
  // Handles every whole frame at the front of `bytes`; returns the bytes used.
  template <typename OnText>
  std::size_t handle_frames(std::string_view bytes, OnText& on_text, std::uint64_t received_ns);
  // Sends the upgrade request and reads the response head (blocking);
  // keeps what follows it. Returns true on a 101.
  bool upgrade(const Options& o);
  // Sends all of `bytes` on the blocking socket; false on failure or timeout.
  bool send_all_blocking(std::string_view bytes);
  // One send() or recv(), through the TLS session if there is one; the
  // result as send() and recv() give it.
  long send_some(const char* data, std::size_t size);
  long receive_some(char* data, std::size_t size);
  // With TLS: true while the session or the socket holds unread bytes.
  bool more_to_read() const;

  int fd_ = -1;
  std::unique_ptr<TlsSession> tls_;  // with --tls
  bool closed_ = false;              // the server's close frame came
  std::string kept_;                 // the head of an incomplete frame, from the last read
  std::string unsent_;               // bytes send() did not take yet
  std::string partial_;              // fragments of a message (this server does not send them)
  std::string control_;              // a pong being built
};

template <typename OnText>
std::size_t RawConnection::handle_frames(std::string_view bytes, OnText& on_text, std::uint64_t received_ns) {
  std::size_t used = 0;
  while (auto frame = protocol::read_server_frame(bytes.substr(used))) {
    used += frame->size();
    if (frame->opcode == 0x1 && frame->fin) {
      on_text(frame->payload, received_ns);
      continue;
    }
    Control c = control_or_fragment(*frame);
    if (c == Control::closed) break;
    if (c == Control::message) {
      on_text(std::string_view(partial_), received_ns);
      partial_.clear();
    }
  }
  return used;
}

template <typename OnText>
bool RawConnection::read_available(ReadBuffer& buffer, OnText&& on_text) {
  for (;;) {
    std::size_t room = 0;
    const long got = receive(buffer, room);
    if (got == 0) return false;
    if (got < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
    const std::string_view bytes(buffer.data(), kept_.size() + static_cast<std::size_t>(got));
    const std::size_t used = handle_frames(bytes, on_text, now_ns());
    if (closed_) return false;
    kept_.assign(bytes.substr(used));
    // A read that did not fill the room found the socket empty: asking
    // again would only answer EAGAIN. (A TLS read returns one record at a
    // time, so there the socket itself is asked.)
    if (tls_ ? !more_to_read() : static_cast<std::size_t>(got) < room) return true;
  }
}

}  // namespace pubsub::bench
