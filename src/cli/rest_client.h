// REST requests to the server (sections 6, 9 and 10) over one kept-alive
// HTTP/1.1 connection, made on first use, with the credentials of the
// settings on every request. A connection the server closed while it was
// idle is made again once, transparently.
//
// The main thread only.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "cli/connection_settings.h"
#include "cli/event_loop.h"

namespace pubsub::cli {

struct HttpAnswer {
  unsigned status = 0;
  std::string body;
};

class RestClient {
 public:
  RestClient(EventLoop& loop, ConnectionSettings settings);
  ~RestClient();
  RestClient(const RestClient&) = delete;
  RestClient& operator=(const RestClient&) = delete;

  // Sends `method` `path` (a route such as "/topics", which goes under the
  // URL's base path) with `body` as JSON if not empty, and returns the
  // answer, whatever its status. Throws ConnectionFailure (cannot connect,
  // connection lost, no answer within the timeout) or Interrupted.
  HttpAnswer request(std::string_view method, std::string_view path, std::string_view body = {});

  // The server's URL as given, for messages.
  const std::string& url() const { return settings_.url.text; }

 private:
  struct Connection;
  EventLoop& loop_;
  ConnectionSettings settings_;
  std::shared_ptr<Connection> connection_;
};

// A REST exchange that must succeed: the body of the answer to `method`
// `path`, or ServerRefusal (exit_status.h) for a 4xx/5xx answer, or
// ConnectionFailure for a body that is not JSON.
std::string request_or_refuse(RestClient& client, std::string_view method, std::string_view path,
                              std::string_view body = {});

}  // namespace pubsub::cli
