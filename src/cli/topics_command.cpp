// `pubsub topics [list|create|get|delete]`: topics over REST (section 6).
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/rest_client.h"
#include "cli/server_url.h"
#include "protocol/json_scan.h"

namespace pubsub::cli {

ExitStatus run_topics(EventLoop& loop, const Invocation& invocation) {
  RestClient rest(loop, invocation.connection);
  const TopicsOptions& topics = invocation.topics;
  const std::string path = "/topics/" + percent_encode_segment(topics.name);
  std::string body;
  switch (topics.action) {
    case TopicsAction::list: body = request_or_refuse(rest, "GET", "/topics"); break;
    case TopicsAction::get: body = request_or_refuse(rest, "GET", path); break;
    case TopicsAction::remove: body = request_or_refuse(rest, "DELETE", path); break;
    case TopicsAction::create: {
      std::string request = R"({"name":)";
      protocol::append_json_string(request, topics.name);
      request += '}';
      body = request_or_refuse(rest, "POST", "/topics", request);
      break;
    }
  }
  print_json(body, invocation.pretty);
  return ExitStatus::success;
}

}  // namespace pubsub::cli
