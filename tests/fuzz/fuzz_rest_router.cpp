// Fuzz target of the REST API (net/rest.h): the router handle_rest on a
// real core::Broker, and the URL helpers it reads targets with
// (target_path, query_parameter) and common::percent_decode. The input is
//
//   flags (1 byte)  request  ("\n\n" request)...
//   request: METHOD " " TARGET ("\n" "key:" API-KEY | "\n" "token:" JWT)... ["\n" BODY]
//
// flags: 1 the server has the API keys "secret" and "rotated"; 2 message
// ids must be UUIDs; 4 --auto-create-topics; 8 the server is shutting
// down; 16 a --max-publish-rate of 3; 32 the server takes HS256 tokens
// signed with "fuzz-secret". Each input gets a broker of its own, of at
// most 4 topics of 4 messages each, and at most 16 requests.
//
// Checks: a status in 100..599, a body that is a JSON object (or a YAML
// API description, answered to an open route), an error body
// {"error":{"code":...,"message":...}} exactly when the status is an error
// (a shutting-down /health aside), the Allow header exactly on a 405, a 401
// for a request without credentials when the server asks for them, never
// a 401 or 403 with a valid API key, a 403 only for a token, a history of
// at most 4 messages; and that the URL helpers decode what an encoder
// would make.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/authenticator.h"
#include "auth/jwt.h"
#include "common/percent_decode.h"
#include "common/token_bucket.h"
#include "core/broker.h"
#include "fuzz_check.h"
#include "net/broker_frames.h"
#include "net/rest.h"
#include "protocol/json_scan.h"

