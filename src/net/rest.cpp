// The REST routes of sections 6, 9 and 10, the API descriptions and the web
// console's files; see rest.h.
#include "net/rest.h"

#include <array>
#include <cctype>
#include <string>

#include "common/percent_decode.h"
#include "core/broker.h"
#include "net/rest_bodies.h"
#include "net/rest_messages.h"
#include "net/rest_requests.h"
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

// A 405 for a route that answers `methods`: its Allow header lists HEAD
// after GET, since every GET route answers HEAD too (route_request).
RestResponse method_not_allowed(std::string_view methods) {
  std::string allow(methods);
  if (methods.starts_with("GET")) allow.insert(3, ", HEAD");
  RestResponse r = rest_error(ErrorCode::method_not_allowed, "method not allowed; use " + allow);
  r.allow = std::move(allow);
  return r;
}

RestResponse forbidden(std::string_view what) {
  return rest_error(ErrorCode::forbidden, "the token does not grant " + std::string(what));
}

RoutedRequest answered(RestResponse answer) { return {RestAction::answered, std::move(answer), {}}; }

// The action of a request for a topic's route (GET or DELETE
// /topics/{name}, and the routes of its messages), once its name is
// decoded and checked; `method` is the request's, HEAD read as GET.
RoutedRequest topic_action(std::string_view method, const auth::Identity* identity, const RouteMatch& match) {
  RoutedRequest routed;
  if (!common::percent_decode(match.raw_name, routed.topic)) {
    return answered(rest_error(ErrorCode::bad_request, "malformed percent-encoding in topic name"));
  }
  if (!protocol::is_valid_topic_name(routed.topic)) return answered(bad_topic_name());
  if (match.route == Route::messages && method == "GET") {
    routed.action = RestAction::read_history;
  } else if (match.route != Route::topic) {
    if (!auth::may_publish(identity, routed.topic)) return answered(forbidden("publishing to '" + routed.topic + "'"));
    routed.action = match.route == Route::batch ? RestAction::publish_batch : RestAction::publish;
  } else if (method == "DELETE") {
    if (!auth::may_administer(identity)) return answered(forbidden("admin (deleting topics)"));
    routed.action = RestAction::delete_topic;
  } else {
    routed.action = RestAction::get_topic;
  }
  return routed;
}

// ------------------------------------------------------------------ memory mode

RestResponse create_topic(core::Broker& broker, std::string_view body) {
  Checked<std::string> name = new_topic_name(body);
  if (name.refusal) return std::move(*name.refusal);
  switch (broker.create_topic_status(name.value)) {
    case core::CreateStatus::created: return ok(201, topic_status_body("created", name.value));
    case core::CreateStatus::exists: return topic_exists(name.value);
    case core::CreateStatus::limit_reached: break;
  }
  return rest_error(ErrorCode::limit_exceeded, "the server holds --max-topics topics; delete one first");
}

RestResponse list_topics(const core::Broker& broker) {
  TopicListBody body;
  for (const auto& t : broker.all_topics()) body.add(t.name, t.subscribers);
  return ok(200, body.finish());
}

TopicFigures figures_of(const core::TopicStats& topic) {
  return {topic.name, topic.subscribers, topic.messages, topic.dropped, topic.epoch.text(), topic.messages};
}

RestResponse get_topic(const core::Broker& broker, std::string_view name) {
  auto stats = broker.topic_stats(name);
  if (!stats) return topic_not_found(name);
  return ok(200, topic_body(figures_of(*stats)));
}

RestResponse delete_topic(core::Broker& broker, std::string_view name) {
  if (!broker.delete_topic(name)) return topic_not_found(name);
  return ok(200, topic_status_body("deleted", name));
}

RestResponse health(const core::Broker& broker, const RestContext& context) {
  const bool ending = context.counters.shutting_down;
  return ok(ending ? 503 : 200,
            health_body(ending ? "shutting_down" : "ok", context, broker.topic_count(), broker.subscription_count()));
}

RestResponse stats(const core::Broker& broker, const RestContext& context) {
  StatsBody body;
  for (const auto& t : broker.all_topics()) body.add(figures_of(t));
  return ok(200, body.finish(context.counters));
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

}  // namespace

RestResponse topic_not_found(std::string_view name) {
  return rest_error(ErrorCode::topic_not_found, "topic '" + std::string(name) + "' does not exist");
}

RestResponse topic_exists(std::string_view name) {
  return rest_error(ErrorCode::topic_exists, "topic '" + std::string(name) + "' already exists");
}

RestResponse bad_topic_name() { return rest_error(ErrorCode::bad_request, kNameRule); }

