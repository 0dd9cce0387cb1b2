// The server's reader of a client's WebSocket frames (RFC 6455 section 5):
// a pure parser that takes bytes and answers "need more", a message, a
// control frame, or the close code that a violation calls for. The
// connection's I/O code reads the socket into a buffer it shares with the
// other connections of its thread, hands it here, and keeps only an
// incomplete frame's head for the next read, so an idle connection holds no
// read buffer at all.
//
// What it checks: masking, reserved bits and opcodes, the shortest length
// encoding, control frames (final, at most 125 bytes), the order of
// fragments and continuations (all 1002); text messages' UTF-8 (1007); a
// message longer than the limit (1009, without buffering it); close frames'
// codes (1002) and reasons (1007). A whole unfragmented frame is unmasked in
// place and handed out without a copy; fragments and frames that arrive in
// pieces are joined in a buffer that is freed once it has served.
//
// Not thread-safe: one reader per connection, used on its thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace pubsub::protocol {

class ClientFrameReader {
 public:
  enum class Kind {
    need_more,  // every byte that can be used now was used; offer more
    text,       // a whole text message (valid UTF-8) in `payload`
    binary,     // a whole binary message in `payload`
    ping,       // `payload`: the application data to echo in a pong
    pong,
    close,      // the peer's close: `code` (close_code::no_status if none), `payload` its reason
    too_big,    // a message longer than the limit began; its bytes will be skipped
    violation,  // the connection must be failed with `code` (1002 or 1007)
  };
  struct Item {
    Kind kind = Kind::need_more;
    std::string_view payload;  // valid until the next call of next()
    std::uint16_t code = 0;
    const char* reason = "";  // violation: what was wrong, for the log
  };

  // `max_message_bytes` is at most 2^32 - 1.
  explicit ClientFrameReader(std::size_t max_message_bytes)
      : max_message_bytes_(static_cast<std::uint32_t>(max_message_bytes)) {}

  // Takes the next item from the front of `input`, which it unmasks in place,
  // and advances `input` past the bytes it used. On need_more, what is left
  // in `input` (the head of a frame, or a control frame, not yet whole) must
  // be offered again with the next bytes after it. A violation is final:
  // every later call answers it again.
  Item next(std::span<char>& input);

  // After the server's close frame: data frames are skipped unchecked and
  // uncounted, whatever their size; control frames are still reported.
  // A too_big message starts this by itself.
  void skip_messages() { skipping_ = true; }

 private:
  // What made the reader fail the connection (see kViolations in the .cpp).
  enum class Violation : std::uint8_t {
    none,
    reserved_bits,
    unknown_opcode,
    unmasked,
    bad_control,
    long_length,
    top_bit,
    stray_continuation,
    nested_message,
    one_byte_close,
    bad_close_code,
    close_reason_utf8,
    text_utf8,
  };

  Item fail(Violation violation);
  Item violation_item() const;
  // The buffer of a message that arrives in pieces, made when needed.
  std::string& joined();
  Item read_control(std::span<char>& input, std::size_t header_size, std::size_t size, std::uint8_t opcode);
  // Streams the current frame's payload from `input` into joined_; true once it is all there.
  bool take_payload(std::span<char>& input);
  // The message is complete in `bytes`: checks it and says what to return
  // (need_more while skipping).
  Item finish_message(std::string_view bytes);

  // Laid out small: every idle connection holds one.
  std::unique_ptr<std::string> joined_;  // fragments (or a frame arriving in pieces) joined so far
  std::uint64_t frame_left_ = 0;         // payload bytes of the current data frame still to come
  const std::uint32_t max_message_bytes_;
  std::array<unsigned char, 4> mask_{};
  Violation violation_ = Violation::none;  // set once failed
  std::uint8_t mask_phase_ = 0;            // payload bytes of the frame unmasked so far, modulo 4
  bool in_message_ : 1 = false;            // a data frame without FIN was seen, or a payload is pending
  bool message_text_ : 1 = false;
  bool skipping_ : 1 = false;       // the bytes of data frames are thrown away
  bool frame_pending_ : 1 = false;  // a data frame's payload is being streamed
  bool frame_final_ : 1 = false;
};

}  // namespace pubsub::protocol
