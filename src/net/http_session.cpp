// HTTP requests, REST adapter and the WebSocket handshake; see
// http_session.h.
#include "net/http_session.h"

#include <algorithm>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <memory>
#include <type_traits>

#include "common/log.h"
#include "net/linger.h"
#include "net/rest.h"
#include "net/rest_shared_topics.h"
#include "net/server_state.h"
#include "net/shard.h"
#include "net/timeouts.h"
#include "net/tls.h"
#include "protocol/http_host.h"
#include "protocol/websocket_handshake.h"

// g++ 12 pairs the coroutine frames' allocation by Asio's
// awaitable_frame_base::operator new with the std::free inside its
// matching operator delete, once it has inlined both into one function,
// and warns of a mismatch that is not there (reported to Asio as
// chriskohlhoff/asio#1391). Which coroutines it inlines depends on the
// build (sanitizers, -O level), so [[gnu::noinline]] alone does not do.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace pubsub::net {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using protocol::ErrorCode;

constexpr std::size_t kMaxRequestBody = 64 * 1024;
constexpr std::size_t kMaxRequestHeader = 16 * 1024;
// Responses to pipelined requests held before writing at the most.
constexpr std::size_t kMaxHeldResponses = 64 * 1024;

// A connection's stream is a beast::tcp_stream, or a tls_stream over one.
template <class Stream>
constexpr bool kIsTls = std::is_same_v<Stream, tls_stream>;

template <class Stream>
beast::tcp_stream& tcp_layer(Stream& stream) {
  return beast::get_lowest_layer(stream);
}

// Answers the upgrade `request` with Beast's handshake (the 101, or Beast's
// refusal of what our checks let through), written within
// kHandshakeTimeout. Returns true once the 101 went out.
template <class Stream>
task<bool> accept_websocket(Stream& stream, const http::request<http::string_body>& request) {
  websocket::stream<Stream&> handshake(stream);
  handshake.set_option(
      websocket::stream_base::decorator([](websocket::response_type& res) { res.set(http::field::server, "pubsub"); }));
  tcp_layer(stream).expires_after(kHandshakeTimeout);
  auto [ec] = co_await handshake.async_accept(request, nothrow);
  tcp_layer(stream).expires_never();
  co_return !ec;
}

// ------------------------------------------------------------------ HTTP session

// Appends `rest` to `out` as an HTTP response: the one serializer of the
// REST answers, so that the responses to pipelined requests leave in one
// write. A listed `cors_origin` (CORS) gets the headers that let a page of
// that origin read it. The answer to a HEAD request (`with_body` false)
// has the headers of the answer to GET, Content-Length included, and no
// body (RFC 9110 9.3.2).
void append_response(std::string& out, const RestResponse& rest, unsigned version, bool keep_alive,
                     std::string_view cors_origin = {}, bool with_body = true) {
  out += version >= 11 ? "HTTP/1.1 " : "HTTP/1.0 ";
  out += std::to_string(rest.status);
  out += ' ';
  const auto reason = http::obsolete_reason(static_cast<http::status>(rest.status));
  out.append(reason.data(), reason.size());
  out += "\r\nServer: pubsub\r\n";
  if (!rest.allow.empty()) {
    out += "Allow: ";
    out += rest.allow;
    out += "\r\n";
  }
  if (!cors_origin.empty()) {
    out += "Access-Control-Allow-Origin: ";
    out += cors_origin;
    out += "\r\nVary: Origin\r\n";
    if (rest.status == 204) {
      out +=
          "Access-Control-Allow-Methods: GET, POST, DELETE\r\n"
          "Access-Control-Allow-Headers: Authorization, X-API-Key, Content-Type\r\n"
          "Access-Control-Max-Age: 600\r\n";
    }
  }
  // A 426 names the protocol to upgrade to (RFC 9110 15.5.22, and RFC 6455
  // 4.2.2 for the version), listed in Connection as Upgrade asks (7.8).
  const bool upgrade_required = rest.status == 426;
  if (upgrade_required) out += "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n";
  std::string_view persistence;  // what the Connection header says of keep-alive, if anything
  if (version >= 11 && !keep_alive) persistence = "close";
  if (version < 11 && keep_alive) persistence = "keep-alive";
  if (upgrade_required || !persistence.empty()) {
    out += "Connection: ";
    if (upgrade_required) out += persistence.empty() ? "Upgrade" : "Upgrade, ";
    out += persistence;
    out += "\r\n";
  }
  if (rest.status == 204) {  // no content, no Content-Length (RFC 9110 8.6)
    out += "\r\n";
    return;
  }
  out += "Content-Type: ";
  out += rest.content_type;
  out += "\r\nContent-Length: ";
  out += std::to_string(rest.body.size());
  out += "\r\n\r\n";
  if (with_body) out += rest.body;
}

