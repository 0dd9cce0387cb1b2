// The error code table; see error_code.h.
#include "protocol/error_code.h"

#include <array>

namespace pubsub::protocol {
namespace {

struct Entry {
  std::string_view name;
  unsigned status;
};

// Indexed by ErrorCode.
constexpr std::array<Entry, kErrorCodeCount> kTable{{
    {"BAD_REQUEST", 400},
    {"UNAUTHORIZED", 401},
    {"NOT_FOUND", 404},
    {"TOPIC_NOT_FOUND", 404},
    {"METHOD_NOT_ALLOWED", 405},
    {"TOPIC_EXISTS", 409},
    {"PAYLOAD_TOO_LARGE", 413},
    {"SLOW_CONSUMER", 500},
    {"INTERNAL", 500},
    {"UNAVAILABLE", 503},
    {"FORBIDDEN", 403},
    {"LIMIT_EXCEEDED", 403},
    {"RATE_LIMITED", 429},
    {"TOKEN_EXPIRED", 401},
}};
static_assert(!kTable.back().name.empty(), "one entry per ErrorCode");

}  // namespace

std::string_view to_string(ErrorCode code) { return kTable[static_cast<std::size_t>(code)].name; }

unsigned http_status(ErrorCode code) { return kTable[static_cast<std::size_t>(code)].status; }

}  // namespace pubsub::protocol
