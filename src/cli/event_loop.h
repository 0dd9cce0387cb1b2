// The one Asio io_context a run of pubsub works on, and what can stop a
// wait on it: SIGINT or SIGTERM (noted once and for all), a deadline, or a
// wake-up from another thread (a line of standard input is ready). The
// connections (transport.h, rest_client.h, websocket_session.h) run their
// operations on it; commands wait through them and never see Asio.
//
// The main thread only, except wake(), which any thread may call.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace boost::asio {
class io_context;
}

namespace pubsub::cli {

using Clock = std::chrono::steady_clock;

// The deadline `timeout` from now.
inline Clock::time_point deadline_after(std::chrono::milliseconds timeout) { return Clock::now() + timeout; }
// No deadline.
inline constexpr Clock::time_point kNoDeadline = Clock::time_point::max();

class EventLoop {
 public:
  // Takes over SIGINT and SIGTERM for the life of the loop.
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  boost::asio::io_context& context();

  enum class Stop { done, deadline, interrupted, woken };
  enum class OnSignal { stop, carry_on };

  // Runs ready handlers, one at a time, until `done()` is true (checked
  // first and after each one), `deadline` passes, a wake() arrives, or,
  // with OnSignal::stop, a signal has arrived (now or before).
  Stop run_until(const std::function<bool()>& done, Clock::time_point deadline, OnSignal on_signal = OnSignal::stop);

  // Waits for `delay`, running handlers meanwhile; false if a signal
  // arrived (now or before).
  bool pause(std::chrono::milliseconds delay);

  // True once SIGINT or SIGTERM has arrived.
  bool interrupted() const;

  // Ends the current (or next) run_until with Stop::woken. Any thread.
  void wake();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace pubsub::cli