// Ends the server's side of the connection: the client reads the end of
// the stream once it has read the responses before it (over TLS, after
// close_notify).
template <class Stream>
task<void> end_output(Stream& stream) {
  if constexpr (kIsTls<Stream>) {
    tcp_layer(stream).expires_after(kFinalFlushTimeout);
    co_await stream.async_shutdown(nothrow);
  }
  beast::error_code ignored;
  tcp_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ignored);
}

// Sends `rest` and closes gently (see linger_close).
template <class Stream>
task<void> answer_and_close(Stream& stream, const RestResponse& rest) {
  std::string response;
  append_response(response, rest, 11, false);
  if constexpr (kIsTls<Stream>) {
    co_await finish_tls(stream, response);
  } else {
    tcp_layer(stream).expires_after(kFinalFlushTimeout);
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(response), nothrow);
    if (!ec) co_await linger_close(tcp_layer(stream));
  }
}

std::optional<std::string_view> header_value(const http::request<http::string_body>& req, std::string_view name) {
  const auto header = req.find(beast::string_view(name.data(), name.size()));
  if (header == req.end()) return std::nullopt;
  return std::string_view(header->value().data(), header->value().size());
}

// The token of the request's `Authorization: Bearer` header, if any.
std::optional<std::string_view> bearer_of(const http::request<http::string_body>& req) {
  const std::optional<std::string_view> authorization = header_value(req, "Authorization");
  return authorization ? auth::bearer_token(*authorization) : std::nullopt;
}

// Checks the upgrade's credentials (sections 7 and 11): the headers, or
// the query parameters browsers can set instead.
auth::Authentication authenticate_upgrade(const ServerState& server, const http::request<http::string_body>& req) {
  const auth::Authenticator& authenticator = server.authenticator;
  if (!authenticator.required()) {
    auth::Authentication open;
    open.accepted = true;
    return open;
  }
  const std::string_view target(req.target().data(), req.target().size());
  std::optional<std::string> query_key;
  std::optional<std::string> query_token;
  auth::PresentedCredentials presented{header_value(req, "X-API-Key"), bearer_of(req)};
  if (!presented.api_key && (query_key = query_parameter(target, "api_key"))) presented.api_key = *query_key;
  if (!presented.token && authenticator.accepts_tokens() && (query_token = query_parameter(target, "token"))) {
    presented.token = *query_token;
  }
  return authenticator.authenticate(presented, auth::unix_now());
}

// True if --allowed-origins lists `origin`, whole.
bool origin_listed(const ServerOptions& options, std::string_view origin) {
  return std::find(options.allowed_origins.begin(), options.allowed_origins.end(), origin) !=
         options.allowed_origins.end();
}

// Returns true unless --allowed-origins lists origins and `req` carries an
// Origin header that is not one of them (clients that are not browsers
// send none).
bool origin_allowed(const ServerOptions& options, const http::request<http::string_body>& req) {
  if (options.allowed_origins.empty()) return true;
  const std::optional<std::string_view> origin = header_value(req, "Origin");
  return !origin || origin_listed(options, *origin);
}

// The Origin of `req` if --allowed-origins lists it: its REST answers
// carry CORS headers for it. Empty otherwise (no CORS headers).
std::string_view cors_origin(const ServerOptions& options, const http::request<http::string_body>& req) {
  const std::optional<std::string_view> origin = header_value(req, "Origin");
  return origin && origin_listed(options, *origin) ? *origin : std::string_view{};
}

// True for a CORS preflight: OPTIONS with Origin and
// Access-Control-Request-Method, while --allowed-origins is set. It is
// answered 204 without credentials (browsers send none with it); the CORS
// headers come only for a listed origin.
bool is_preflight(const ServerOptions& options, const http::request<http::string_body>& req) {
  return !options.allowed_origins.empty() && req.method() == http::verb::options &&
         req.find(http::field::origin) != req.end() &&
         req.find(http::field::access_control_request_method) != req.end();
}

