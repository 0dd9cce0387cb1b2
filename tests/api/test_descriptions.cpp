// Checks that the API descriptions the server serves describe what its
// code does. The lists come from the code itself: the router's route
// table (net::rest_routes()), the codec's message names
// (protocol/message_types.h) and the error codes (protocol/error_code.h).
// The descriptions are read as compiled in (net::openapi_yaml(),
// net::asyncapi_yaml()); e2e_api_descriptions checks that the server
// serves them and that they are docs/openapi.yaml and docs/asyncapi.yaml.
#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "net/rest.h"
#include "protocol/error_code.h"
#include "protocol/message_types.h"
#include "support/yaml_outline.h"

using namespace pubsub;
using testing::read_yaml_outline;
using testing::yaml_match;
using testing::yaml_reference_path;
using testing::yaml_value;
using testing::YamlNode;
using Strings = std::set<std::string>;

namespace {

const std::vector<YamlNode>& openapi() {
  static const std::vector<YamlNode> nodes = read_yaml_outline(net::openapi_yaml());
  return nodes;
}

const std::vector<YamlNode>& asyncapi() {
  static const std::vector<YamlNode> nodes = read_yaml_outline(net::asyncapi_yaml());
  return nodes;
}

// The methods of a route, in lower case as OpenAPI names operations.
std::vector<std::string> methods_of(const net::RestRoute& route) {
  std::vector<std::string> methods;
  std::string_view list = route.methods;
  while (!list.empty()) {
    const std::size_t comma = list.find(", ");
    std::string method(list.substr(0, comma));
    std::transform(method.begin(), method.end(), method.begin(), [](unsigned char c) { return std::tolower(c); });
    methods.push_back(std::move(method));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 2);
  }
  return methods;
}

// The last keys of the nodes matching `pattern`.
Strings keys(const std::vector<YamlNode>& nodes, const std::vector<std::string>& pattern) {
  Strings out;
  for (const YamlNode* node : yaml_match(nodes, pattern)) out.insert(node->path.back());
  return out;
}

Strings values(const std::vector<YamlNode>& nodes, const std::vector<std::string>& pattern) {
  Strings out;
  for (const YamlNode* node : yaml_match(nodes, pattern)) out.insert(node->value);
  return out;
}

std::vector<std::string> joined(std::vector<std::string> path, const std::vector<std::string>& more) {
  path.insert(path.end(), more.begin(), more.end());
  return path;
}

// The payload schema's path of a message named by a reference to the
// channel's messages ("#/channels/ws/messages/ack"), following $refs.
std::vector<std::string> payload_schema(const std::string& channel_message) {
  const std::vector<YamlNode>& doc = asyncapi();
  const std::string message = yaml_value(doc, joined(yaml_reference_path(channel_message), {"$ref"}));
  INFO(channel_message);
  REQUIRE(!message.empty());
  const std::string schema = yaml_value(doc, joined(yaml_reference_path(message), {"payload", "$ref"}));
  INFO(message);
  REQUIRE(!schema.empty());
  return yaml_reference_path(schema);
}

// The payload schemas of the messages of the operations with `action`:
// those of their `messages`, or of their replies' (`reply`).
std::vector<std::vector<std::string>> operation_payloads(std::string_view action, bool reply) {
  const std::vector<YamlNode>& doc = asyncapi();
  std::vector<std::vector<std::string>> out;
  for (const std::string& operation : keys(doc, {"operations", "*"})) {
    if (yaml_value(doc, {"operations", operation, "action"}) != action) continue;
    const std::vector<std::string> messages =
        reply ? std::vector<std::string>{"operations", operation, "reply", "messages", "*", "$ref"}
              : std::vector<std::string>{"operations", operation, "messages", "*", "$ref"};
    for (const YamlNode* ref : yaml_match(doc, messages)) out.push_back(payload_schema(ref->value));
  }
  return out;
}

