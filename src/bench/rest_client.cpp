// pubsub-bench's REST calls; see rest_client.h.
#include "bench/rest_client.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <iostream>

#include "bench/tls_client.h"

namespace pubsub::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

int http_status(const Options& o, const std::string& method, const std::string& target, const std::string& body) {
  try {
    asio::io_context ioc;
    tcp::socket s(ioc);
    s.connect(tcp::endpoint(asio::ip::make_address(o.host), o.ports.front()));
    std::string req =
        method + " " + target + " HTTP/1.1\r\nHost: " + o.host +
        "\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n";
    req += credential_headers(o);
    req += "\r\n" + body;
    std::string response;
    boost::system::error_code ec;
    if (o.tls) {
      asio::ssl::stream<tcp::socket&> tls(s, tls_client_context());
      SSL_set_tlsext_host_name(tls.native_handle(), o.host.c_str());
      tls.handshake(asio::ssl::stream_base::client);
      asio::write(tls, asio::buffer(req));
      asio::read(tls, asio::dynamic_buffer(response), ec);
    } else {
      asio::write(s, asio::buffer(req));
      asio::read(s, asio::dynamic_buffer(response), ec);
    }
    if (response.size() < 12) return 0;
    return std::stoi(response.substr(9, 3));
  } catch (const std::exception&) {
    return 0;
  }
}

std::string topic_name(const Options& o, int index) { return o.topic_prefix + "-" + std::to_string(index); }

bool create_topics(const Options& o) {
  for (int t = 0; t < o.topics; ++t) {
    int status = http_status(o, "POST", "/topics", R"({"name":")" + topic_name(o, t) + "\"}");
    if (status != 201 && status != 409) {
      std::cerr << "pubsub-bench: cannot create topic " << topic_name(o, t) << " (HTTP " << status << ")\n";
      return false;
    }
  }
  return true;
}

}  // namespace pubsub::bench
