// Gentle close; see linger.h.
#include "net/linger.h"

namespace pubsub::net {

task<void> linger_close(boost::beast::tcp_stream& stream) {
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.expires_after(std::chrono::seconds(2));
  char sink[4096];
  for (std::size_t total = 0; total < 1024 * 1024;) {
    auto [ec, got] = co_await stream.async_read_some(asio::buffer(sink), nothrow);
    if (ec) break;
    total += got;
  }
}

}  // namespace pubsub::net
