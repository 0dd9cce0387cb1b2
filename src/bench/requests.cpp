// The frames pubsub-bench sends; see requests.h.
#include "bench/requests.h"

#include <charconv>

#include "protocol/client_frames.h"

namespace pubsub::bench {

namespace {

void append_number(std::string& out, std::uint64_t v) {
  char digits[20];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, v);
  out.append(digits, static_cast<std::size_t>(end - digits));
}

// Appends a version 4 layout UUID whose last 12 hex digits are `low48`.
void append_uuid(std::string& out, std::uint64_t low48) {
  static constexpr char hex[] = "0123456789abcdef";
  out += "00000000-0000-4000-8000-";
  for (int shift = 44; shift >= 0; shift -= 4) out += hex[(low48 >> shift) & 0xF];
}

}  // namespace

void append_request_frame(std::string& out, std::string_view payload, std::uint8_t opcode) {
  protocol::append_client_frame(out, static_cast<std::uint8_t>(0x80 | opcode), payload, protocol::kZeroMaskKey);
}

std::string subscribe_frame(const std::string& topic) {
  std::string frame;
  append_request_frame(frame, R"({"type":"subscribe","topic":")" + topic + R"(","client_id":"bench"})");
  return frame;
}

void PublishFrameBuilder::append(std::string& out, std::string_view topic, std::uint64_t p, std::uint64_t id_counter,
                                 std::uint64_t n, std::uint64_t sent_ns) {
  body_.clear();
  body_ += R"({"type":"publish","topic":")";
  body_ += topic;
  body_ += R"(","message":{"id":")";
  append_uuid(body_, ((p & 0xFFFF) << 32) | (id_counter & 0xFFFFFFFF));
  body_ += R"(","payload":)";
  const std::size_t object_start = body_.size();
  body_ += R"({"bp":)";
  append_number(body_, p);
  body_ += R"(,"bn":)";
  append_number(body_, n);
  body_ += R"(,"bt":)";
  append_number(body_, sent_ns);
  body_ += R"(,"pad":")";
  // Pad to the requested size; the fields alone may be longer.
  const std::size_t so_far = body_.size() - object_start + 3;
  if (payload_ > so_far) body_.append(payload_ - so_far, 'x');
  body_ += "\"}}}";
  append_request_frame(out, body_);
}

}  // namespace pubsub::bench
