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

namespace {

// Finds the `status` member of a /health body.
struct StatusMember final : protocol::MemberVisitor {
  bool is_string = false;
  void member(std::string_view raw_key, protocol::JsonValue value) override {
    std::string scratch;
    if (protocol::decode_key(raw_key, scratch) == "status") is_string = value.type == protocol::JsonType::string;
  }
};

// True if `body` reads as pubsubd's /health body: an object with a string `status`.
bool is_health_body(std::string_view body) {
  StatusMember status;
  return protocol::scan_object(body, status) == protocol::ObjectScan::ok && status.is_string;
}

}  // namespace

ExitStatus run_health(EventLoop& loop, const Invocation& invocation) {
  RestClient rest(loop, invocation.connection);
  const HttpAnswer answer = rest.request("GET", "/health");
  // An unhealthy server's body ({"status":"shutting_down",...}) is data too.
  const bool health_body = is_health_body(answer.body);
  if (health_body) print_json(answer.body, invocation.pretty);
  if (status_for_http(answer.status) != ExitStatus::success) throw refusal_from_http(answer.status, answer.body);
  // A success that is not pubsubd's answer: another server is at that URL.
  if (!health_body) {
    throw ConnectionFailure("the answer to GET /health is not pubsubd's: is " + rest.url() + " a pubsub server?");
  }
  return ExitStatus::success;
}

}  // namespace pubsub::cli