// Returns true if `req` asks for the WebSocket upgrade: a GET in HTTP/1.1
// with `Connection: upgrade` and websocket in an Upgrade header (any of
// them: Beast's is_upgrade reads the first one only).
bool asks_for_websocket(const http::request<http::string_body>& req) {
  if (req.version() < 11 || req.method() != http::verb::get) return false;
  if (!http::token_list{req[http::field::connection]}.exists("upgrade")) return false;
  auto [first, last] = req.equal_range(http::field::upgrade);
  return std::any_of(first, last,
                     [](const auto& field) { return http::token_list{field.value()}.exists("websocket"); });
}

// Returns what RFC 9112 section 3.2 refuses in the Host header of `req`,
// as the 400's message, or an empty view: any request with more than one
// Host field or with an invalid value, and an HTTP/1.1 request without
// one. An upgrade request is HTTP/1.1 (asks_for_websocket), so this also
// holds its Host to what RFC 6455 section 4.2.1 asks.
std::string_view host_defect(const http::request<http::string_body>& req) {
  const std::size_t hosts = req.count(http::field::host);
  if (hosts == 0) return req.version() >= 11 ? "Host is required in HTTP/1.1" : "";
  if (hosts > 1) return "Host must be sent once";
  const auto host = req[http::field::host];
  if (!protocol::is_host_field_value(std::string_view(host.data(), host.size()))) {
    return "Host must be a host name or address, with an optional port";
  }
  return {};
}

// Returns what RFC 6455 section 4.2.1 refuses in the upgrade request `req`
// beyond its Host (host_defect), as the 400's message, or an empty view:
// websocket alone in one Upgrade header, one Sec-WebSocket-Key that is the
// base64 of 16 bytes, and one Sec-WebSocket-Version (whose value
// speaks_version_13 checks). Checked here rather than left to Beast's
// accept, so that every refusal has the JSON error body.
std::string_view handshake_defect(const http::request<http::string_body>& req) {
  if (req.count(http::field::upgrade) != 1) return "Upgrade must be sent once";
  const http::token_list upgrade{req[http::field::upgrade]};
  if (std::distance(upgrade.begin(), upgrade.end()) != 1) return "Upgrade must be websocket alone";
  const std::size_t keys = req.count(http::field::sec_websocket_key);
  if (keys == 0) return "Sec-WebSocket-Key is required";
  if (keys > 1) return "Sec-WebSocket-Key must be sent once";
  const auto key = req[http::field::sec_websocket_key];
  if (!protocol::is_websocket_key(std::string_view(key.data(), key.size()))) {
    return "Sec-WebSocket-Key must be the base64 of 16 bytes";
  }
  const std::size_t versions = req.count(http::field::sec_websocket_version);
  if (versions == 0) return "Sec-WebSocket-Version is required";
  if (versions > 1) return "Sec-WebSocket-Version must be sent once";
  return {};
}

// True if the upgrade request `req` asks for version 13 of the WebSocket
// protocol, the one RFC 6455 defines; any other is refused with 426 and
// the version the server speaks (RFC 6455 section 4.2.2).
bool speaks_version_13(const http::request<http::string_body>& req) {
  return req[http::field::sec_websocket_version] == "13";
}

// Returns the answer that refuses the upgrade request `req`, or a response
// with status 200 if the handshake may go on; `authentication` is then
// what its credentials grant.
RestResponse upgrade_refusal(const ServerState& server, const http::request<http::string_body>& req,
                             auth::Authentication& authentication) {
  const std::string_view target(req.target().data(), req.target().size());
  ServerCounts& counts = server.counters.counts;
  if (target_path(target) != "/ws") {
    counts.count_rejected(RejectReason::bad_request);
    return rest_error(ErrorCode::not_found, "WebSocket upgrades are served at /ws only");
  }
  authentication = authenticate_upgrade(server, req);
  if (!authentication.accepted) {
    counts.count_rejected(RejectReason::unauthorized);
    return rest_error(ErrorCode::unauthorized, authentication.refusal);
  }
  if (!origin_allowed(server.options, req)) {
    counts.count_rejected(RejectReason::forbidden_origin);
    return rest_error(ErrorCode::forbidden, "this origin may not open /ws (--allowed-origins)");
  }
  if (server.counters.shutting_down.load()) return rest_error(ErrorCode::unavailable, "server is shutting down");
  if (const std::string_view defect = handshake_defect(req); !defect.empty()) {
    counts.count_rejected(RejectReason::bad_request);
    return rest_error(ErrorCode::bad_request, defect);
  }
  if (!speaks_version_13(req)) {
    counts.count_rejected(RejectReason::bad_request);
    return rest_error(ErrorCode::bad_request, "Sec-WebSocket-Version must be 13, the only version served", 426);
  }
  return {};
}