namespace {

using namespace pubsub;

constexpr std::size_t kMaxRequests = 16;
constexpr std::size_t kHistory = 4;
constexpr std::size_t kMaxTopics = 4;

struct Request {
  std::string_view method, target, body;
  std::optional<std::string_view> key, token;
};

// Splits one request of the input format above.
Request parse(std::string_view text) {
  Request r;
  const std::size_t line_end = text.find('\n');
  const std::string_view line = text.substr(0, line_end);
  const std::size_t space = line.find(' ');
  r.method = line.substr(0, space);
  if (space != std::string_view::npos) r.target = line.substr(space + 1);
  std::string_view rest = line_end == std::string_view::npos ? std::string_view{} : text.substr(line_end + 1);
  for (;;) {
    std::optional<std::string_view>* header = rest.starts_with("key:")     ? &r.key
                                              : rest.starts_with("token:") ? &r.token
                                                                           : nullptr;
    if (header == nullptr) break;
    const std::size_t start = rest.find(':') + 1;
    const std::size_t end = rest.find('\n');
    *header = rest.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
  }
  r.body = rest;
  return r;
}

// The top-level members of a JSON object: raw key -> raw value.
struct Object final : protocol::MemberVisitor {
  std::vector<std::pair<std::string_view, protocol::JsonValue>> members;
  void member(std::string_view raw_key, protocol::JsonValue value) override { members.emplace_back(raw_key, value); }
  const protocol::JsonValue* get(std::string_view key) const {
    for (const auto& [k, v] : members) {
      if (k == key) return &v;
    }
    return nullptr;
  }
};

std::string percent_encode(std::string_view text, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (char c : text) {
    const auto b = static_cast<unsigned char>(c);
    out += '%';
    out += digits[b >> 4];
    out += digits[b & 0xF];
  }
  return out;
}

// target_path, origin_form, percent_decode, query_parameter and
// publishes_messages on the request's method and target.
void check_url_helpers(const Request& request) {
  const std::string_view target = request.target;
  const std::string_view path = net::target_path(target);
  FUZZ_CHECK(target.starts_with(path) && path.find('?') == std::string_view::npos);
  if (target.find('?') == std::string_view::npos) FUZZ_CHECK(path == target);

  // Origin form is kept; an absolute form becomes its path and query, the end of the target.
  const std::string origin = net::origin_form(target);
  if (target.starts_with('/') || target.find("://") == std::string_view::npos) FUZZ_CHECK(origin == target);
  if (origin != target) {
    // The path and query that follow the authority, or "/" and the query.
    FUZZ_CHECK(origin.starts_with('/'));
    const std::string_view rest =
        target.ends_with(origin) ? std::string_view(origin) : std::string_view(origin).substr(1);
    FUZZ_CHECK(target.ends_with(rest));
  }

  std::string decoded;
  if (common::percent_decode(target, decoded)) {
    std::size_t escapes = 0;
    for (char c : target) escapes += c == '%';
    FUZZ_CHECK(decoded.size() == target.size() - 2 * escapes);
    std::string again;
    FUZZ_CHECK(common::percent_decode(percent_encode(decoded, target.size() % 2 == 0), again) && again == decoded);
  }

  for (std::string_view name : {"since_seq", "limit", "api_key"}) {
    const std::optional<std::string> value = net::query_parameter(target, name);
    if (!value) continue;
    FUZZ_CHECK(target.find('?') != std::string_view::npos && value->size() <= target.size());
    // The first occurrence is the one read, however it is encoded.
    const std::string built =
        "/t?x=1&" + std::string(name) + "=" + percent_encode(*value, true) + "&" + std::string(name) + "=other";
    FUZZ_CHECK(net::query_parameter(built, name) == value);
  }

  if (net::publishes_messages(request.method, target)) {
    FUZZ_CHECK(request.method == "POST" && path.starts_with("/topics/"));
  }
}

// The method `request` is routed as: HEAD is GET (the HTTP session leaves
// out the body).
std::string_view routed_method(const Request& request) {
  return request.method == "HEAD" ? std::string_view("GET") : request.method;
}

// True for a request that needs no credential: GET /health, an API
// description or a file of the web console (the open routes, each of one
// method).
bool open_route(const Request& request) {
  const std::string_view path = net::target_path(request.target);
  for (const net::RestRoute& route : net::rest_routes()) {
    if (route.open && route.path == path && route.methods == routed_method(request)) return true;
  }
  return false;
}

void check_response(const net::RestResponse& response, const Request& request, const net::RestContext& context) {
  FUZZ_CHECK(response.status >= 100 && response.status <= 599);
  if (response.content_type != "application/json") {  // an API description or a file of the web console
    FUZZ_CHECK((response.content_type == "application/yaml" || response.content_type.starts_with("text/")) &&
               response.status == 200 && open_route(request));
    return;
  }
  Object body;
  FUZZ_CHECK(protocol::scan_object(response.body, body) == protocol::ObjectScan::ok);
  FUZZ_CHECK(response.allow.empty() == (response.status != 405));

  const bool health = net::target_path(request.target) == "/health" && routed_method(request) == "GET";
  std::string_view code;  // the error's code, quotes included
  if (const protocol::JsonValue* error = body.get("error")) {
    FUZZ_CHECK(response.status >= 400 && body.members.size() == 1);
    Object inner;
    FUZZ_CHECK(protocol::scan_object(error->raw, inner) == protocol::ObjectScan::ok);
    FUZZ_CHECK(inner.members.size() == 2);
    FUZZ_CHECK(inner.get("code") && inner.get("code")->type == protocol::JsonType::string);
    FUZZ_CHECK(inner.get("message") && inner.get("message")->type == protocol::JsonType::string);
    code = inner.get("code")->raw;
  } else {
    FUZZ_CHECK(response.status < 400 || (health && response.status == 503));
  }

  const auth::Authenticator& authenticator = context.authenticator;
  if (authenticator.required() && !open_route(request) && !request.key && !request.token) {
    FUZZ_CHECK(response.status == 401 && code == R"("UNAUTHORIZED")");
  }
  // An API key grants everything; so does a server without credentials.
  if (!authenticator.required() || (request.key && authenticator.api_key_accepted(*request.key))) {
    FUZZ_CHECK(response.status != 401 && code != R"("UNAUTHORIZED")" && code != R"("FORBIDDEN")");
  }
  if (code == R"("FORBIDDEN")") FUZZ_CHECK(request.token && authenticator.accepts_tokens());
  if (response.status == 201) {
    FUZZ_CHECK(request.method == "POST");
    // A server that is shutting down still creates topics, but publishes nothing.
    if (net::target_path(request.target) != "/topics") FUZZ_CHECK(!context.counters.shutting_down);
  }
  if (response.status == 200 && routed_method(request) == "GET" &&
      net::target_path(request.target).ends_with("/messages")) {
    const protocol::JsonValue* messages = body.get("messages");
    FUZZ_CHECK(messages && messages->type == protocol::JsonType::array);
    FUZZ_CHECK(protocol::array_elements(messages->raw).size() <= kHistory);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t flags = data[0];
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  // The four ways a server may authenticate, built once: they are immutable.
  static const auto verifier =
      std::make_shared<const auth::JwtVerifier>(auth::JwtVerifier::with_secret("fuzz-secret", {}));
  static const std::vector<std::string> keys = {"secret", "rotated"};
  static const auth::Authenticator authenticators[4] = {
      auth::Authenticator(),
      auth::Authenticator(keys, nullptr),
      auth::Authenticator({}, verifier),
      auth::Authenticator(keys, verifier),
  };
  net::ProtocolFrames frames;
  core::Broker broker(core::BrokerOptions{kHistory, 1, {}, kMaxTopics}, frames);
  std::optional<common::TokenBucket> budget;
  if (flags & 16) budget.emplace(3, common::TokenBucket::Clock::now());
  net::RestContext context{authenticators[(flags & 1) | (flags >> 4 & 2)], std::chrono::steady_clock::now(), {}};
  context.require_uuid = (flags & 2) != 0;
  context.auto_create_topics = (flags & 4) != 0;
  context.counters.shutting_down = (flags & 8) != 0;
  context.publish_budget = budget ? &*budget : nullptr;

  for (std::size_t n = 0; n < kMaxRequests && !input.empty(); ++n) {
    const std::size_t end = input.find("\n\n");
    const Request request = parse(input.substr(0, end));
    input = end == std::string_view::npos ? std::string_view{} : input.substr(end + 2);

    check_url_helpers(request);
    const net::RestResponse response = net::handle_rest(
        broker, context, net::RestRequest{request.method, request.target, request.body, request.key, request.token});
    check_response(response, request, context);
    FUZZ_CHECK(broker.topic_count() <= kMaxTopics);
  }
  return 0;
}
