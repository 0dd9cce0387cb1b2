// The lines of standard input for `pubsub pub`, read on a thread of their
// own so that the command can wait on its connection (answering pings,
// reading acks) and its input at once. Each line that arrives while none
// is waiting, and the end of the input, call `on_ready` (EventLoop::wake).
// At most `capacity` lines wait; the thread then waits for room.
//
// take(), ready() and finished(): the thread that made the reader.
// on_ready runs on the reading thread, never after the destructor returns.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace pubsub::cli {

class LineReader {
 public:
  // Starts reading the file descriptor `fd`.
  LineReader(int fd, std::function<void()> on_ready, std::size_t capacity = 1024);
  // Stops the thread, or leaves it behind if a read still blocks it: it
  // ends with the process.
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line, without its "\n" (or "\r\n"); nullopt if none is there yet.
  std::optional<std::string> take();
  // True if take() has a line, or the input has ended.
  bool ready() const;
  // True once the input has ended and every line was taken.
  bool finished() const;

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
};

}  // namespace pubsub::cli