// How long a client may take to send a request (or stay idle between
// keep-alive requests): 30 s, or --idle-timeout if shorter.
std::chrono::steady_clock::duration request_timeout(const ServerOptions& options) {
  if (options.idle_timeout.count() > 0 && options.idle_timeout < kMaxRequestTimeout) return options.idle_timeout;
  return kMaxRequestTimeout;
}

// The largest body `request` may have: --max-message-bytes for publishing
// messages (section 10), 64 KiB for the other requests (section 6).
std::size_t request_body_limit(const ServerOptions& options, const http::request<http::string_body>& request) {
  const std::string_view method(request.method_string().data(), request.method_string().size());
  const std::string_view target(request.target().data(), request.target().size());
  return publishes_messages(method, target) ? options.max_message_bytes : kMaxRequestBody;
}

RestResponse body_too_large(std::size_t limit) {
  if (limit == kMaxRequestBody) return rest_error(ErrorCode::payload_too_large, "request body is larger than 64 KiB");
  return rest_error(ErrorCode::payload_too_large,
                    "request body is larger than --max-message-bytes (" + std::to_string(limit) + " bytes)");
}

// Feeds the bytes `buffer` holds to `parser`, consuming what it takes, up
// to the end of the header (or of the message once the parser is eager).
// Returns need_more when the buffer ends first, or the parser's error.
beast::error_code parse_buffered(http::request_parser<http::string_body>& parser, beast::flat_buffer& buffer) {
  beast::error_code ec;
  while (!parser.is_header_done() || (parser.eager() && !parser.is_done())) {
    if (buffer.size() == 0) return http::error::need_more;
    const std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == http::error::need_more && used > 0) ec = {};
    if (ec) return ec;
  }
  return ec;
}

// Returns the answer that refuses how the request whose header `parser`
// has read frames its body, or nullopt (RFC 9112 section 6): with both
// Transfer-Encoding and Content-Length (a sign of request smuggling), or a
// last transfer coding other than chunked (the body's length unknown), a
// 400; with a coding besides chunked, which the server does not decode, a
// 501. The connection then closes, so that no byte of that body is read as
// a request.
std::optional<RestResponse> framing_refusal(const http::request_parser<http::string_body>& parser) {
  const auto& req = parser.get();
  auto [first, last] = req.equal_range(http::field::transfer_encoding);
  if (first == last) return std::nullopt;
  if (req.count(http::field::content_length) > 0) {
    return rest_error(ErrorCode::bad_request, "Transfer-Encoding and Content-Length must not both be sent");
  }
  if (!parser.chunked()) return rest_error(ErrorCode::bad_request, "Transfer-Encoding must end with chunked");
  for (; first != last; ++first) {
    for (const auto& coding : http::token_list{first->value()}) {
      if (!beast::iequals(coding, "chunked")) {
        return rest_error(ErrorCode::bad_request, "Transfer-Encoding: only chunked is implemented", 501);
      }
    }
  }
  return std::nullopt;
}

// Returns the answer that refuses the request whose header `parser` has
// read, before its body is read, or nullopt: its Host (host_defect), then
// the framing of its body (framing_refusal). The connection then closes.
std::optional<RestResponse> header_refusal(ServerState& server, const http::request_parser<http::string_body>& parser) {
  if (const std::string_view defect = host_defect(parser.get()); !defect.empty()) {
    if (asks_for_websocket(parser.get())) server.counters.counts.count_rejected(RejectReason::bad_request);
    return rest_error(ErrorCode::bad_request, defect);
  }
  return framing_refusal(parser);
}

// True if `req`, whose body has not all arrived, waits for a 100 (Continue)
// before sending it: an HTTP/1.1 request with "Expect: 100-continue"
// (RFC 9110 10.1.1; HTTP/1.0 ignores it). Its header has passed the body
// limit, so the server will read the body; a client such as curl would
// otherwise wait a second before sending it.
bool expects_continue(const http::request<http::string_body>& req) {
  return req.version() >= 11 && http::token_list{req[http::field::expect]}.exists("100-continue");
}

