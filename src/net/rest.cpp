// The REST routes of sections 6, 9 and 10, the API descriptions and the web
// console's files; see rest.h.
#include "net/rest.h"

#include <array>

#include "core/broker.h"
#include "net/rest_messages.h"
#include "net/web_assets.h"
#include "protocol/json_scan.h"
#include "protocol/messages.h"

namespace pubsub::net {
namespace {

using protocol::append_json_string;
using protocol::ErrorCode;

constexpr std::string_view kNameRule = "topic name must be 1-255 characters of A-Z a-z 0-9 . _ - :";

// The routes, indexed by Route: handle_rest matches paths against them.
enum class Route : std::uint8_t {
  health,
  stats,
  metrics,
  topics,
  topic,
  messages,
  batch,
  websocket,
  openapi,
  asyncapi,
  console,
  console_script,
  console_style,
  client_script
};
constexpr std::array<RestRoute, 14> kRoutes{{
    {"/health", "GET", true},
    {"/stats", "GET", false},
    {"/metrics", "GET", false},
    {"/topics", "GET, POST", false},
    {"/topics/{name}", "GET, DELETE", false},
    {"/topics/{name}/messages", "GET, POST", false},
    {"/topics/{name}/messages:batch", "POST", false},
    {"/ws", "GET", false},
    {"/openapi.yaml", "GET", true},
    {"/asyncapi.yaml", "GET", true},
    {"/", "GET", true},
    {"/console.js", "GET", true},
    {"/console.css", "GET", true},
    {"/client.js", "GET", true},
}};
static_assert(kRoutes.size() == static_cast<std::size_t>(Route::client_script) + 1);

constexpr std::string_view kTopicPrefix = "/topics/";
constexpr std::string_view kNameParameter = "{name}";

const RestRoute& route_of(Route route) { return kRoutes[static_cast<std::size_t>(route)]; }

// A path matched to its route; for a topic's routes, with the name as it
// is in the path (percent-encoded).
struct RouteMatch {
  Route route;
  std::string_view raw_name;
};

// Finds the route of `path`. Under /topics/, what follows the name's first
// slash must be the rest of a route's path ("messages", "messages:batch");
// otherwise the slash is part of the name, which it makes invalid (400).
std::optional<RouteMatch> match_route(std::string_view path) {
  if (path.starts_with(kTopicPrefix)) {
    const std::string_view after_prefix = path.substr(kTopicPrefix.size());
    const std::size_t slash = after_prefix.find('/');
    for (const Route route : {Route::messages, Route::batch}) {
      const std::string_view pattern = route_of(route).path;
      const std::string_view after_name = pattern.substr(pattern.find(kNameParameter) + kNameParameter.size());
      if (slash != std::string_view::npos && after_prefix.substr(slash) == after_name) {
        return RouteMatch{route, after_prefix.substr(0, slash)};
      }
    }
    return RouteMatch{Route::topic, after_prefix};
  }
  for (std::size_t i = 0; i < kRoutes.size(); ++i) {
    if (kRoutes[i].path == path) return RouteMatch{static_cast<Route>(i), {}};
  }
  return std::nullopt;
}

// Returns true if `route` answers `method` (methods are case-sensitive).
bool answers(const RestRoute& route, std::string_view method) {
  std::string_view methods = route.methods;
  while (!methods.empty()) {
    const std::size_t comma = methods.find(", ");
    if (methods.substr(0, comma) == method) return true;
    methods = comma == std::string_view::npos ? std::string_view{} : methods.substr(comma + 2);
  }
  return false;
}

RestResponse ok(unsigned status, std::string body) { return {status, std::move(body), {}}; }

RestResponse method_not_allowed(std::string_view allow) {
  RestResponse r = rest_error(ErrorCode::method_not_allowed, "method not allowed; use " + std::string(allow));
  r.allow = allow;
  return r;
}

std::string status_body(std::string_view status, std::string_view topic) {
  std::string body = R"({"status":")";
  body += status;
  body += R"(","topic":)";
  append_json_string(body, topic);
  body += '}';
  return body;
}

// Finds the `name` member of a POST /topics body.
struct NameMember final : protocol::MemberVisitor {
  std::optional<protocol::JsonValue> name;
  void member(std::string_view raw_key, protocol::JsonValue value) override {
    std::string scratch;
    if (protocol::decode_key(raw_key, scratch) == "name") name = value;
  }
};

// Appends a topic's position (section 9): ,"epoch":E,"seq":S.
void append_position(std::string& body, const core::TopicStats& topic) {
  body += R"(,"epoch":)";
  append_json_string(body, topic.epoch.text());
  body += R"(,"seq":)" + std::to_string(topic.messages);
}

