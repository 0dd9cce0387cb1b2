// The client's side of RFC 6455 framing; see client_frames.h.
#include "protocol/client_frames.h"

namespace pubsub::protocol {

namespace {

constexpr unsigned char kMaskBit = 0x80;

// Appends the first byte and the length in its shortest form, with the
// mask bit set when `masked`.
void append_header(std::string& out, std::uint8_t first, std::uint64_t size, bool masked) {
  char header[10];
  std::size_t header_size = 2;
  const unsigned char mask_bit = masked ? kMaskBit : 0;
  header[0] = static_cast<char>(first);
  if (size < 126) {
    header[1] = static_cast<char>(mask_bit | size);
  } else if (size <= 0xFFFF) {
    header[1] = static_cast<char>(mask_bit | 126);
    header[2] = static_cast<char>(size >> 8);
    header[3] = static_cast<char>(size);
    header_size = 4;
  } else {
    header[1] = static_cast<char>(mask_bit | 127);
    for (int i = 0; i < 8; ++i) header[2 + i] = static_cast<char>(size >> (56 - 8 * i));
    header_size = 10;
  }
  out.append(header, header_size);
}

bool is_zero(const MaskKey& key) { return (key[0] | key[1] | key[2] | key[3]) == 0; }

}  // namespace

std::size_t client_frame_header_size(std::size_t payload_size, bool masked) {
  std::size_t length_bytes = payload_size < 126 ? 2 : payload_size <= 0xFFFF ? 4 : 10;
  return length_bytes + (masked ? 4 : 0);
}

void append_client_frame(std::string& out, std::uint8_t first, std::string_view payload, const MaskKey& key) {
  append_header(out, first, payload.size(), true);
  out.append(reinterpret_cast<const char*>(key.data()), key.size());
  const std::size_t start = out.size();
  out.append(payload);
  if (is_zero(key)) return;
  char* p = out.data() + start;
  for (std::size_t i = 0; i < payload.size(); ++i) p[i] = static_cast<char>(p[i] ^ key[i % 4]);
}

void append_unmasked_client_frame(std::string& out, std::uint8_t first, std::string_view payload) {
  append_header(out, first, payload.size(), false);
  out.append(payload);
}

std::string client_frame(std::uint8_t first, std::string_view payload, bool masked) {
  std::string out;
  if (masked) {
    append_client_frame(out, first, payload);
  } else {
    append_unmasked_client_frame(out, first, payload);
  }
  return out;
}

std::optional<ServerFrame> read_server_frame(std::string_view bytes) {
  if (bytes.size() < 2) return std::nullopt;
  auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  ServerFrame frame;
  frame.opcode = p[0] & 0x0F;
  frame.fin = (p[0] & 0x80) != 0;
  frame.masked = (p[1] & kMaskBit) != 0;
  std::uint64_t size = p[1] & 0x7F;
  std::size_t header_size = 2;
  if (size == 126) {
    header_size = 4;
    if (bytes.size() < header_size) return std::nullopt;
    size = (std::uint64_t{p[2]} << 8) | p[3];
  } else if (size == 127) {
    header_size = 10;
    if (bytes.size() < header_size) return std::nullopt;
    size = 0;
    for (int i = 0; i < 8; ++i) size = (size << 8) | p[2 + i];
  }
  if (frame.masked) header_size += 4;
  // Compared this way round, a huge 64-bit length cannot overflow.
  if (bytes.size() < header_size || size > bytes.size() - header_size) return std::nullopt;
  frame.header_size = header_size;
  frame.payload = bytes.substr(header_size, static_cast<std::size_t>(size));
  return frame;
}

}  // namespace pubsub::protocol
