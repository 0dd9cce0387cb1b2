// The shard's epoll set; see readiness.h.
#include "net/readiness.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "net/ws_endpoint.h"

namespace pubsub::net {
namespace {

// Ready sockets taken from the set per epoll_wait.
constexpr int kBatch = 256;

}  // namespace

Readiness::Readiness(asio::io_context& ioc) : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)), watch_(ioc.get_executor()) {
  if (epoll_fd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  watch_.assign(epoll_fd_);
}

Readiness::~Readiness() {
  boost::system::error_code ignored;
  watch_.close(ignored);  // closes epoll_fd_ too
}

bool Readiness::add(int descriptor, WsEndpoint& endpoint) {
  epoll_event event{};
  event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  event.data.ptr = &endpoint;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, descriptor, &event) != 0) return false;
  ++watched_;
  if (!armed_) arm();
  return true;
}

void Readiness::remove(int descriptor) {
  epoll_event unused{};
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, descriptor, &unused) != 0) return;
  // With nothing to watch, the wait ends: it would keep the shard's loop
  // running at shutdown.
  if (--watched_ == 0 && armed_) {
    boost::system::error_code ignored;
    watch_.cancel(ignored);
  }
}

void Readiness::arm() {
  armed_ = true;
  watch_.async_wait(asio::posix::stream_descriptor::wait_read, [this](boost::system::error_code) {
    // Also after a cancelled wait: a socket added meanwhile may be ready,
    // and the set's signal for it may have gone to the cancelled wait.
    armed_ = false;
    dispatch();
    if (watched_ > 0) arm();
  });
}

void Readiness::dispatch() {
  // Drain the set: its descriptor signals only when it goes from empty to
  // non-empty, so everything ready now must be taken before waiting again.
  epoll_event events[kBatch];
  for (;;) {
    const int n = watch_.is_open() ? ::epoll_wait(epoll_fd_, events, kBatch, 0) : 0;
    for (int i = 0; i < n; ++i) static_cast<WsEndpoint*>(events[i].data.ptr)->on_readiness(events[i].events);
    if (n < kBatch) break;
  }
}

}  // namespace pubsub::net
