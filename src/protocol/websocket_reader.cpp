// The client frame parser; see websocket_reader.h.
#include "protocol/websocket_reader.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "common/text.h"
#include "protocol/websocket_frame.h"

namespace pubsub::protocol {
namespace {

// XORs `size` payload bytes with the frame's mask; `offset` is how many of
// the frame's payload bytes came before them (section 5.3).
void unmask(char* data, std::size_t size, const std::array<unsigned char, 4>& mask, std::size_t offset) {
  unsigned char rotated[8];
  for (std::size_t j = 0; j < 8; ++j) rotated[j] = mask[(offset + j) & 3];
  std::uint64_t word_mask;
  std::memcpy(&word_mask, rotated, 8);
  std::size_t k = 0;
  for (; k + 8 <= size; k += 8) {  // 8 is a multiple of 4: the same rotation throughout
    std::uint64_t word;
    std::memcpy(&word, data + k, 8);
    word ^= word_mask;
    std::memcpy(data + k, &word, 8);
  }
  for (; k < size; ++k) data[k] = static_cast<char>(data[k] ^ mask[(offset + k) & 3]);
}

// Codes a peer may send (section 7.4 and the IANA registry); 1005, 1006 and
// 1015 are for reports only, never for the wire.
bool valid_close_code(std::uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  switch (code) {
    case 1000:
    case 1001:
    case 1002:
    case 1003:
    case 1007:
    case 1008:
    case 1009:
    case 1010:
    case 1011:
    case 1012:
    case 1013:
    case 1014: return true;
    default: return false;
  }
}

// What each violation is called in the log, and the close code it calls
// for; indexed by ClientFrameReader::Violation (after `none`).
struct ViolationInfo {
  const char* reason;
  std::uint16_t code;
};
constexpr ViolationInfo kViolations[] = {
    {"reserved bits set without an extension", close_code::protocol_error},
    {"unknown opcode", close_code::protocol_error},
    {"unmasked client frame", close_code::protocol_error},
    {"fragmented or oversized control frame", close_code::protocol_error},
    {"length not in its shortest form", close_code::protocol_error},
    {"length with its top bit set", close_code::protocol_error},
    {"continuation without a message", close_code::protocol_error},
    {"new message inside a fragmented one", close_code::protocol_error},
    {"close frame with a one-byte body", close_code::protocol_error},
    {"invalid close code", close_code::protocol_error},
    {"invalid UTF-8 in a close reason", close_code::invalid_payload},
    {"invalid UTF-8 in a text message", close_code::invalid_payload},
};

}  // namespace

ClientFrameReader::Item ClientFrameReader::fail(Violation violation) {
  violation_ = violation;
  return violation_item();
}

ClientFrameReader::Item ClientFrameReader::violation_item() const {
  const ViolationInfo& info = kViolations[static_cast<std::size_t>(violation_) - 1];
  return Item{Kind::violation, {}, info.code, info.reason};
}

std::string& ClientFrameReader::joined() {
  if (!joined_) joined_ = std::make_unique<std::string>();
  return *joined_;
}

ClientFrameReader::Item ClientFrameReader::next(std::span<char>& input) {
  if (violation_ != Violation::none) return violation_item();
  if (!in_message_ && joined_) joined_.reset();  // the last message was handed out from it: idle readers stay small
  for (;;) {
    if (frame_pending_) {
      if (!take_payload(input)) return {};
      frame_pending_ = false;
      if (!frame_final_) continue;  // the message goes on in the next frame
      in_message_ = false;
      Item item = finish_message(joined());
      if (item.kind != Kind::need_more) return item;
      continue;
    }
    if (input.size() < 2) return {};
    const auto* head = reinterpret_cast<const unsigned char*>(input.data());
    const bool final = head[0] & 0x80;
    const std::uint8_t opcode = head[0] & 0x0F;
    const bool control = opcode & 0x08;
    const std::size_t size7 = head[1] & 0x7F;
    if (head[0] & 0x70) return fail(Violation::reserved_bits);
    if (opcode > 0xA || (opcode > 0x2 && opcode < 0x8)) return fail(Violation::unknown_opcode);
    if (!(head[1] & 0x80)) return fail(Violation::unmasked);
    if (control && (!final || size7 > 125)) {
      return fail(Violation::bad_control);
    }
    const std::size_t header_size = 2 + (size7 == 126 ? 2 : size7 == 127 ? 8 : 0) + 4;
    if (input.size() < header_size) return {};
    std::uint64_t size = size7;
    if (size7 == 126) {
      size = std::uint64_t{head[2]} << 8 | head[3];
      if (size < 126) return fail(Violation::long_length);
    } else if (size7 == 127) {
      size = 0;
      for (int i = 0; i < 8; ++i) size = size << 8 | head[2 + i];
      if (size >> 63) return fail(Violation::top_bit);
      if (size <= 0xFFFF) return fail(Violation::long_length);
    }
    std::memcpy(mask_.data(), head + header_size - 4, 4);
    if (control) return read_control(input, header_size, static_cast<std::size_t>(size), opcode);

    if (opcode == 0 && !in_message_) return fail(Violation::stray_continuation);
    if (opcode != 0 && in_message_) return fail(Violation::nested_message);
    if (opcode != 0) {
      in_message_ = true;
      message_text_ = opcode == static_cast<std::uint8_t>(Opcode::text);
    }
    input = input.subspan(header_size);
    frame_left_ = size;
    frame_final_ = final;
    mask_phase_ = 0;
    frame_pending_ = true;
    const std::size_t joined_size = joined_ ? joined_->size() : 0;
    if (!skipping_ && joined_size + size > max_message_bytes_) {
      skipping_ = true;  // its bytes, and everything after, are thrown away
      joined_.reset();
      return Item{Kind::too_big, {}, close_code::too_big, "message too big"};
    }
    // The common case: a whole unfragmented message in the input, used in place.
    if (final && opcode != 0 && size <= input.size() && !skipping_) {
      char* data = input.data();
      unmask(data, static_cast<std::size_t>(size), mask_, 0);
      input = input.subspan(static_cast<std::size_t>(size));
      frame_pending_ = false;
      in_message_ = false;
      return finish_message(std::string_view(data, static_cast<std::size_t>(size)));
    }
    if (!skipping_) joined().reserve(joined_size + static_cast<std::size_t>(size));
  }
}

ClientFrameReader::Item ClientFrameReader::read_control(std::span<char>& input, std::size_t header_size,
                                                        std::size_t size, std::uint8_t opcode) {
  if (input.size() < header_size + size) return {};  // kept whole until all of it is there
  char* data = input.data() + header_size;
  unmask(data, size, mask_, 0);
  input = input.subspan(header_size + size);
  const std::string_view payload(data, size);
  if (opcode == static_cast<std::uint8_t>(Opcode::ping)) return Item{Kind::ping, payload};
  if (opcode == static_cast<std::uint8_t>(Opcode::pong)) return Item{Kind::pong, payload};
  if (size == 0) return Item{Kind::close, {}, close_code::no_status};
  if (size == 1) return fail(Violation::one_byte_close);
  const auto code =
      static_cast<std::uint16_t>(static_cast<unsigned char>(data[0]) << 8 | static_cast<unsigned char>(data[1]));
  if (!valid_close_code(code)) return fail(Violation::bad_close_code);
  if (!common::valid_utf8(payload.substr(2))) return fail(Violation::close_reason_utf8);
  return Item{Kind::close, payload.substr(2), code};
}

bool ClientFrameReader::take_payload(std::span<char>& input) {
  const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(frame_left_, input.size()));
  if (!skipping_) {
    unmask(input.data(), take, mask_, mask_phase_);
    joined().append(input.data(), take);
  }
  mask_phase_ = static_cast<std::uint8_t>((mask_phase_ + take) & 3);
  frame_left_ -= take;
  input = input.subspan(take);
  return frame_left_ == 0;
}

ClientFrameReader::Item ClientFrameReader::finish_message(std::string_view bytes) {
  if (skipping_) return {};
  if (message_text_ && !common::valid_utf8(bytes)) {
    return fail(Violation::text_utf8);
  }
  return Item{message_text_ ? Kind::text : Kind::binary, bytes};
}

}  // namespace pubsub::protocol
