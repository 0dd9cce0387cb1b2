// History ring of a topic; see topic.h.
#include "core/topic.h"

#include <algorithm>

namespace pubsub::core {

void HistoryRing::push(FramePtr frame) {
  if (slots_.empty()) return;
  slots_[next_] = std::move(frame);
  next_ = (next_ + 1) % slots_.size();
  size_ = std::min(size_ + 1, slots_.size());
}

void HistoryRing::clear() {
  for (auto& slot : slots_) slot.reset();
  next_ = 0;
  size_ = 0;
}

std::vector<FramePtr> HistoryRing::newest(std::uint64_t n) const {
  std::size_t count = static_cast<std::size_t>(std::min<std::uint64_t>(n, size_));
  std::vector<FramePtr> out;
  out.reserve(count);
  std::size_t start = (next_ + slots_.size() - count) % std::max<std::size_t>(slots_.size(), 1);
  for (std::size_t i = 0; i < count; ++i) out.push_back(slots_[(start + i) % slots_.size()]);
  return out;
}

}  // namespace pubsub::core
