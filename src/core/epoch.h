// A topic's epoch (contract section 9): a fresh, unpredictable name for one
// life of a topic, so that `(epoch, seq)` names one message for the life of
// the topic and a seq of an earlier life (before a delete and re-create, or
// a restart) is never taken for one of this life.
//
// 64 random bits, shown as 11 characters of base64url (A-Z a-z 0-9 - _).
// Any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace pubsub::core {

class Epoch {
 public:
  static constexpr std::size_t kTextSize = 11;

  // A new epoch, from a per-thread generator seeded by the system's
  // entropy source.
  static Epoch make();
  // The epoch whose text is `bits` encoded; for tests.
  explicit Epoch(std::uint64_t bits);
  // The epoch whose text is `text`, if it is one (an epoch another node
  // made, read back from Valkey/Redis).
  static std::optional<Epoch> parse(std::string_view text);

  std::string_view text() const { return {text_.data(), text_.size()}; }
  bool operator==(const Epoch&) const = default;

 private:
  std::array<char, kTextSize> text_{};
};

}  // namespace pubsub::core
