// The one wait a session coroutine may have pending on its connection,
// held in place: the coroutine's completion handler (a pointer-sized
// object for an awaitable) is stored in the connection itself, so an idle
// connection's wait costs no allocation and no reactor operation. The
// shard completes it (posting the handler to the shard's executor) when
// the connection's socket is ready or its state machine says so.
//
// Shard thread only.
#pragma once

#include <boost/asio/post.hpp>
#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace pubsub::net {

class PendingWait {
 public:
  PendingWait() = default;
  PendingWait(const PendingWait&) = delete;
  PendingWait& operator=(const PendingWait&) = delete;
  // A wait still pending is dropped: its coroutine is destroyed with it.
  ~PendingWait() { drop(); }

  bool pending() const { return act_ != nullptr; }

  // Holds `handler` (of signature void()) until complete() or drop().
  template <class Handler>
  void hold(Handler&& handler) {
    using H = std::decay_t<Handler>;
    static_assert(sizeof(H) <= sizeof(storage_) && alignof(H) <= alignof(void*),
                  "a session's completion handler must fit in place");
    drop();
    new (storage_) H(std::forward<Handler>(handler));
    act_ = [](void* storage, bool run) {
      H& held = *std::launder(static_cast<H*>(storage));
      if (run) boost::asio::post(std::move(held));
      held.~H();
    };
  }

  // Posts the held handler, which resumes its coroutine; no-op if none.
  void complete() { release(true); }
  // Destroys the held handler without running it.
  void drop() { release(false); }

 private:
  void release(bool run) {
    if (!act_) return;
    auto act = std::exchange(act_, nullptr);
    act(storage_, run);
  }

  alignas(void*) unsigned char storage_[sizeof(void*)];
  void (*act_)(void*, bool) = nullptr;
};

}  // namespace pubsub::net
