// The frames pubsub-bench sends; see requests.h.
#include "bench/requests.h"

#include <cstdio>

#include "bench/stats.h"
#include "protocol/client_frames.h"

namespace pubsub::bench {

void append_request_frame(std::string& out, std::string_view payload, std::uint8_t opcode) {
  protocol::append_client_frame(out, static_cast<std::uint8_t>(0x80 | opcode), payload, protocol::kZeroMaskKey);
}

std::string subscribe_frame(const std::string& topic) {
  std::string frame;
  append_request_frame(frame, R"({"type":"subscribe","topic":")" + topic + R"(","client_id":"bench"})");
  return frame;
}

void publish_frame(std::string& out, const std::string& topic, std::uint64_t p, std::uint64_t n, std::size_t payload) {
  char id[40];
  std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012llx",
                static_cast<unsigned long long>(((p & 0xFFFF) << 32) | (n & 0xFFFFFFFF)));
  std::string body = R"({"type":"publish","topic":")" + topic + R"(","message":{"id":")" + id +
                     R"(","payload":{"bp":)" + std::to_string(p) + R"(,"bn":)" + std::to_string(n) +
                     R"(,"bt":)" + std::to_string(now_ns()) + R"(,"pad":")";
  // Pad the payload object to `payload` bytes (at least its fields).
  std::size_t payload_so_far = body.size() - body.find(R"({"bp")") + 3;
  if (payload > payload_so_far) body.append(payload - payload_so_far, 'x');
  body += "\"}}}";
  append_request_frame(out, body);
}

}  // namespace pubsub::bench
