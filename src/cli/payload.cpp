// Payloads, message ids and publish requests; see payload.h.
#include "cli/payload.h"

#include "common/text.h"
#include "protocol/json_scan.h"

namespace pubsub::cli {

std::optional<std::string> payload_json(std::string_view text, bool as_string) {
  protocol::JsonValue value;
  if (!as_string && protocol::scan_json(text, value)) return std::string(value.raw);
  if (!common::valid_utf8(text)) return std::nullopt;
  std::string out;
  protocol::append_json_string(out, text);
  return out;
}

MessageIds::MessageIds() {
  std::random_device device;
  std::seed_seq seed{device(), device(), device(), device(), device(), device(), device(), device()};
  random_.seed(seed);
}

std::string MessageIds::next() {
  static constexpr char kHex[] = "0123456789abcdef";
  unsigned char bytes[16];
  for (int half = 0; half < 2; ++half) {
    std::uint64_t bits = random_();
    for (int i = 0; i < 8; ++i) bytes[half * 8 + i] = static_cast<unsigned char>(bits >> (8 * i));
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);  // variant 10xx (RFC 9562)
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0xF];
  }
  return out;
}

std::string publish_request(std::string_view topic, std::string_view id, std::string_view payload,
                            std::string_view request_id) {
  std::string out = R"({"type":"publish","topic":)";
  protocol::append_json_string(out, topic);
  out += R"(,"message":{"id":")";
  out += id;
  out += R"(","payload":)";
  out += payload;
  out += R"(},"request_id":)";
  protocol::append_json_string(out, request_id);
  out += '}';
  return out;
}

std::string message_body(std::string_view id, std::string_view payload) {
  std::string out = R"({"id":")";
  out += id;
  out += R"(","payload":)";
  out += payload;
  out += '}';
  return out;
}

}  // namespace pubsub::cli
