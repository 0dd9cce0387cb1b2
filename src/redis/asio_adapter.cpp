#include "redis/asio_adapter.h"

#include <hiredis/async.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <memory>

namespace pubsub::redis {
namespace {

using error_code = boost::system::error_code;

// The state of one attached context. Keeps itself alive (self_) until
// hiredis calls the cleanup hook; each wait under way holds it too, so a
// wait that completes after the cleanup finds it and does nothing.
class Attachment : public std::enable_shared_from_this<Attachment> {
 public:
  Attachment(redisAsyncContext* context, asio::io_context& io, std::function<void()> on_freeing)
      : context_(context), io_(io), descriptor_(io, context->c.fd), on_freeing_(std::move(on_freeing)) {}

  Attachment(const Attachment&) = delete;
  Attachment& operator=(const Attachment&) = delete;

  ~Attachment() {
    // The descriptor is hiredis's, which closes it: never close it here.
    if (descriptor_.is_open()) descriptor_.release();
  }

  void install(std::shared_ptr<Attachment> self) {
    self_ = std::move(self);
    context_->ev.data = this;
    context_->ev.addRead = [](void* data) { static_cast<Attachment*>(data)->want_read(true); };
    context_->ev.delRead = [](void* data) { static_cast<Attachment*>(data)->want_read(false); };
    context_->ev.addWrite = [](void* data) { static_cast<Attachment*>(data)->want_write(true); };
    context_->ev.delWrite = [](void* data) { static_cast<Attachment*>(data)->want_write(false); };
    context_->ev.cleanup = [](void* data) { static_cast<Attachment*>(data)->detach(); };
  }

 private:
  // Stopping interest does not cancel the wait under way (a cancel would
  // stop both directions); its completion finds the interest gone.
  void want_read(bool wanted) {
    read_wanted_ = wanted;
    if (wanted && context_ != nullptr && !read_waiting_) {
      read_waiting_ = true;
      descriptor_.async_wait(asio::posix::descriptor_base::wait_read,
                             [self = shared_from_this()](const error_code& error) { self->on_readable(error); });
    }
  }

  void want_write(bool wanted) {
    write_wanted_ = wanted;
    if (wanted && context_ != nullptr && !write_waiting_) {
      write_waiting_ = true;
      descriptor_.async_wait(asio::posix::descriptor_base::wait_write,
                             [self = shared_from_this()](const error_code& error) { self->on_writable(error); });
    }
  }

  // hiredis may free the context inside redisAsyncHandleRead/Write (an
  // error, or a callback that freed it): detach() then clears context_,
  // and nothing here touches the context after the call.
  void on_readable(const error_code& error) {
    read_waiting_ = false;
    if (context_ == nullptr || error == asio::error::operation_aborted || !read_wanted_) return;
    redisAsyncHandleRead(context_);
  }

  void on_writable(const error_code& error) {
    write_waiting_ = false;
    if (context_ == nullptr || error == asio::error::operation_aborted || !write_wanted_) return;
    redisAsyncHandleWrite(context_);
  }

  // hiredis's cleanup hook: the context is being freed.
  void detach() {
    if (context_ == nullptr) return;
    context_ = nullptr;
    read_wanted_ = write_wanted_ = false;
    descriptor_.release();  // cancels the waits; hiredis closes the socket
    auto on_freeing = std::move(on_freeing_);
    if (on_freeing) on_freeing();
    // This object, `on_freeing` and its captures live until the free has
    // returned: hiredis may still call the hooks, and callbacks may still
    // reach the owner of context->data.
    asio::post(io_, [self = std::move(self_), on_freeing = std::move(on_freeing)] {});
  }

  redisAsyncContext* context_;
  asio::io_context& io_;
  asio::posix::stream_descriptor descriptor_;
  std::function<void()> on_freeing_;
  std::shared_ptr<Attachment> self_;
  bool read_wanted_ = false;
  bool write_wanted_ = false;
  bool read_waiting_ = false;
  bool write_waiting_ = false;
};

}  // namespace

bool attach(redisAsyncContext* context, asio::io_context& io, std::function<void()> on_freeing) {
  if (context->ev.data != nullptr || context->ev.addRead != nullptr || context->ev.addWrite != nullptr) return false;
  auto attachment = std::make_shared<Attachment>(context, io, std::move(on_freeing));
  attachment->install(attachment);
  return true;
}

}  // namespace pubsub::redis
