// Fuzz target of the server's WebSocket frame reader (protocol/websocket_reader.h),
// the first code that reads a client's bytes. The input is
//
//   limit (2 bytes, big-endian)  n (1 byte, low 3 bits)  n chunk sizes (1 byte each)  stream...
//
// The stream is read twice: all at once, and in chunks of the given sizes
// (cycled; one byte at a time when n is 0), each time as the connection
// does: what the reader leaves is offered again with the next chunk after
// it. After a close the reader skips data frames, as the server makes it.
// Checks what the reader promises: no message longer than the limit, text
// and close reasons valid UTF-8, control payloads of at most 125 bytes,
// the close codes of RFC 6455, a violation that is final, at most one
// incomplete frame head or control frame kept between reads, and the same
// items whatever the chunking.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.h"
#include "fuzz_check.h"
#include "protocol/websocket_frame.h"
#include "protocol/websocket_reader.h"

namespace {

using pubsub::protocol::ClientFrameReader;
using Kind = ClientFrameReader::Kind;
namespace close_code = pubsub::protocol::close_code;

// The most a reader leaves unread: a control frame waiting for its last
// bytes (a 2-byte head, the 4-byte key, 125 bytes), or a data frame's head.
constexpr std::size_t kMaxUnread = 2 + 4 + 125;

struct Seen {
  Kind kind;
  std::string payload;
  std::uint16_t code;
  bool operator==(const Seen&) const = default;
};

// Checks one item against the reader's promises.
void check_item(const ClientFrameReader::Item& item, std::size_t limit, bool too_big_seen) {
  switch (item.kind) {
    case Kind::need_more: break;
    case Kind::text: FUZZ_CHECK(pubsub::common::valid_utf8(item.payload)); [[fallthrough]];
    case Kind::binary:
      FUZZ_CHECK(item.payload.size() <= limit);
      FUZZ_CHECK(!too_big_seen);  // after too_big every message is skipped
      break;
    case Kind::ping:
    case Kind::pong: FUZZ_CHECK(item.payload.size() <= 125); break;
    case Kind::close:
      if (item.code == close_code::no_status) {
        FUZZ_CHECK(item.payload.empty());
      } else {
        // The codes a peer may send (RFC 6455 section 7.4 and the IANA registry).
        FUZZ_CHECK((item.code >= 1000 && item.code <= 1003) || (item.code >= 1007 && item.code <= 1014) ||
                   (item.code >= 3000 && item.code <= 4999));
        FUZZ_CHECK(item.payload.size() <= 123);
        FUZZ_CHECK(pubsub::common::valid_utf8(item.payload));
      }
      break;
    case Kind::too_big:
      FUZZ_CHECK(item.code == close_code::too_big);
      FUZZ_CHECK(item.payload.empty());
      break;
    case Kind::violation:
      FUZZ_CHECK(item.code == close_code::protocol_error || item.code == close_code::invalid_payload);
      FUZZ_CHECK(item.reason != nullptr && item.reason[0] != '\0');
      FUZZ_CHECK(item.payload.empty());
      break;
  }
}

// Reads `stream` in chunks of `sizes` (cycled) until it ends or the reader
// reports a violation; returns every item but need_more.
std::vector<Seen> read_stream(std::string_view stream, std::size_t limit, const std::vector<std::size_t>& sizes) {
  ClientFrameReader reader(limit);
  std::vector<Seen> seen;
  std::string pending;
  bool too_big_seen = false;
  std::size_t next_size = 0;
  for (std::size_t at = 0; at < stream.size();) {
    const std::size_t chunk = sizes[next_size++ % sizes.size()];
    pending.append(stream.substr(at, chunk));
    at += chunk;
    std::span<char> input(pending.data(), pending.size());
    for (;;) {
      const std::size_t before = input.size();
      const ClientFrameReader::Item item = reader.next(input);
      // The reader takes bytes from the front of what it is offered.
      FUZZ_CHECK(input.size() <= before);
      FUZZ_CHECK(input.data() + input.size() == pending.data() + pending.size());
      check_item(item, limit, too_big_seen);
      if (item.kind == Kind::need_more) {
        FUZZ_CHECK(input.size() <= kMaxUnread);
        break;
      }
      seen.push_back({item.kind, std::string(item.payload), item.code});
      // Every item but a violation takes at least a frame's 2-byte head.
      FUZZ_CHECK(seen.size() <= stream.size() / 2 + 1);
      if (item.kind == Kind::too_big) too_big_seen = true;
      if (item.kind == Kind::close) reader.skip_messages();  // the server's close follows
      if (item.kind == Kind::violation) {
        // Final: the reader answers it again, whatever it is offered.
        const ClientFrameReader::Item again = reader.next(input);
        FUZZ_CHECK(again.kind == Kind::violation && again.code == item.code);
        return seen;
      }
    }
    pending.erase(0, pending.size() - input.size());
  }
  return seen;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const std::size_t limit = std::size_t{data[0]} << 8 | data[1];
  const std::size_t count = data[2] & 7;
  if (size < 3 + count) return 0;
  std::vector<std::size_t> sizes;
  for (std::size_t i = 0; i < count; ++i) sizes.push_back(std::size_t{data[3 + i]} + 1);
  if (sizes.empty()) sizes.push_back(1);
  const std::string_view stream(reinterpret_cast<const char*>(data) + 3 + count, size - 3 - count);

  const std::vector<Seen> whole = read_stream(stream, limit, {stream.size() + 1});
  const std::vector<Seen> chunked = read_stream(stream, limit, sizes);
  FUZZ_CHECK(whole == chunked);
  return 0;
}
