// The io_context, its signals and its wake-ups; see event_loop.h.
#include "cli/event_loop.h"

#include <atomic>
#include <boost/asio.hpp>
#include <csignal>

namespace pubsub::cli {

namespace asio = boost::asio;

struct EventLoop::State {
  asio::io_context io{1};
  asio::signal_set signals{io, SIGINT, SIGTERM};
  bool interrupted = false;
  bool woken = false;

  void await_signal() {
    signals.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      interrupted = true;
      await_signal();
    });
  }
};

EventLoop::EventLoop() : state_(std::make_unique<State>()) { state_->await_signal(); }

EventLoop::~EventLoop() {
  boost::system::error_code ignored;
  state_->signals.cancel(ignored);
  // Handlers still pending hold their own state (shared with the objects
  // that started them); they are destroyed with the io_context, uncalled.
}

asio::io_context& EventLoop::context() { return state_->io; }

EventLoop::Stop EventLoop::run_until(const std::function<bool()>& done, Clock::time_point deadline,
                                     OnSignal on_signal) {
  State& s = *state_;
  for (;;) {
    if (done()) return Stop::done;
    if (on_signal == OnSignal::stop && s.interrupted) return Stop::interrupted;
    if (s.woken) {
      s.woken = false;
      return Stop::woken;
    }
    const auto now = Clock::now();
    if (now >= deadline) return Stop::deadline;
    if (s.io.stopped()) s.io.restart();
    // Waits at most a minute at a time: run_one_until cannot take "never".
    s.io.run_one_until(std::min(deadline, now + std::chrono::minutes(1)));
  }
}

bool EventLoop::pause(std::chrono::milliseconds delay) {
  const auto deadline = deadline_after(delay);
  while (run_until([] { return false; }, deadline) == Stop::woken) {}
  return !state_->interrupted;
}

bool EventLoop::interrupted() const { return state_->interrupted; }

void EventLoop::wake() {
  asio::post(state_->io, [state = state_.get()] { state->woken = true; });
}

}  // namespace pubsub::cli