// Writes the responses held in `output` and empties it; false if the write
// failed.
template <class Stream>
task<bool> flush(Stream& stream, std::string& output, std::chrono::steady_clock::duration timeout) {
  if (output.empty()) co_return true;
  tcp_layer(stream).expires_after(timeout);
  auto [ec, n] = co_await asio::async_write(stream, asio::buffer(output), nothrow);
  output.clear();
  co_return !ec;
}

// The REST request `request` carries, pointing into it.
RestRequest rest_request_of(const http::request<http::string_body>& request) {
  const std::string_view target(request.target().data(), request.target().size());
  const std::string_view method(request.method_string().data(), request.method_string().size());
  return {method, target, request.body(), header_value(request, "X-API-Key"), bearer_of(request)};
}

// What the REST API reads of the server and the connection, now.
RestContext rest_context_of(ServerState& server, std::size_t shard, std::optional<common::TokenBucket>& publish_budget,
                            auth::TokenMemory& token_memory) {
  RestContext context = server.rest_context(shard, publish_budget ? &*publish_budget : nullptr);
  context.token_memory = &token_memory;
  return context;
}

// Appends `rest`, the response to `request`, to `output`; returns whether
// it keeps the connection open: if the client asks to and the server is
// not shutting down.
bool send_rest(const ServerState& server, const http::request<http::string_body>& request, const RestResponse& rest,
               std::string& output) {
  const std::string_view target(request.target().data(), request.target().size());
  const std::string_view method(request.method_string().data(), request.method_string().size());
  const bool keep_alive = request.keep_alive() && !server.counters.shutting_down.load();
  log::debug("http request", {{"method", method}, {"target", target_path(target)}, {"status", rest.status}});
  append_response(output, rest, request.version(), keep_alive, cors_origin(server.options, request),
                  request.method() != http::verb::head);
  return keep_alive;
}

// Appends the response to the REST request `request` to `output`, answered
// from the broker (--engine memory); returns as send_rest does.
bool answer_rest(ServerState& server, std::size_t shard, const http::request<http::string_body>& request,
                 std::string& output, std::optional<common::TokenBucket>& publish_budget,
                 auth::TokenMemory& token_memory) {
  const RestResponse rest =
      is_preflight(server.options, request)
          ? RestResponse{204, {}, {}}
          : handle_rest(server.broker, rest_context_of(server, shard, publish_budget, token_memory),
                        rest_request_of(request));
  return send_rest(server, request, rest, output);
}

// Makes `call`'s store call; completes with its answer, posted to the
// shard's loop (the store calls back from within its own handlers).
auto store_answer(asio::io_context& ioc, SharedTopicsRequest& call) {
  return asio::async_initiate<decltype(asio::deferred), void(RestResponse)>(
      [&ioc, &call](auto handler) {
        auto waiting = std::make_shared<decltype(handler)>(std::move(handler));
        call.start([&ioc, waiting](RestResponse answer) {
          asio::post(ioc, asio::append(std::move(*waiting), std::move(answer)));
        });
      },
      asio::deferred);
}

// Appends the response to the REST request `request` to `output`, answered
// from the topics shared through Valkey/Redis (--engine redis,
// rest_shared_topics.h): at once, or once the store has answered, within
// its command timeout. Returns as send_rest does.
task<bool> answer_shared_rest(ServerState& server, std::size_t shard, const http::request<http::string_body>& request,
                              std::string& output, std::optional<common::TokenBucket>& publish_budget,
                              auth::TokenMemory& token_memory) {
  if (is_preflight(server.options, request)) co_return send_rest(server, request, RestResponse{204, {}, {}}, output);
  ShardContext& context = *server.shards[shard];
  SharedTopicsRequest call(*context.store, server.broker, rest_context_of(server, shard, publish_budget, token_memory),
                           rest_request_of(request));
  if (!call.answer()) call.answer() = co_await store_answer(context.ioc, call);
  co_return send_rest(server, request, *call.answer(), output);
}

// The WebSocket upgrade a connection asked for.
struct Upgrade {
  http::request<http::string_body> request;
  std::string early_input;                   // bytes the client sent after the request, without waiting for the 101
  std::unique_ptr<auth::Identity> identity;  // the token's holder; null: everything granted
};

