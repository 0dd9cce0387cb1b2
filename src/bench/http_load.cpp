// Pipelined keep-alive HTTP load; see http_load.h.
#include "bench/http_load.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstring>
#include <vector>

#include "bench/node_assignment.h"

namespace pubsub::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Connection {
  int fd = -1;
  int in_flight = 0;
  std::string input;
};

int connect_to(const Options& o, std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (::inet_pton(AF_INET, o.host.c_str(), &address.sin_addr) != 1 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool send_all(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// Reads the decimal number at the front of `text`, after any spaces.
std::size_t leading_number(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  std::size_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

// Finds the Content-Length of a response header (any case); 0 if none.
std::size_t content_length(std::string_view header) {
  static constexpr std::string_view kName = "content-length:";
  for (std::size_t line = header.find("\r\n"); line != std::string_view::npos; line = header.find("\r\n", line + 2)) {
    const std::string_view rest = header.substr(line + 2);
    if (rest.size() < kName.size()) break;
    bool match = true;
    for (std::size_t i = 0; i < kName.size() && match; ++i) {
      match = static_cast<char>(std::tolower(static_cast<unsigned char>(rest[i]))) == kName[i];
    }
    if (match) return leading_number(rest.substr(kName.size()));
  }
  return 0;
}

// Takes the complete responses at the front of `c.input`.
void take_responses(Connection& c, int expected_status, HttpLoadResult& result) {
  std::size_t at = 0;
  for (;;) {
    const std::string_view rest = std::string_view(c.input).substr(at);
    const std::size_t end = rest.find("\r\n\r\n");
    if (end == std::string_view::npos || rest.size() < 12) break;
    const std::size_t length = content_length(rest.substr(0, end + 2));
    if (rest.size() < end + 4 + length) break;
    const auto status = static_cast<int>(leading_number(rest.substr(9, 3)));
    (status == expected_status ? result.answered : result.unexpected) += 1;
    c.in_flight -= 1;
    at += end + 4 + length;
  }
  c.input.erase(0, at);
}

}  // namespace

void append_http_request(std::string& out, const Options& o, std::string_view method, std::string_view target,
                         std::string_view body) {
  out += method;
  out += ' ';
  out += target;
  out += " HTTP/1.1\r\nHost: ";
  out += o.host;
  out += "\r\nContent-Type: application/json\r\nContent-Length: ";
  out += std::to_string(body.size());
  out += "\r\n";
  out += credential_headers(o);
  out += "\r\n";
  out += body;
}

HttpLoadResult run_http_load(const Options& o, const HttpLoadSpec& spec) {
  HttpLoadResult result;
  std::vector<Connection> connections(static_cast<std::size_t>(spec.connections));
  for (std::size_t i = 0; i < connections.size(); ++i) {
    connections[i].fd = connect_to(o, o.ports[publisher_node(static_cast<int>(i), o.ports.size())]);
    if (connections[i].fd < 0) result.failed = true;
  }
  const Clock::time_point start = Clock::now();
  const Clock::time_point stop = start + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(spec.seconds > 0 ? spec.seconds : 1e9));
  std::uint64_t next = 0;
  std::string target, body, request;
  std::vector<pollfd> polls(connections.size());
  char buffer[65536];
  while (!result.failed) {
    const bool sending = (spec.total == 0 || next < spec.total) && Clock::now() < stop;
    int in_flight = 0;
    for (Connection& c : connections) {
      while (sending && c.in_flight < spec.window && (spec.total == 0 || next < spec.total)) {
        spec.request(next++, target, body);
        request.clear();
        append_http_request(request, o, spec.method, target, body);
        if (!send_all(c.fd, request)) {
          result.failed = true;
          break;
        }
        c.in_flight += 1;
      }
      in_flight += c.in_flight;
    }
    if (in_flight == 0) break;
    for (std::size_t i = 0; i < connections.size(); ++i) polls[i] = {connections[i].fd, POLLIN, 0};
    if (::poll(polls.data(), polls.size(), 10'000) <= 0) {
      result.failed = true;
      break;
    }
    for (std::size_t i = 0; i < connections.size(); ++i) {
      if ((polls[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t n = ::recv(connections[i].fd, buffer, sizeof buffer, 0);
      if (n <= 0) {
        result.failed = true;
        break;
      }
      connections[i].input.append(buffer, static_cast<std::size_t>(n));
      take_responses(connections[i], spec.expected_status, result);
    }
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (Connection& c : connections) {
    if (c.fd >= 0) ::close(c.fd);
  }
  return result;
}

}  // namespace pubsub::bench
