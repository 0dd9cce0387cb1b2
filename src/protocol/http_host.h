// The form of an HTTP Host header field's value (RFC 9110 section 7.2):
// the pure part of RFC 9112 section 3.2's rule that a request with an
// invalid Host gets 400. Counting the Host fields of a request is in
// net/http_session.cpp.
//
// Pure functions; callable from any thread.
#pragma once

#include <string_view>

namespace pubsub::protocol {

// Returns true if `value` is a valid Host field value: uri-host [":" port]
// of RFC 3986, where uri-host is an IP literal in brackets, or a
// registered name or IPv4 address made of unreserved characters,
// sub-delimiters and percent-encoded octets (possibly empty, as RFC 9112
// allows), and port is decimal digits. Spaces, '/', '?', '#', '@', a
// second ':' outside brackets and control characters make it invalid.
bool is_host_field_value(std::string_view value);

}  // namespace pubsub::protocol
