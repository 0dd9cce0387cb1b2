// Batched socket writes through io_uring; see send_batch.h.
#include "net/send_batch.h"

#include <liburing.h>

#include <cassert>
#include <cerrno>
#include <cstring>

#include "net/gathered_send.h"

namespace pubsub::net {

struct SendBatch::Ring {
  io_uring ring{};
  bool ready = false;  // set up: the destructor tears it down
  ~Ring() {
    if (ready) io_uring_queue_exit(&ring);
  }
};

struct SendBatch::Entry {
  int descriptor;
  msghdr message;
  iovec pieces[kMaxPieces];
  ssize_t result;
};

SendBatch::SendBatch() = default;
SendBatch::~SendBatch() = default;

bool SendBatch::start() {
  if (tried_) return started();
  tried_ = true;
  auto ring = std::make_unique<Ring>();
  // SUBMIT_ALL (Linux 5.18): one failed send does not stop the others'
  // submission. It is required: the kernels that have it complete a send
  // with MSG_DONTWAIT at once (-EAGAIN when full) instead of waiting for
  // room, which submit() relies on. COOP_TASKRUN (5.19), where the kernel
  // has it: the thread need not be interrupted to finish a send.
  const unsigned flag_sets[] = {IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN, IORING_SETUP_SUBMIT_ALL};
  int error = 0;
  for (const unsigned flags : flag_sets) {
    error = io_uring_queue_init(kCapacity, &ring->ring, flags);
    if (error != -EINVAL) break;  // set up, or refused for another reason than a flag
  }
  if (error != 0) {
    failure_ = std::string("io_uring_setup: ") + std::strerror(-error);
    if (error == -EINVAL) failure_ += " (needs Linux 5.18 or later)";
    return false;
  }
  ring->ready = true;
  ring_ = std::move(ring);
  entries_ = std::make_unique<Entry[]>(kCapacity);
  return true;
}

void SendBatch::stop() {
  tried_ = true;
  ring_.reset();
}

void SendBatch::add(int descriptor, std::span<const WriteBuffer> pieces) {
  assert(started() && !full() && !pieces.empty() && pieces.size() <= kMaxPieces);
  Entry& entry = entries_[size_];
  entry.descriptor = descriptor;
  entry.message = gathered_message(pieces, entry.pieces);
  entry.result = -EAGAIN;
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_->ring);
  assert(sqe != nullptr);  // the ring has kCapacity entries and is empty between batches
  io_uring_prep_sendmsg(sqe, descriptor, &entry.message, MSG_NOSIGNAL | MSG_DONTWAIT);
  io_uring_sqe_set_data64(sqe, size_);
  ++size_;
}

void SendBatch::submit() {
  if (size_ == 0) return;
  io_uring& ring = ring_->ring;
  // The kernel takes the sends in order; each taken one completes (at once:
  // they do not wait for room). A send it did not take never ran.
  std::size_t taken = 0;
  std::size_t completed = 0;
  int retries = 0;
  // Takes the next completion; the sends do not wait for room, so this
  // does not wait long.
  const auto reap = [&] {
    io_uring_cqe* cqe = nullptr;
    if (io_uring_wait_cqe(&ring, &cqe) != 0 || cqe == nullptr) return;  // interrupted: again
    entries_[io_uring_cqe_get_data64(cqe)].result = cqe->res;
    io_uring_cqe_seen(&ring, cqe);
    ++completed;
  };
  while (taken < size_) {
    const int n = io_uring_submit(&ring);
    if (n > 0) {
      taken += static_cast<std::size_t>(n);
      continue;
    }
    // Busy (completions to take first) or interrupted: try again, a few times.
    if ((n == -EINTR || n == -EAGAIN || n == -EBUSY) && ++retries < 100) {
      if (completed < taken) reap();
      continue;
    }
    failure_ = std::string("io_uring_enter: ") + (n < 0 ? std::strerror(-n) : "took no send");
    break;
  }
  while (completed < taken) reap();
  if (taken < size_) {
    // The ring failed: its untaken sends are dropped with it, and are
    // written here instead; the shard writes directly from now on.
    ring_.reset();
    send_directly(taken);
  }
}

ssize_t SendBatch::result(std::size_t i) const {
  assert(i < size_);
  return entries_[i].result;
}

void SendBatch::send_directly(std::size_t from) {
  for (std::size_t i = from; i < size_; ++i) {
    Entry& entry = entries_[i];
    entry.result = send_gathered(entry.descriptor, entry.message);
  }
}

}  // namespace pubsub::net
