// One gathered sendmsg; see gathered_send.h.
#include "net/gathered_send.h"

#include <cassert>
#include <cerrno>

namespace pubsub::net {

msghdr gathered_message(std::span<const WriteBuffer> pieces, std::span<iovec> iov) {
  assert(pieces.size() <= iov.size());
  for (std::size_t i = 0; i < pieces.size(); ++i) iov[i] = {const_cast<char*>(pieces[i].data), pieces[i].size};
  msghdr message{};
  message.msg_iov = iov.data();
  message.msg_iovlen = pieces.size();
  return message;
}

ssize_t send_gathered(int descriptor, const msghdr& message) {
  ssize_t result;
  do {
    result = ::sendmsg(descriptor, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (result < 0 && errno == EINTR);
  return result >= 0 ? result : -errno;
}

}  // namespace pubsub::net
