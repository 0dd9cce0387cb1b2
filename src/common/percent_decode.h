// Decoding of RFC 3986 percent-escapes ("%2F" is '/'), for request
// targets, query parameters and the credentials of a redis:// URL.
//
// Pure function; callable from any thread.
#pragma once

#include <string>
#include <string_view>

namespace pubsub::common {

// Decodes the %XX escapes of `in` into `out` (replacing what it held), once:
// "%2541" gives "%41". '+' stays '+'. Returns false, with `out`
// unspecified, if a '%' is not followed by two hexadecimal digits.
bool percent_decode(std::string_view in, std::string& out);

}  // namespace pubsub::common
