// The REST API of sections 6, 9 and 10 as a function from a request to a
// response: routing, authentication, bodies and error bodies, and the API
// descriptions it serves. The router (route_request) serves both engines;
// handle_rest answers from the broker (--engine memory), and
// rest_shared_topics.h from Valkey/Redis (--engine redis). The HTTP
// transport (Beast) lives in http_session.cpp and only adapts to this.
//
// Any thread, except for publishing (see handle_rest): reads the broker
// through its thread-safe calls only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "auth/authenticator.h"
#include "common/token_bucket.h"
#include "net/metrics_counts.h"
#include "protocol/error_code.h"

namespace pubsub::core {
class Broker;
}

namespace pubsub::net {

class LinkStates;

// Figures of the server process shown by /health and /stats.
struct ServerCounters {
  std::int64_t connections = 0;            // open TCP connections (HTTP and WebSocket)
  std::int64_t websocket_connections = 0;  // open WebSocket sessions
  std::uint64_t rejected_connections = 0;  // refused past --max-connections
  std::uint64_t slow_consumer_disconnects = 0;
  bool shutting_down = false;
};

struct RestRequest {
  std::string_view method;  // "GET", "POST", ...
  std::string_view target;  // origin-form: path and optional query
  std::string_view body;
  std::optional<std::string_view> api_key;  // the X-API-Key header, if sent
  std::optional<std::string_view> token;    // the Authorization: Bearer token, if sent
};

struct RestResponse {
  unsigned status = 200;
  std::string body;   // JSON, unless content_type says otherwise
  std::string allow;  // the Allow header of a 405, else empty
  // The Content-Type header: a string literal.
  std::string_view content_type = "application/json";
};

// One route of the REST API: its path, where {name} stands for a
// percent-encoded topic name; the methods it answers, as the Allow header
// of its 405 lists them (which adds HEAD after GET: every GET route
// answers HEAD); and whether those need no credential.
struct RestRoute {
  std::string_view path;
  std::string_view methods;
  bool open = false;  // answered without a credential, even with --api-key or --jwt-*
};

// Every route handle_rest knows; /ws included, which it answers with 426
// (http_session.cpp takes the upgrades). docs/openapi.yaml describes each.
std::span<const RestRoute> rest_routes();

// The API descriptions served at GET /openapi.yaml and GET /asyncapi.yaml:
// docs/openapi.yaml and docs/asyncapi.yaml, byte for byte, compiled in
// (docs/meson.build generates their definitions).
std::string_view openapi_yaml();
std::string_view asyncapi_yaml();

struct RestContext {
  const auth::Authenticator& authenticator;
  std::chrono::steady_clock::time_point started;
  ServerCounters counters;
  // The shard whose thread answers the request: an HTTP publish is that
  // shard's publish (section 10).
  std::size_t shard = 0;
  bool auto_create_topics = false;
  bool require_uuid = true;
  // The connection's --max-publish-rate budget; null: no limit.
  common::TokenBucket* publish_budget = nullptr;
  // The connection's last accepted token; null: every token is verified.
  auth::TokenMemory* token_memory = nullptr;
  // The answering shard's counts (HTTP publishes); null: not counted.
  ShardCounts* counts = nullptr;
  // Renders GET /metrics (metrics_page.h); empty: 503.
  std::function<std::string()> render_metrics = {};
  // --engine redis: the live feed's connections (cluster_node.h), which
  // GET /health counts with the shard's own; null: not counted.
  const LinkStates* live_feed = nullptr;
};

// What a request asks for once route_request has checked its path, its
// method, its credential and what that grants, and the topic name of its
// path. Every engine answers the actions its own way (handle_rest in
// memory, rest_shared_topics.h with --engine redis).
enum class RestAction : std::uint8_t {
  answered,  // RoutedRequest::answer is the response
  health,
  stats,
  list_topics,
  create_topic,  // POST /topics: the body names the topic (rest_requests.h)
  get_topic,
  delete_topic,
  read_history,
  publish,        // one message, the body
  publish_batch,  // {"messages":[...]}
};

struct RoutedRequest {
  RestAction action = RestAction::answered;
  RestResponse answer;  // action `answered` only
  std::string topic;    // a topic's routes: the decoded, valid name
};

// Routes `request`: the answer of what needs no topic (a refusal, a file,
// /metrics, /ws), or the action to take. Any thread.
RoutedRequest route_request(const RestContext& context, const RestRequest& request);

// Answers one REST request from the broker (--engine memory). On the
// thread of `context.shard` (a publish delivers to that shard's
// subscribers before it returns).
RestResponse handle_rest(core::Broker& broker, const RestContext& context, const RestRequest& request);

// The error body of the contract: {"error":{"code":...,"message":...}},
// with the code's status (protocol/error_code.h) unless `status` is given.
RestResponse rest_error(protocol::ErrorCode code, std::string_view message, unsigned status = 0);
// The 404 of a topic that does not exist, and the 409 of one that does.
RestResponse topic_not_found(std::string_view name);
RestResponse topic_exists(std::string_view name);
// The 400 of an invalid topic name (section 5).
RestResponse bad_topic_name();

// Returns true if a request for `method` and `target` publishes messages
// (section 10): its body is bounded by --max-message-bytes, not 64 KiB.
bool publishes_messages(std::string_view method, std::string_view target);

// Returns the path part of an origin-form target (before any '?').
std::string_view target_path(std::string_view target);

// Returns `target` in origin form: an absolute-form target
// ("http://host:8080/topics?x=1", which RFC 9112 section 3.2.2 asks a
// server to accept) without its scheme and authority ("/topics?x=1", "/"
// for none); any other target as it is.
std::string origin_form(std::string_view target);

// Returns the percent-decoded value of query parameter `name`, if present
// (and well-formed).
std::optional<std::string> query_parameter(std::string_view target, std::string_view name);

}  // namespace pubsub::net