// The `const` of a payload schema's property.
std::string constant(const std::vector<std::string>& schema, const std::string& property) {
  return yaml_value(asyncapi(), joined(schema, {"properties", property, "const"}));
}

Strings all_error_codes() {
  Strings codes;
  for (std::size_t i = 0; i < protocol::kErrorCodeCount; ++i) {
    codes.emplace(protocol::to_string(static_cast<protocol::ErrorCode>(i)));
  }
  return codes;
}

template <typename Range>
Strings as_strings(const Range& range) {
  Strings out;
  for (std::string_view s : range) out.emplace(s);
  return out;
}

}  // namespace

// ------------------------------------------------------------------ OpenAPI

TEST_CASE("openapi.yaml has every route of the router, with each of its methods", "[api][openapi]") {
  const Strings paths = keys(openapi(), {"paths", "*"});
  Strings routes;
  for (const net::RestRoute& route : net::rest_routes()) {
    CAPTURE(route.path);
    routes.emplace(route.path);
    CHECK(paths.contains(std::string(route.path)));
    const Strings operations = keys(openapi(), {"paths", std::string(route.path), "*"});
    for (const std::string& method : methods_of(route)) {
      CAPTURE(method);
      CHECK(operations.contains(method));
      CHECK(!yaml_value(openapi(), {"paths", std::string(route.path), method, "operationId"}).empty());
    }
  }
  // And nothing the router does not serve: a path's operations are its
  // methods, or the CORS preflight (answered for every path).
  CHECK(paths == routes);
  for (const net::RestRoute& route : net::rest_routes()) {
    const std::vector<std::string> methods = methods_of(route);
    for (const std::string& key : keys(openapi(), {"paths", std::string(route.path), "*"})) {
      CAPTURE(route.path, key);
      const bool method = key != "parameters" && key != "summary" && key != "description";
      if (method) CHECK((key == "options" || std::find(methods.begin(), methods.end(), key) != methods.end()));
    }
  }
}

TEST_CASE("openapi.yaml needs no credentials exactly for the open routes", "[api][openapi]") {
  for (const net::RestRoute& route : net::rest_routes()) {
    for (const std::string& method : methods_of(route)) {
      CAPTURE(route.path, method);
      const std::string security = yaml_value(openapi(), {"paths", std::string(route.path), method, "security"});
      CHECK((security == "[]") == route.open);
    }
  }
  // The others take the schemes of the server: the API key or a token.
  CHECK(keys(openapi(), {"security", "*", "*"}) == Strings{"apiKey", "bearer"});
  CHECK(yaml_value(openapi(), {"components", "securitySchemes", "apiKey", "name"}) == "X-API-Key");
  CHECK(yaml_value(openapi(), {"components", "securitySchemes", "bearer", "scheme"}) == "bearer");
}

TEST_CASE("openapi.yaml lists every error code", "[api][openapi]") {
  CHECK(values(openapi(), {"components", "schemas", "ErrorCode", "enum", "*"}) == all_error_codes());
}

TEST_CASE("the descriptions carry the server's version", "[api]") {
  CHECK(yaml_value(openapi(), {"info", "version"}) == PUBSUB_VERSION);
  CHECK(yaml_value(asyncapi(), {"info", "version"}) == PUBSUB_VERSION);
  CHECK(yaml_value(openapi(), {"openapi"}).starts_with("3.1."));
  CHECK(yaml_value(asyncapi(), {"asyncapi"}).starts_with("3.0."));
}

// ------------------------------------------------------------------ AsyncAPI

TEST_CASE("asyncapi.yaml describes the one channel, /ws", "[api][asyncapi]") {
  CHECK(values(asyncapi(), {"channels", "*", "address"}) == Strings{"/ws"});
  const auto routes = net::rest_routes();
  CHECK(std::any_of(routes.begin(), routes.end(), [](const net::RestRoute& r) { return r.path == "/ws"; }));
}

