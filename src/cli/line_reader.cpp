// Standard input, line by line, on its own thread; see line_reader.h.
#include "cli/line_reader.h"

#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace pubsub::cli {

struct LineReader::Shared {
  std::mutex mutex;
  std::condition_variable room;
  std::deque<std::string> lines;
  bool ended = false;      // the input ended (or failed)
  bool abandoned = false;  // the reader is gone: stop, and call on_ready no more
  std::function<void()> on_ready;
  std::size_t capacity;
  std::thread thread;

  // Queues `line` once there is room; false if the reader is gone.
  bool push(std::string line) {
    std::unique_lock lock(mutex);
    room.wait(lock, [&] { return abandoned || lines.size() < capacity; });
    if (abandoned) return false;
    lines.push_back(std::move(line));
    if (lines.size() == 1) on_ready();
    return true;
  }

  void finish() {
    std::lock_guard lock(mutex);
    ended = true;
    if (!abandoned) on_ready();
  }

  void read_lines(int fd) {
    std::string pending;
    char chunk[65536];
    for (;;) {
      const ssize_t n = ::read(fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      pending.append(chunk, static_cast<std::size_t>(n));
      std::size_t start = 0;
      for (auto end = pending.find('\n'); end != std::string::npos; end = pending.find('\n', start)) {
        std::size_t length = end - start;
        if (length > 0 && pending[end - 1] == '\r') --length;
        if (!push(pending.substr(start, length))) return;
        start = end + 1;
      }
      pending.erase(0, start);
    }
    if (!pending.empty() && !push(std::move(pending))) return;
    finish();
  }
};

LineReader::LineReader(int fd, std::function<void()> on_ready, std::size_t capacity)
    : shared_(std::make_shared<Shared>()) {
  shared_->on_ready = std::move(on_ready);
  shared_->capacity = capacity;
  shared_->thread = std::thread([shared = shared_, fd] { shared->read_lines(fd); });
}

LineReader::~LineReader() {
  bool ended = false;
  {
    std::lock_guard lock(shared_->mutex);
    shared_->abandoned = true;
    ended = shared_->ended;
  }
  shared_->room.notify_all();
  if (ended) {
    shared_->thread.join();
  } else {
    shared_->thread.detach();
  }
}

std::optional<std::string> LineReader::take() {
  std::lock_guard lock(shared_->mutex);
  if (shared_->lines.empty()) return std::nullopt;
  std::string line = std::move(shared_->lines.front());
  shared_->lines.pop_front();
  shared_->room.notify_one();
  return line;
}

bool LineReader::ready() const {
  std::lock_guard lock(shared_->mutex);
  return !shared_->lines.empty() || shared_->ended;
}

bool LineReader::finished() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->lines.empty() && shared_->ended;
}

}  // namespace pubsub::cli