RestResponse create_topic(core::Broker& broker, std::string_view body) {
  NameMember member;
  const protocol::ObjectScan scan = protocol::scan_object(body, member);
  if (scan == protocol::ObjectScan::too_deep) {
    return rest_error(ErrorCode::bad_request, protocol::too_deep_error("body"));
  }
  if (scan != protocol::ObjectScan::ok) {
    return rest_error(ErrorCode::bad_request, R"(body must be a JSON object like {"name":"orders"})");
  }
  std::string name;
  if (!member.name || member.name->type != protocol::JsonType::string ||
      !protocol::decode_json_string(member.name->raw.substr(1, member.name->raw.size() - 2), name)) {
    return rest_error(ErrorCode::bad_request, "name is required and must be a string");
  }
  if (!protocol::is_valid_topic_name(name)) return rest_error(ErrorCode::bad_request, kNameRule);
  switch (broker.create_topic_status(name)) {
    case core::CreateStatus::created: return ok(201, status_body("created", name));
    case core::CreateStatus::exists: return rest_error(ErrorCode::topic_exists, "topic '" + name + "' already exists");
    case core::CreateStatus::limit_reached: break;
  }
  return rest_error(ErrorCode::limit_exceeded, "the server holds --max-topics topics; delete one first");
}

RestResponse forbidden(std::string_view what) {
  return rest_error(ErrorCode::forbidden, "the token does not grant " + std::string(what));
}

RestResponse list_topics(const core::Broker& broker) {
  std::string body = R"({"topics":[)";
  bool first = true;
  for (const auto& t : broker.all_topics()) {
    if (!first) body += ',';
    first = false;
    body += R"({"name":)";
    append_json_string(body, t.name);
    body += R"(,"subscribers":)" + std::to_string(t.subscribers) + '}';
  }
  body += "]}";
  return ok(200, std::move(body));
}

// GET or DELETE /topics/{name}, and the routes of its messages.
RestResponse topic_route(core::Broker& broker, const RestContext& context, const RestRequest& request,
                         const auth::Identity* identity, const RouteMatch& match) {
  const std::string_view method = request.method;
  std::string name;
  if (!percent_decode(match.raw_name, name))
    return rest_error(ErrorCode::bad_request, "malformed percent-encoding in topic name");
  if (!protocol::is_valid_topic_name(name)) return rest_error(ErrorCode::bad_request, kNameRule);
  if (match.route == Route::messages && method == "GET") return read_history(broker, name, request.target);
  if (match.route != Route::topic) {
    if (!auth::may_publish(identity, name)) return forbidden("publishing to '" + name + "'");
    return publish_messages(broker, context, name, request.body, match.route == Route::batch);
  }
  if (method == "DELETE") {
    if (!auth::may_administer(identity)) return forbidden("admin (deleting topics)");
    if (!broker.delete_topic(name))
      return rest_error(ErrorCode::topic_not_found, "topic '" + name + "' does not exist");
    return ok(200, status_body("deleted", name));
  }
  auto stats = broker.topic_stats(name);
  if (!stats) return rest_error(ErrorCode::topic_not_found, "topic '" + name + "' does not exist");
  std::string body = R"({"name":)";
  append_json_string(body, stats->name);
  body += R"(,"subscribers":)" + std::to_string(stats->subscribers);
  body += R"(,"messages":)" + std::to_string(stats->messages);
  body += R"(,"dropped":)" + std::to_string(stats->dropped);
  append_position(body, *stats);
  body += '}';
  return ok(200, std::move(body));
}

RestResponse health(const core::Broker& broker, const RestContext& context) {
  auto uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - context.started);
  std::string body = R"({"status":")";
  body += context.counters.shutting_down ? "shutting_down" : "ok";
  body += R"(","uptime_sec":)" + std::to_string(uptime.count());
  body += R"(,"topics":)" + std::to_string(broker.topic_count());
  body += R"(,"subscribers":)" + std::to_string(broker.subscription_count());
  body += R"(,"connections":)" + std::to_string(context.counters.connections) + '}';
  return ok(context.counters.shutting_down ? 503 : 200, std::move(body));
}

