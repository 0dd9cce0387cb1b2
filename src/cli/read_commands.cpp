// `pubsub history`, `pubsub stats` and `pubsub health`: what the server
// tells over REST (sections 6 and 9), printed as JSON.
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/rest_client.h"
#include "cli/server_url.h"
#include "protocol/json_scan.h"

namespace pubsub::cli {

ExitStatus run_history(EventLoop& loop, const Invocation& invocation) {
  const HistoryOptions& history = invocation.history;
  std::string path = "/topics/" + percent_encode_segment(history.topic) + "/messages";
  char separator = '?';
  if (history.since_seq) {
    path += separator + std::string("since_seq=") + std::to_string(*history.since_seq);
    separator = '&';
  }
  if (history.limit) path += separator + std::string("limit=") + std::to_string(*history.limit);
  RestClient rest(loop, invocation.connection);
  print_json(request_or_refuse(rest, "GET", path), invocation.pretty);
  return ExitStatus::success;
}

ExitStatus run_stats(EventLoop& loop, const Invocation& invocation) {
  RestClient rest(loop, invocation.connection);
  print_json(request_or_refuse(rest, "GET", "/stats"), invocation.pretty);
  return ExitStatus::success;
}

ExitStatus run_health(EventLoop& loop, const Invocation& invocation) {
  RestClient rest(loop, invocation.connection);
  const HttpAnswer answer = rest.request("GET", "/health");
  // An unhealthy server's body ({"status":"shutting_down",...}) is data too.
  protocol::JsonValue scanned;
  if (protocol::scan_json(answer.body, scanned) && scanned.type == protocol::JsonType::object) {
    print_json(answer.body, invocation.pretty);
  }
  if (status_for_http(answer.status) != ExitStatus::success) throw refusal_from_http(answer.status, answer.body);
  return ExitStatus::success;
}

}  // namespace pubsub::cli
