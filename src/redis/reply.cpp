#include "redis/reply.h"

#include <hiredis/hiredis.h>

namespace pubsub::redis {

std::string_view to_string(ReplyKind kind) {
  switch (kind) {
    case ReplyKind::unavailable: return "unavailable";
    case ReplyKind::nil: return "nil";
    case ReplyKind::integer: return "integer";
    case ReplyKind::string: return "string";
    case ReplyKind::status: return "status";
    case ReplyKind::array: return "array";
    case ReplyKind::error: return "error";
  }
  return "?";
}

bool Reply::is_error(std::string_view code) const {
  if (kind != ReplyKind::error || text.size() < code.size() || text.compare(0, code.size(), code) != 0) return false;
  return text.size() == code.size() || text[code.size()] == ' ';
}

Reply to_reply(const redisReply& reply) {
  Reply out;
  const auto text = [&reply] { return std::string(reply.str, static_cast<std::size_t>(reply.len)); };
  switch (reply.type) {
    case REDIS_REPLY_NIL: out.kind = ReplyKind::nil; break;
    case REDIS_REPLY_INTEGER:
      out.kind = ReplyKind::integer;
      out.integer = reply.integer;
      break;
    case REDIS_REPLY_STRING:
      out.kind = ReplyKind::string;
      out.text = text();
      break;
    case REDIS_REPLY_STATUS:
      out.kind = ReplyKind::status;
      out.text = text();
      break;
    case REDIS_REPLY_ERROR:
      out.kind = ReplyKind::error;
      out.text = text();
      break;
    case REDIS_REPLY_ARRAY:
      out.kind = ReplyKind::array;
      out.elements.reserve(reply.elements);
      for (std::size_t i = 0; i < reply.elements; ++i) out.elements.push_back(to_reply(*reply.element[i]));
      break;
    default:
      out.kind = ReplyKind::error;
      out.text = "ERR unsupported reply type " + std::to_string(reply.type);
      break;
  }
  return out;
}

}  // namespace pubsub::redis