RestResponse stats(const core::Broker& broker, const RestContext& context) {
  std::string body = R"({"topics":{)";
  bool first = true;
  for (const auto& t : broker.all_topics()) {
    if (!first) body += ',';
    first = false;
    append_json_string(body, t.name);
    body += R"(:{"messages":)" + std::to_string(t.messages);
    body += R"(,"subscribers":)" + std::to_string(t.subscribers);
    body += R"(,"dropped":)" + std::to_string(t.dropped);
    append_position(body, t);
    body += '}';
  }
  const ServerCounters& c = context.counters;
  body += R"(},"connections":)" + std::to_string(c.connections);
  body += R"(,"websocket_connections":)" + std::to_string(c.websocket_connections);
  body += R"(,"rejected_connections":)" + std::to_string(c.rejected_connections);
  body += R"(,"slow_consumer_disconnects":)" + std::to_string(c.slow_consumer_disconnects) + '}';
  return ok(200, std::move(body));
}

// The 404 of a path no route matches.
RestResponse no_route(std::string_view path) {
  std::string shown(path.substr(0, 200));
  for (char& c : shown) {
    if (c < 0x20 || c > 0x7e) c = '?';  // keep the body valid UTF-8 whatever the target holds
  }
  return rest_error(ErrorCode::not_found, "no route for " + shown);
}

// A compiled-in file (an API description, a file of the web console), as
// served; `content_type` is a string literal.
RestResponse file(std::string_view text, std::string_view content_type) {
  return {200, std::string(text), {}, content_type};
}
constexpr std::string_view kYaml = "application/yaml";
constexpr std::string_view kJavaScript = "text/javascript; charset=utf-8";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

RestResponse rest_error(ErrorCode code, std::string_view message, unsigned status) {
  std::string body = R"({"error":{"code":")";
  body += protocol::to_string(code);
  body += R"(","message":)";
  append_json_string(body, message);
  body += "}}";
  return {status != 0 ? status : protocol::http_status(code), std::move(body), {}};
}

bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int hi = hex_digit(in[i + 1]);
    int lo = hex_digit(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

bool publishes_messages(std::string_view method, std::string_view target) {
  const std::string_view path = target_path(target);
  return method == "POST" && path.starts_with("/topics/") &&
         (path.ends_with("/messages") || path.ends_with("/messages:batch"));
}

std::string_view target_path(std::string_view target) { return target.substr(0, target.find('?')); }

std::optional<std::string> query_parameter(std::string_view target, std::string_view name) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    std::string value;
    std::string_view raw = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (!percent_decode(raw, value)) return std::nullopt;
    return value;
  }
  return std::nullopt;
}

std::span<const RestRoute> rest_routes() { return kRoutes; }

RestResponse handle_rest(core::Broker& broker, const RestContext& context, const RestRequest& request) {
  const std::string_view path = target_path(request.target);
  const std::string_view method = request.method;
  const std::optional<RouteMatch> match = match_route(path);
  const RestRoute* route = match ? &route_of(match->route) : nullptr;
  // Credentials are checked before routing: an unknown path is 401 too.
  auth::Authentication authentication;
  if (route == nullptr || !route->open || !answers(*route, method)) {
    authentication =
        context.authenticator.authenticate({request.api_key, request.token}, auth::unix_now(), context.token_memory);
    if (!authentication.accepted) return rest_error(ErrorCode::unauthorized, authentication.refusal);
  }
  if (!match) return no_route(path);
  if (match->route != Route::websocket && !answers(*route, method)) return method_not_allowed(route->methods);
  const auth::Identity* identity = authentication.holder();
  switch (match->route) {
    case Route::health: return health(broker, context);
    case Route::stats: return stats(broker, context);
    case Route::metrics:
      if (!context.render_metrics) return rest_error(ErrorCode::unavailable, "no metrics are kept here");
      return {200, context.render_metrics(), {}, "text/plain; version=0.0.4; charset=utf-8"};
    case Route::topics:
      if (method == "GET") return list_topics(broker);
      if (!auth::may_administer(identity)) return forbidden("admin (creating topics)");
      return create_topic(broker, request.body);
    case Route::topic:
    case Route::messages:
    case Route::batch: return topic_route(broker, context, request, identity, *match);
    case Route::openapi: return file(openapi_yaml(), kYaml);
    case Route::asyncapi: return file(asyncapi_yaml(), kYaml);
    case Route::console: return file(console_html(), "text/html; charset=utf-8");
    case Route::console_script: return file(console_js(), kJavaScript);
    case Route::console_style: return file(console_css(), "text/css; charset=utf-8");
    case Route::client_script: return file(client_js(), kJavaScript);
    case Route::websocket: break;
  }
  return rest_error(ErrorCode::bad_request, "/ws takes a WebSocket upgrade request", 426);
}

}  // namespace pubsub::net
