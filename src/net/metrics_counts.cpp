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
  switch (type) {
    case protocol::RequestType::subscribe: return "subscribe";
    case protocol::RequestType::unsubscribe: return "unsubscribe";
    case protocol::RequestType::publish: return "publish";
    case protocol::RequestType::ping: return "ping";
  }
  return "ping";
}

std::string label_of(protocol::ErrorCode code) {
  std::string label(protocol::to_string(code));
  for (char& c : label) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return label;
}

}  // namespace pubsub::net
