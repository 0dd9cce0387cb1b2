// REST over Beast's HTTP/1.1 (the one unit with Beast); see rest_client.h.
#include "cli/rest_client.h"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <limits>

#include "cli/exit_status.h"
#include "cli/transport.h"
#include "protocol/json_scan.h"

namespace pubsub::cli {

namespace beast = boost::beast;
namespace http = beast::http;

struct RestClient::Connection {
  std::shared_ptr<Transport> transport;
  beast::flat_buffer buffer;
  bool used = false;  // has carried a request: the server may have closed it since
};

namespace {

// One request and its answer, kept apart from the objects that started
// the operations on them.
struct Exchange {
  http::request<http::string_body> request;
  http::response_parser<http::string_body> parser;
  bool written = false;
  bool read = false;
  boost::system::error_code error;
};

http::request<http::string_body> build_request(const ConnectionSettings& settings, std::string_view method,
                                               std::string_view path, std::string_view body) {
  http::request<http::string_body> request;
  request.method_string(method);
  request.target(settings.url.rest_target(path));
  request.version(11);
  request.set(http::field::host, settings.url.host_header());
  request.set(http::field::user_agent, "pubsub/" PUBSUB_VERSION);
  request.set(http::field::accept, "application/json");
  for (const auto& [name, value] : credential_headers(settings)) request.set(name, value);
  if (!body.empty()) {
    request.set(http::field::content_type, "application/json");
    request.body() = std::string(body);
  }
  request.prepare_payload();
  return request;
}

}  // namespace

RestClient::RestClient(EventLoop& loop, ConnectionSettings settings) : loop_(loop), settings_(std::move(settings)) {}

RestClient::~RestClient() {
  if (connection_) connection_->transport->close();
}

HttpAnswer RestClient::request(std::string_view method, std::string_view path, std::string_view body) {
  for (;;) {
    if (!connection_) {
      auto fresh = std::make_shared<Connection>();
      fresh->transport = Transport::open(loop_, settings_, deadline_after(settings_.timeout));
      connection_ = std::move(fresh);
    }
    auto connection = connection_;
    const bool reused = connection->used;
    connection->used = true;
    auto exchange = std::make_shared<Exchange>();
    exchange->request = build_request(settings_, method, path, body);
    exchange->parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    Transport& transport = *connection->transport;

    http::async_write(transport, exchange->request,
                      [connection, exchange](const boost::system::error_code& ec, std::size_t) {
                        exchange->error = ec;
                        exchange->written = true;
                      });
    transport.await(loop_, exchange->written, deadline_after(settings_.timeout), settings_.timeout);
    if (!exchange->error) {
      http::async_read(transport, connection->buffer, exchange->parser,
                       [connection, exchange](const boost::system::error_code& ec, std::size_t) {
                         exchange->error = ec;
                         exchange->read = true;
                       });
      transport.await(loop_, exchange->read, deadline_after(settings_.timeout), settings_.timeout);
    }
    if (!exchange->error) {
      auto& response = exchange->parser.get();
      if (!response.keep_alive()) {
        transport.close();
        connection_.reset();
      }
      return HttpAnswer{response.result_int(), std::move(response.body())};
    }
    transport.close();
    connection_.reset();
    // A kept-alive connection the server closed while idle: nothing of the
    // request was answered, so it is sent again on a new one.
    if (!reused || exchange->parser.got_some()) {
      throw ConnectionFailure("connection to " + transport.peer() + " lost: " + exchange->error.message());
    }
  }
}

std::string request_or_refuse(RestClient& client, std::string_view method, std::string_view path,
                              std::string_view body) {
  HttpAnswer answer = client.request(method, path, body);
  if (status_for_http(answer.status) != ExitStatus::success) throw refusal_from_http(answer.status, answer.body);
  protocol::JsonValue scanned;
  if (!protocol::scan_json(answer.body, scanned)) {
    throw ConnectionFailure("the answer to " + std::string(method) + " " + std::string(path) + " is not JSON: is " +
                            client.url() + " a pubsub server?");
  }
  return std::move(answer.body);
}

}  // namespace pubsub::cli