TEST_CASE("asyncapi.yaml receives every request type the parser accepts", "[api][asyncapi]") {
  Strings received;
  for (const auto& schema : operation_payloads("receive", false)) received.insert(constant(schema, "type"));
  CHECK(received == as_strings(protocol::kRequestTypes));
}

TEST_CASE("asyncapi.yaml sends every frame type the server builds", "[api][asyncapi]") {
  auto sent = operation_payloads("send", false);
  const auto replies = operation_payloads("receive", true);
  sent.insert(sent.end(), replies.begin(), replies.end());
  Strings types;
  Strings infos;
  for (const auto& schema : sent) {
    types.insert(constant(schema, "type"));
    if (constant(schema, "type") == protocol::frame_type::info) infos.insert(constant(schema, "msg"));
  }
  CHECK(types == as_strings(protocol::kServerFrameTypes));
  CHECK(infos == as_strings(protocol::kInfoMessages));
}

TEST_CASE("asyncapi.yaml lists every error code, and the ones that end a connection", "[api][asyncapi]") {
  CHECK(values(asyncapi(), {"components", "schemas", "ErrorCode", "enum", "*"}) == all_error_codes());
  Strings ending;
  for (const auto& schema : operation_payloads("send", false)) {
    const std::string code =
        yaml_value(asyncapi(), joined(schema, {"properties", "error", "properties", "code", "const"}));
    if (!code.empty()) ending.insert(code);
  }
  CHECK(ending == Strings{std::string(protocol::to_string(protocol::ErrorCode::slow_consumer)),
                          std::string(protocol::to_string(protocol::ErrorCode::token_expired))});
}

TEST_CASE("both descriptions take the same credentials on the upgrade", "[api]") {
  const std::vector<std::string> ws_security{"paths", "/ws", "get", "security", "*", "*"};
  CHECK(keys(openapi(), ws_security) == keys(asyncapi(), {"components", "securitySchemes", "*"}));
  for (const std::string& scheme : keys(asyncapi(), {"components", "securitySchemes", "*"})) {
    CAPTURE(scheme);
    CHECK(yaml_value(asyncapi(), {"components", "securitySchemes", scheme, "name"}) ==
          yaml_value(openapi(), {"components", "securitySchemes", scheme, "name"}));
  }
}

// ------------------------------------------------------------------ the reader

TEST_CASE("the YAML outline reader reads the subset the descriptions use", "[api][yaml]") {
  const auto nodes = read_yaml_outline(
      "a:\n"
      "  b: 'x: y' # comment\n"
      "  c: |\n"
      "    text: not a key\n"
      "\n"
      "    more\n"
      "  list:\n"
      "    - one\n"
      "    - k: v\n"
      "      l: \"w\"\n"
      "  same:\n"
      "  - s\n"
      "  '200':\n"
      "    $ref: '#/components/x~1y'\n"
      "d: [p, q]\n");
  CHECK(yaml_value(nodes, {"a", "b"}) == "x: y");
  CHECK(yaml_value(nodes, {"a", "c"}) == "|");
  CHECK(yaml_value(nodes, {"a", "list", "0"}) == "one");
  CHECK(yaml_value(nodes, {"a", "list", "1", "k"}) == "v");
  CHECK(yaml_value(nodes, {"a", "list", "1", "l"}) == "w");
  CHECK(yaml_value(nodes, {"a", "same", "0"}) == "s");
  CHECK(yaml_value(nodes, {"a", "200", "$ref"}) == "#/components/x~1y");
  CHECK(yaml_reference_path("#/components/x~1y") == std::vector<std::string>{"components", "x/y"});
  CHECK(yaml_value(nodes, {"d"}) == "[p, q]");
  CHECK(keys(nodes, {"a", "*"}) == Strings{"b", "c", "list", "same", "200"});
  CHECK_THROWS(read_yaml_outline("a: b\n  continued plain scalar\n"));
}