// Serves HTTP requests on one connection until it closes (nullopt) or asks,
// properly, for a WebSocket upgrade. Returning ends this coroutine, so that
// its frame (parser, buffers) is not held for the WebSocket's lifetime.
// Not inlined: g++ 12 inlines the coroutine's allocation into its caller
// and then warns (-Wmismatched-new-delete) about Asio's frame allocator.
template <class Stream>
[[gnu::noinline]] task<std::optional<Upgrade>> http_session(ServerState& server, std::size_t shard, Stream& stream) {
  beast::flat_buffer buffer;
  // Responses not yet written: those of pipelined requests wait until the
  // requests already received are answered, then leave in one write.
  std::string output;
  const auto timeout = request_timeout(server.options);
  // --max-publish-rate holds for HTTP publishes per connection too.
  std::optional<common::TokenBucket> publish_budget;
  auth::TokenMemory token_memory;  // the last token accepted on this connection
  if (server.options.max_publish_rate > 0) {
    publish_budget.emplace(server.options.max_publish_rate, common::TokenBucket::Clock::now());
  }
  for (;;) {
    // Checked before every read: the shutdown cancels the reads under way
    // when it starts (idle_http), not one that starts after it, such as the
    // next read of a connection whose response was being written then.
    if (server.counters.shutting_down.load()) {
      co_await flush(stream, output, timeout);
      co_await end_output(stream);
      co_return std::nullopt;
    }
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxRequestHeader);
    parser.body_limit(std::max(kMaxRequestBody, server.options.max_message_bytes));
    // A pipelined request already received is parsed without a read.
    beast::error_code ec = parse_buffered(parser, buffer);
    if (ec == http::error::need_more) {
      tcp_layer(stream).expires_after(timeout);
      ShardContext& context = *server.shards[shard];
      context.idle_http.insert(&tcp_layer(stream).socket());
      std::tie(ec, std::ignore) = co_await http::async_read_header(stream, buffer, parser, nothrow);
      context.idle_http.erase(&tcp_layer(stream).socket());
    }
    if (!ec) {
      // An origin-form target (the usual one) is left in place, uncopied.
      if (const auto target = parser.get().target(); !target.starts_with('/')) {
        parser.get().target(origin_form(std::string_view(target.data(), target.size())));
      }
      if (std::optional<RestResponse> refusal = header_refusal(server, parser)) {
        if (!co_await flush(stream, output, timeout)) co_return std::nullopt;
        co_await answer_and_close(stream, *refusal);
        co_return std::nullopt;
      }
      const std::size_t body_limit = request_body_limit(server.options, parser.get());
      if (parser.content_length().value_or(0) > body_limit) {
        ec = http::error::body_limit;
      } else if (!parser.is_done()) {
        parser.body_limit(body_limit);  // a chunked body is counted as it comes
        parser.eager(true);
        ec = parse_buffered(parser, buffer);
        if (ec == http::error::need_more && expects_continue(parser.get())) {
          // After the answers to the requests before it (RFC 9110 10.1.1).
          output += "HTTP/1.1 100 Continue\r\n\r\n";
          if (!co_await flush(stream, output, timeout)) co_return std::nullopt;
        }
        if (ec == http::error::need_more) {
          tcp_layer(stream).expires_after(timeout);
          std::tie(ec, std::ignore) = co_await http::async_read(stream, buffer, parser, nothrow);
        }
      }
    }
    // Whatever comes next, the answers to the requests before go first.
    if (ec && !co_await flush(stream, output, timeout)) co_return std::nullopt;
    if (ec == http::error::body_limit) {
      // A length past both limits stops the parser in the header, before
      // body_limit was chosen: the request line says which limit it broke.
      co_await answer_and_close(stream, body_too_large(request_body_limit(server.options, parser.get())));
      co_return std::nullopt;
    }
    if (ec == http::error::header_limit) {
      // A request line that does not end within the limit: its target is
      // what is too long (RFC 9110 15.5.15).
      const std::string_view received(static_cast<const char*>(buffer.data().data()), buffer.size());
      // Named, not a temporary of a conditional: g++ 12 destroys such a
      // temporary twice when the full expression holds a co_await.
      const RestResponse refusal =
          received.find('\n') == std::string_view::npos
              ? rest_error(ErrorCode::bad_request, "the request target is longer than 16 KiB", 414)
              : rest_error(ErrorCode::bad_request, "request header fields are too large", 431);
      co_await answer_and_close(stream, refusal);
      co_return std::nullopt;
    }
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
        ec == ssl::error::stream_truncated) {
      co_return std::nullopt;
    }
    if (ec == http::error::bad_version) {  // HTTP/2's preface among them (RFC 9110 15.6.6)
      co_await answer_and_close(stream, rest_error(ErrorCode::bad_request, "HTTP/1.1 and HTTP/1.0 are served", 505));
      co_return std::nullopt;
    }
    if (ec) {
      co_await answer_and_close(stream, rest_error(ErrorCode::bad_request, "malformed HTTP request"));
      co_return std::nullopt;
    }
    auto request = parser.release();
    if (asks_for_websocket(request)) {
      if (!co_await flush(stream, output, timeout)) co_return std::nullopt;
      auth::Authentication authentication;
      const RestResponse refusal = upgrade_refusal(server, request, authentication);
      if (refusal.status != 200) {
        co_await answer_and_close(stream, refusal);
        co_return std::nullopt;
      }
      auto early = buffer.cdata();
      std::string early_input(static_cast<const char*>(early.data()), early.size());
      co_return Upgrade{std::move(request), std::move(early_input), std::move(authentication.identity)};
    }

    bool keep_alive = false;
    if (server.shards[shard]->store) {
      keep_alive = co_await answer_shared_rest(server, shard, request, output, publish_budget, token_memory);
    } else {
      keep_alive = answer_rest(server, shard, request, output, publish_budget, token_memory);
    }
    // More requests already received: answer them before writing (a
    // pipelining client gets its responses in one write, not one each).
    if (keep_alive && buffer.size() > 0 && output.size() < kMaxHeldResponses) continue;
    if (!co_await flush(stream, output, timeout) || !keep_alive) {
      co_await end_output(stream);
      co_return std::nullopt;
    }
  }
}