RestResponse rest_error(ErrorCode code, std::string_view message, unsigned status) {
  std::string body = R"({"error":{"code":")";
  body += protocol::to_string(code);
  body += R"(","message":)";
  append_json_string(body, message);
  body += "}}";
  return {status != 0 ? status : protocol::http_status(code), std::move(body), {}};
}

bool publishes_messages(std::string_view method, std::string_view target) {
  const std::string_view path = target_path(target);
  return method == "POST" && path.starts_with("/topics/") &&
         (path.ends_with("/messages") || path.ends_with("/messages:batch"));
}

std::string_view target_path(std::string_view target) { return target.substr(0, target.find('?')); }

std::string origin_form(std::string_view target) {
  // scheme "://" authority, then the path and query (RFC 3986 section 3).
  const std::size_t separator = target.find("://");
  if (target.starts_with('/') || separator == std::string_view::npos || separator == 0) return std::string(target);
  for (const char c : target.substr(0, separator)) {
    const bool scheme_character = std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
    if (!scheme_character) return std::string(target);
  }
  const std::string_view after_authority = target.substr(separator + 3);
  const std::size_t path = after_authority.find_first_of("/?#");
  if (path == std::string_view::npos) return "/";
  const std::string_view rest = after_authority.substr(path);
  std::string out;
  out.reserve(rest.size() + 1);
  if (!rest.starts_with('/')) out += '/';
  out += rest;
  return out;
}

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
    if (!common::percent_decode(raw, value)) return std::nullopt;
    return value;
  }
  return std::nullopt;
}

std::span<const RestRoute> rest_routes() { return kRoutes; }

RoutedRequest route_request(const RestContext& context, const RestRequest& request) {
  const std::string_view path = target_path(request.target);
  // HEAD is GET without the body (RFC 9110 9.3.2), which the HTTP session
  // leaves out.
  const std::string_view method = request.method == "HEAD" ? std::string_view("GET") : request.method;
  const std::optional<RouteMatch> match = match_route(path);
  const RestRoute* route = match ? &route_of(match->route) : nullptr;
  // Credentials are checked before routing: an unknown path is 401 too.
  auth::Authentication authentication;
  if (route == nullptr || !route->open || !answers(*route, method)) {
    authentication =
        context.authenticator.authenticate({request.api_key, request.token}, auth::unix_now(), context.token_memory);
    if (!authentication.accepted) return answered(rest_error(ErrorCode::unauthorized, authentication.refusal));
  }
  if (!match) return answered(no_route(path));
  if (match->route != Route::websocket && !answers(*route, method)) {
    return answered(method_not_allowed(route->methods));
  }
  const auth::Identity* identity = authentication.holder();
  switch (match->route) {
    case Route::health: return {RestAction::health, {}, {}};
    case Route::stats: return {RestAction::stats, {}, {}};
    case Route::metrics:
      if (!context.render_metrics) return answered(rest_error(ErrorCode::unavailable, "no metrics are kept here"));
      return answered({200, context.render_metrics(), {}, "text/plain; version=0.0.4; charset=utf-8"});
    case Route::topics:
      if (method == "GET") return {RestAction::list_topics, {}, {}};
      if (!auth::may_administer(identity)) return answered(forbidden("admin (creating topics)"));
      return {RestAction::create_topic, {}, {}};
    case Route::topic:
    case Route::messages:
    case Route::batch: return topic_action(method, identity, *match);
    case Route::openapi: return answered(file(openapi_yaml(), kYaml));
    case Route::asyncapi: return answered(file(asyncapi_yaml(), kYaml));
    case Route::console: return answered(file(console_html(), "text/html; charset=utf-8"));
    case Route::console_script: return answered(file(console_js(), kJavaScript));
    case Route::console_style: return answered(file(console_css(), "text/css; charset=utf-8"));
    case Route::client_script: return answered(file(client_js(), kJavaScript));
    case Route::websocket: break;
  }
  return answered(rest_error(ErrorCode::bad_request, "/ws takes a WebSocket upgrade request", 426));
}

RestResponse handle_rest(core::Broker& broker, const RestContext& context, const RestRequest& request) {
  RoutedRequest routed = route_request(context, request);
  switch (routed.action) {
    case RestAction::answered: break;
    case RestAction::health: return health(broker, context);
    case RestAction::stats: return stats(broker, context);
    case RestAction::list_topics: return list_topics(broker);
    case RestAction::create_topic: return create_topic(broker, request.body);
    case RestAction::get_topic: return get_topic(broker, routed.topic);
    case RestAction::delete_topic: return delete_topic(broker, routed.topic);
    case RestAction::read_history: return read_history(broker, routed.topic, request.target);
    case RestAction::publish:
    case RestAction::publish_batch:
      return publish_messages(broker, context, routed.topic, request.body, routed.action == RestAction::publish_batch);
  }
  return std::move(routed.answer);
}

}  // namespace pubsub::net
