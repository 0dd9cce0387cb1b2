// Labels of the server's own counts; see metrics_counts.h.
#include "net/metrics_counts.h"

namespace pubsub::net {

std::string_view to_string(RejectReason reason) {
  switch (reason) {
    case RejectReason::max_connections: return "max_connections";
    case RejectReason::unauthorized: return "unauthorized";
    case RejectReason::forbidden_origin: return "forbidden_origin";
    case RejectReason::bad_request: return "bad_request";
  }
  return "bad_request";
}

std::string_view to_string(protocol::RequestType type) {
  return protocol::kRequestTypes[static_cast<std::size_t>(type)];
}

std::string label_of(protocol::ErrorCode code) {
  std::string label(protocol::to_string(code));
  for (char& c : label) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return label;
}

}  // namespace pubsub::net
