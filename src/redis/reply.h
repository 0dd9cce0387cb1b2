// A reply of Redis as the callers of redis::Client get it: an owned copy of
// what hiredis parsed (nil, integer, bulk string, status, array, error), or
// `unavailable` when no answer can come: no connection, the connection was
// lost before the answer, or the answer took longer than the command
// timeout.
//
// A plain value; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

struct redisReply;  // hiredis

namespace pubsub::redis {

enum class ReplyKind : std::uint8_t { unavailable, nil, integer, string, status, array, error };

std::string_view to_string(ReplyKind kind);

struct Reply {
  ReplyKind kind = ReplyKind::nil;
  long long integer = 0;        // integer
  std::string text;             // string, status ("OK"), error ("ERR ..."), or why unavailable
  std::vector<Reply> elements;  // array

  static Reply unavailable(std::string why) { return {ReplyKind::unavailable, 0, std::move(why), {}}; }
  static Reply error(std::string message) { return {ReplyKind::error, 0, std::move(message), {}}; }

  bool is_unavailable() const { return kind == ReplyKind::unavailable; }
  bool is_error() const { return kind == ReplyKind::error; }
  // True for an error reply whose code (its first word) is `code`, as in
  // "NOSCRIPT No matching script".
  bool is_error(std::string_view code) const;
};

// Copies what hiredis parsed. Types beyond RESP2's (RESP3 replies, which
// this client never asks for) become an error naming the type.
Reply to_reply(const redisReply& reply);

}  // namespace pubsub::redis
