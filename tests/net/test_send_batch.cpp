// Tests of the batched socket writes (send_batch.h) over local socket
// pairs: each queued write must reach its own socket whole and in order,
// with the result a sendmsg call would give (the bytes taken, -EAGAIN for a
// full socket without waiting, -EPIPE for a closed peer without SIGPIPE),
// and a batch must be reusable once cleared. A ring that cannot be set up
// says why and leaves the process's descriptors alone. The one-call write
// a connection makes without a batch (gathered_send.h) gives the same
// results.
#include "net/send_batch.h"

#include <catch2/catch_test_macros.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>
#include <vector>

#include "net/gathered_send.h"

namespace pubsub::net {
namespace {

// A connected pair of stream sockets; `ours` is the one the batch writes.
struct SocketPair {
  int ours = -1;
  int peer = -1;
  SocketPair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) == 0);
    ours = fds[0];
    peer = fds[1];
  }
  ~SocketPair() {
    if (ours >= 0) ::close(ours);
    if (peer >= 0) ::close(peer);
  }
  SocketPair(const SocketPair&) = delete;
  SocketPair& operator=(const SocketPair&) = delete;

  // Everything the peer can read now.
  std::string drain() const {
    std::string out;
    std::array<char, 65536> buffer;
    for (;;) {
      const ssize_t n = ::recv(peer, buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (n <= 0) return out;
      out.append(buffer.data(), static_cast<std::size_t>(n));
    }
  }
  // Writes to `ours` until the socket takes no more.
  void fill() const {
    const std::string chunk(65536, 'f');
    while (::send(ours, chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL) > 0) {}
    REQUIRE(errno == EAGAIN);
  }
};

std::vector<WriteBuffer> pieces_of(const std::vector<std::string>& texts) {
  std::vector<WriteBuffer> out;
  for (const std::string& text : texts) out.push_back({text.data(), text.size()});
  return out;
}

void start(SendBatch& batch) {
  INFO("io_uring could not be set up: " << batch.failure());
  REQUIRE(batch.start());
}

// Writes "event" to `first` and `open` in one batch; checks that `open`
// got it whole and returns the result for `first`.
ssize_t write_event_beside(SendBatch& batch, int first, const SocketPair& open) {
  const std::vector<std::string> text = {"event"};
  const auto pieces = pieces_of(text);
  batch.add(first, pieces);
  batch.add(open.ours, pieces);
  batch.submit();  // returns: a socket that cannot take it does not make it wait
  CHECK(batch.result(1) == 5);
  CHECK(open.drain() == "event");
  return batch.result(0);
}

}  // namespace

TEST_CASE("send batch: each queued write reaches its own socket, whole and in order") {
  SendBatch batch;
  start(batch);
  std::array<SocketPair, 3> sockets;
  const std::vector<std::vector<std::string>> writes = {
      {"first frame of one", "second of one"}, {"only frame of two"}, {"a", "b", "c", std::string(5000, 'x')}};
  std::vector<std::vector<WriteBuffer>> pieces;
  for (const auto& texts : writes) pieces.push_back(pieces_of(texts));
  for (std::size_t i = 0; i < sockets.size(); ++i) batch.add(sockets[i].ours, pieces[i]);
  REQUIRE(batch.size() == 3);
  batch.submit();
  for (std::size_t i = 0; i < sockets.size(); ++i) {
    std::string expected;
    for (const std::string& text : writes[i]) expected += text;
    CHECK(batch.result(i) == static_cast<ssize_t>(expected.size()));
    CHECK(sockets[i].drain() == expected);
  }
}

TEST_CASE("send batch: a full socket answers -EAGAIN at once and the others are written") {
  SendBatch batch;
  start(batch);
  SocketPair full, open;
  full.fill();
  CHECK(write_event_beside(batch, full.ours, open) == -EAGAIN);
}

TEST_CASE("send batch: a closed peer answers -EPIPE, without SIGPIPE") {
  SendBatch batch;
  start(batch);
  SocketPair gone, open;
  ::close(gone.peer);
  gone.peer = -1;
  CHECK(write_event_beside(batch, gone.ours, open) == -EPIPE);
}

TEST_CASE("send batch: a batch holds kCapacity writes and is reused once cleared") {
  SendBatch batch;
  start(batch);
  std::vector<SocketPair> sockets(SendBatch::kCapacity);
  for (int round = 0; round < 3; ++round) {
    const std::vector<std::string> text = {"round " + std::to_string(round)};
    const auto pieces = pieces_of(text);
    batch.clear();
    for (const SocketPair& socket : sockets) batch.add(socket.ours, pieces);
    REQUIRE(batch.full());
    batch.submit();
    for (std::size_t i = 0; i < sockets.size(); ++i) {
      CHECK(batch.result(i) == static_cast<ssize_t>(text[0].size()));
      CHECK(sockets[i].drain() == text[0]);
    }
  }
}

TEST_CASE("send batch: start() sets the ring up once") {
  SendBatch batch;
  CHECK_FALSE(batch.started());
  start(batch);
  CHECK(batch.started());
  CHECK(batch.start());
  CHECK(batch.failure().empty());
}

TEST_CASE("send batch: stop() gives the ring up for good, started or not") {
  SendBatch batch;
  start(batch);
  batch.stop();
  CHECK_FALSE(batch.started());
  CHECK_FALSE(batch.start());  // not set up again
  CHECK_FALSE(batch.started());
  SendBatch never_started;
  never_started.stop();
  CHECK_FALSE(never_started.start());
  CHECK_FALSE(never_started.started());
}

TEST_CASE("send batch: a ring that cannot be set up says why, once, and closes nothing") {
  // With every descriptor below the limit in use, io_uring_setup cannot
  // make the ring's descriptor (EMFILE).
  const int lowest_free = ::dup(0);
  REQUIRE(lowest_free >= 0);
  ::close(lowest_free);
  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  rlimit tight = saved;
  tight.rlim_cur = static_cast<rlim_t>(lowest_free);
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &tight) == 0);
  bool started = true;
  {
    SendBatch batch;
    started = batch.start();
    CHECK_FALSE(batch.started());
    CHECK(batch.failure().find("io_uring_setup") == 0);
    CHECK_FALSE(batch.start());  // tried once: not again
  }
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &saved) == 0);
  CHECK_FALSE(started);
  // The descriptors that were open still are (standard input included).
  for (int fd = 0; fd < lowest_free; ++fd) {
    INFO("descriptor " << fd);
    CHECK(::fcntl(fd, F_GETFD) != -1);
  }
}

TEST_CASE("gathered send: one call writes the pieces in order, and answers as a batched send does") {
  SocketPair open, full, gone;
  const std::vector<std::string> texts = {"a", "bc", std::string(3000, 'd')};
  const auto pieces = pieces_of(texts);
  std::array<iovec, 3> iov;
  const msghdr message = gathered_message(pieces, iov);
  REQUIRE(message.msg_iovlen == 3);
  CHECK(send_gathered(open.ours, message) == 3003);
  CHECK(open.drain() == "abc" + std::string(3000, 'd'));

  full.fill();
  CHECK(send_gathered(full.ours, message) == -EAGAIN);

  ::close(gone.peer);
  gone.peer = -1;
  CHECK(send_gathered(gone.ours, message) == -EPIPE);  // and no SIGPIPE ends the test
}

}  // namespace pubsub::net
