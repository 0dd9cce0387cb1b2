// The proxy's forwarding loop; see holding_proxy.h.
#include "e2e/holding_proxy.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstddef>
#include <exception>
#include <string_view>
#include <vector>

namespace pubsub::e2e {
namespace {

// One proxied connection: the client's socket and the server's.
struct Link {
  int client = -1;
  int server = -1;
  bool subscribed = false;  // a SUBSCRIBE went through it
};

bool mentions_subscribe(std::string_view bytes) {
  constexpr std::string_view kWord = "subscribe";
  return std::search(bytes.begin(), bytes.end(), kWord.begin(), kWord.end(),
                     [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }) != bytes.end();
}

bool send_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// Moves what `from` has to `to` if `polled` says it is readable; false
// once either side has ended. Sets `*subscribed` if the bytes subscribe.
bool forward(const pollfd& polled, int from, int to, bool* subscribed) {
  if ((polled.revents & (POLLIN | POLLHUP | POLLERR)) == 0) return true;
  char buffer[64 * 1024];
  const ssize_t n = ::recv(from, buffer, sizeof buffer, 0);
  if (n <= 0) return n < 0 && errno == EINTR;
  const std::string_view bytes(buffer, static_cast<std::size_t>(n));
  if (subscribed != nullptr && mentions_subscribe(bytes)) *subscribed = true;
  return send_all(to, bytes.data(), bytes.size());
}

}  // namespace

HoldingProxy::HoldingProxy(std::uint16_t target)
    : target_(target), thread_([this](std::stop_token stop) { run(stop); }) {}

HoldingProxy::~HoldingProxy() {
  thread_.request_stop();
  thread_.join();
}

void HoldingProxy::run(std::stop_token stop) {
  constexpr int kPollMs = 20;  // how soon a stop or a release is seen
  std::vector<Link> links;
  std::vector<pollfd> polled;
  while (!stop.stop_requested()) {
    const bool held = held_.load();
    polled.assign(1, pollfd{listener_.fd, POLLIN, 0});
    for (const Link& link : links) {
      polled.push_back({link.client, POLLIN, 0});
      // A negative descriptor is not polled: the server's bytes stay unread.
      polled.push_back({held && link.subscribed ? -1 : link.server, POLLIN, 0});
    }
    if (::poll(polled.data(), polled.size(), kPollMs) < 0) continue;
    for (std::size_t i = links.size(); i-- > 0;) {
      Link& link = links[i];
      const bool open = forward(polled[1 + 2 * i], link.client, link.server, &link.subscribed) &&
                        forward(polled[2 + 2 * i], link.server, link.client, nullptr);
      if (open) continue;
      ::close(link.client);
      ::close(link.server);
      links.erase(links.begin() + static_cast<std::ptrdiff_t>(i));
    }
    if ((polled[0].revents & POLLIN) == 0) continue;
    const int client = ::accept(listener_.fd, nullptr, nullptr);
    if (client < 0) continue;
    try {
      links.push_back({client, TcpConnection(target_).release()});
    } catch (const std::exception&) {
      ::close(client);  // the server is down: so is this connection
    }
  }
  for (const Link& link : links) {
    ::close(link.client);
    ::close(link.server);
  }
}

}  // namespace pubsub::e2e
