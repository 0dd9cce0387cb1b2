// Template definitions of harness.h.
#pragma once

#include <thread>
#include <type_traits>

namespace pubsub::e2e {

template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return predicate();
}

template <typename Function>
TestThread::TestThread(Function function)
    : thread_([error = error_.get(), function = std::move(function)](std::stop_token stop) mutable {
        try {
          if constexpr (std::is_invocable_v<Function&, std::stop_token>) {
            function(std::move(stop));
          } else {
            function();
          }
        } catch (...) {
          *error = std::current_exception();
        }
      }) {}

}  // namespace pubsub::e2e