// Serves a TLS connection: the handshake, then HTTP as over plain TCP; an
// upgraded connection keeps its TLS stream.
// Not inlined, as http_session.
[[gnu::noinline]] task<std::optional<WebSocketStart>> serve_https(ServerState& server, std::size_t shard,
                                                                  tcp::socket socket) {
  auto channel = std::make_shared<TlsChannel>(server.tls->current(), std::move(socket));
  if (!co_await tls_handshake(*channel)) co_return std::nullopt;
  std::optional<Upgrade> upgrade = co_await http_session(server, shard, channel->stream);
  if (!upgrade || !co_await accept_websocket(channel->stream, upgrade->request)) co_return std::nullopt;
  co_return WebSocketStart{-1, tcp::v4(), std::move(upgrade->early_input), std::move(upgrade->identity),
                           std::move(channel)};
}

// Answers a connection past --max-connections with 503 and closes it.
template <class Stream>
task<void> reject(Stream& stream) {
  beast::flat_buffer buffer;
  http::request_parser<http::empty_body> parser;
  parser.header_limit(kMaxRequestHeader);
  tcp_layer(stream).expires_after(kHandshakeTimeout);
  co_await http::async_read_header(stream, buffer, parser, nothrow);
  co_await answer_and_close(stream, rest_error(ErrorCode::unavailable, "too many connections"));
}

}  // namespace

task<std::optional<WebSocketStart>> serve_http(ServerState& server, std::size_t shard, shard_socket socket) {
  if (server.tls) co_return co_await serve_https(server, shard, tcp::socket(std::move(socket)));
  beast::tcp_stream stream(tcp::socket(std::move(socket)));
  std::optional<Upgrade> upgrade = co_await http_session(server, shard, stream);
  if (!upgrade || !co_await accept_websocket(stream, upgrade->request)) co_return std::nullopt;
  tcp::socket upgraded = stream.release_socket();
  beast::error_code ec;
  const tcp protocol = upgraded.local_endpoint(ec).protocol();
  if (ec) co_return std::nullopt;
  const int descriptor = upgraded.release(ec);
  if (ec) co_return std::nullopt;
  co_return WebSocketStart{descriptor, protocol, std::move(upgrade->early_input), std::move(upgrade->identity),
                           nullptr};
}

task<void> reject_session(const ServerState& server, tcp::socket socket) {
  if (server.tls) {
    TlsChannel channel(server.tls->current(), std::move(socket));
    if (co_await tls_handshake(channel)) co_await reject(channel.stream);
  } else {
    beast::tcp_stream stream(std::move(socket));
    co_await reject(stream);
  }
}

}  // namespace pubsub::net
