// A WebSocket client connection on a bare socket; see raw_connection.h.
#include "bench/raw_connection.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <utility>

#include "bench/requests.h"

namespace pubsub::bench {

namespace {

constexpr std::size_t kMinReadRoom = 64 * 1024;
constexpr std::size_t kMaxHandshakeBytes = 16 * 1024;

}  // namespace

std::optional<ServerAddress> resolve_server(const Options& o, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(o.host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  ServerAddress out;
  std::memcpy(&out.address, found->ai_addr, found->ai_addrlen);
  out.size = found->ai_addrlen;
  freeaddrinfo(found);
  return out;
}

RawConnection::~RawConnection() { close(); }

RawConnection::RawConnection(RawConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      tls_(std::move(other.tls_)),
      closed_(other.closed_),
      kept_(std::move(other.kept_)),
      unsent_(std::move(other.unsent_)),
      partial_(std::move(other.partial_)),
      control_(std::move(other.control_)) {}

RawConnection& RawConnection::operator=(RawConnection&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    tls_ = std::move(other.tls_);
    closed_ = other.closed_;
    kept_ = std::move(other.kept_);
    unsent_ = std::move(other.unsent_);
    partial_ = std::move(other.partial_);
    control_ = std::move(other.control_);
  }
  return *this;
}

void RawConnection::close() {
  tls_.reset();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool RawConnection::open(const Options& o, const ServerAddress& server, int receive_buffer) {
  fd_ = ::socket(server.address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  if (receive_buffer > 0) setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  timeval timeout{5, 0};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&server.address), server.size) != 0) return false;
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (o.tls && !(tls_ = TlsSession::connect(fd_, o.host))) return false;
  return upgrade(o);
}

long RawConnection::send_some(const char* data, std::size_t size) {
  return tls_ ? tls_->write(data, size) : static_cast<long>(::send(fd_, data, size, MSG_NOSIGNAL));
}

long RawConnection::receive_some(char* data, std::size_t size) {
  return tls_ ? tls_->read(data, size) : static_cast<long>(::recv(fd_, data, size, 0));
}

bool RawConnection::more_to_read() const {
  if (tls_->buffered()) return true;
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

bool RawConnection::send_all_blocking(std::string_view bytes) {
  while (!bytes.empty()) {
    long sent = send_some(bytes.data(), bytes.size());
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(sent));
  }
  return true;
}

bool RawConnection::upgrade(const Options& o) {
  std::string request = "GET /ws HTTP/1.1\r\nHost: " + o.host +
                        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
  request += credential_headers(o);
  request += "\r\n";
  if (!send_all_blocking(request)) return false;
  std::string response;
  std::size_t end = std::string::npos;
  while ((end = response.find("\r\n\r\n")) == std::string::npos && response.size() < kMaxHandshakeBytes) {
    char chunk[2048];
    long got = receive_some(chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    response.append(chunk, static_cast<std::size_t>(got));
  }
  if (end == std::string::npos || response.compare(0, 12, "HTTP/1.1 101") != 0) return false;
  kept_ = response.substr(end + 4);
  return true;
}

bool RawConnection::subscribe(const std::string& topic, ReadBuffer& buffer) {
  if (!send_all_blocking(subscribe_frame(topic))) return false;
  bool acked = false, failed = false;
  auto on_text = [&](std::string_view text, std::uint64_t) {
    auto f = read_frame_fields(text);
    if (f && f->kind == FrameKind::ack) acked = true;
    if (f && f->kind == FrameKind::error) failed = true;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  // On the blocking socket each read waits (at most 5 s) for bytes.
  while (!acked && !failed && std::chrono::steady_clock::now() < deadline) {
    if (!read_available(buffer, on_text)) return false;
  }
  return acked;
}

bool RawConnection::set_nonblocking() {
  int flags = fcntl(fd_, F_GETFL, 0);
  return flags >= 0 && fcntl(fd_, F_SETFL, flags | O_NONBLOCK) == 0;
}

bool RawConnection::send_frame(std::string_view frame) {
  if (!unsent_.empty()) {
    unsent_.append(frame);
    return flush();
  }
  for (;;) {
    long sent = send_some(frame.data(), frame.size());
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
    std::size_t taken = sent < 0 ? 0 : static_cast<std::size_t>(sent);
    if (taken < frame.size()) unsent_.append(frame.substr(taken));
    return true;
  }
}

bool RawConnection::flush() {
  while (!unsent_.empty()) {
    long sent = send_some(unsent_.data(), unsent_.size());
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
    unsent_.erase(0, static_cast<std::size_t>(sent));
  }
  return true;
}

long RawConnection::receive(ReadBuffer& buffer, std::size_t& room) {
  if (buffer.size() < kept_.size() + kMinReadRoom) buffer.resize(kept_.size() + kMinReadRoom);
  if (!kept_.empty()) std::memcpy(buffer.data(), kept_.data(), kept_.size());
  room = buffer.size() - kept_.size();
  return receive_some(buffer.data() + kept_.size(), room);
}

RawConnection::Control RawConnection::control_or_fragment(const protocol::ServerFrame& frame) {
  switch (frame.opcode) {
    case 0x9:  // ping: the pong carries its data back
      control_.clear();
      append_request_frame(control_, frame.payload, 0xA);
      if (!send_frame(control_)) closed_ = true;
      return closed_ ? Control::closed : Control::none;
    case 0x8: closed_ = true; return Control::closed;
    case 0x0:
    case 0x1: partial_.append(frame.payload); return frame.fin ? Control::message : Control::none;
    default:  // pongs, binary frames
      return Control::none;
  }
}

}  // namespace pubsub::bench
