#include "redis/connection.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <boost/asio/post.hpp>
#include <boost/container/small_vector.hpp>
#include <cassert>
#include <exception>
#include <random>

#include "common/log.h"
#include "redis/asio_adapter.h"

namespace pubsub::redis {
namespace {

using error_code = boost::system::error_code;

std::uint64_t random_seed() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

// Why hiredis let `context` go (to `endpoint`): a failed connect or a lost
// connection, with hiredis's error text.
std::string describe_loss(const redisAsyncContext* context, const std::string& endpoint) {
  std::string text = (context->c.flags & REDIS_CONNECTED) != 0 ? "connection to " + endpoint + " lost"
                                                               : "cannot connect to " + endpoint;
  if (context->err != 0 && context->errstr != nullptr && context->errstr[0] != '\0') {
    text += ": ";
    text += context->errstr;
  }
  return text;
}

// Appends `args` as one command to the context's output buffer, with
// `callback` for its reply. hiredis only asks to write: the commands of one
// loop pass leave together, in one write when they fit.
bool append_command(redisAsyncContext* context, std::span<const std::string_view> args, RawReplyCallback callback,
                    void* privdata) {
  boost::container::small_vector<const char*, 8> argv;
  boost::container::small_vector<std::size_t, 8> lengths;
  for (const std::string_view arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  return redisAsyncCommandArgv(context, callback, privdata, static_cast<int>(argv.size()), argv.data(),
                               lengths.data()) == REDIS_OK;
}

std::string milliseconds_text(std::chrono::milliseconds duration) { return std::to_string(duration.count()) + " ms"; }

}  // namespace

Connection::Connection(asio::io_context& io, RedisUrl url, ConnectionOptions options)
    : io_(io),
      url_(std::move(url)),
      options_(options),
      backoff_(options.backoff_initial, options.backoff_maximum, random_seed()),
      resolver_(io),
      retry_timer_(io),
      watchdog_(io) {}

Connection::~Connection() { assert(attached_ == nullptr); }

void Connection::start() {
  if (started_ || closed_) return;
  started_ = true;
  connect();
}

void Connection::close() {
  if (closed_) return;
  closed_ = true;
  retry_timer_.cancel();
  watchdog_.cancel();
  resolver_.cancel();
  if (context_ != nullptr) {
    redisAsyncContext* context = context_;
    context_ = nullptr;
    loss_reason_ = "closed";
    // Within one of its callbacks hiredis frees the context once the
    // callback returns; otherwise at once. Either way the attachment keeps
    // this object alive until then, and closed_ silences the callbacks.
    redisAsyncFree(context);
  }
}

void Connection::connect() {
  if (closed_) return;
  error_code error;
  const auto address = asio::ip::make_address(url_.host, error);
  if (!error) {
    open(address.to_string());
    return;
  }
  // A name: resolved on Asio's resolver thread, so that the io_context's
  // thread never waits for DNS (hiredis would resolve it blocking).
  resolver_.async_resolve(
      url_.host, std::to_string(url_.port),
      [weak = weak_from_this()](const error_code& error, const asio::ip::tcp::resolver::results_type& results) {
        const auto self = weak.lock();
        if (!self || self->closed_ || error == asio::error::operation_aborted) return;
        if (error || results.empty()) {
          self->attempt_failed("cannot resolve " + self->url_.host + ": " +
                               (error ? error.message() : std::string("no address")));
          return;
        }
        // Successive attempts go through the addresses in turn.
        auto entry = results.begin();
        std::advance(entry, static_cast<std::ptrdiff_t>(self->attempts_ % results.size()));
        self->open(entry->endpoint().address().to_string());
      });
}

void Connection::open(const std::string& address) {
  assert(context_ == nullptr && attached_ == nullptr);
  // Every command of the previous context got its reply while it was freed.
  assert(pending_.empty());
  redisAsyncContext* context = redisAsyncConnect(address.c_str(), url_.port);
  if (context == nullptr) {
    attempt_failed("cannot connect to " + url_.endpoint() + ": out of memory");
    return;
  }
  if (context->err != 0) {
    std::string reason = "cannot connect to " + url_.endpoint() + ": " + context->errstr;
    redisAsyncFree(context);
    attempt_failed(std::move(reason));
    return;
  }
  context->data = this;
  std::string failure;
  try {
    // The attachment holds this object until hiredis has freed the
    // context, whose callbacks reach it through context->data.
    if (!attach(context, io_, [self = shared_from_this(), context] { self->context_freed(context); })) {
      failure = "its event hooks are taken";
    }
  } catch (const std::exception& error) {
    failure = error.what();
  }
  if (!failure.empty()) {
    redisAsyncFree(context);
    attempt_failed("cannot watch the connection to " + url_.endpoint() + ": " + failure);
    return;
  }
  context_ = attached_ = context;
  logged_in_ = false;
  loss_reason_.clear();
  log_in();
}

// Sent at once, before the connection is even established: hiredis
// buffers them, and Redis answers them in order.
void Connection::log_in() {
  const std::string db = std::to_string(url_.db);
  std::vector<std::vector<std::string_view>> steps;
  if (!url_.password.empty() && url_.user.empty()) steps.push_back({"AUTH", url_.password});
  if (!url_.password.empty() && !url_.user.empty()) steps.push_back({"AUTH", url_.user, url_.password});
  if (url_.db != 0) steps.push_back({"SELECT", db});
  if (steps.empty()) steps.push_back({"PING"});
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const bool last = i + 1 == steps.size();
    ReplyHandler handler = [this, last](Reply reply) { logged_in_step(reply, last); };
    if (!send(steps[i], handler)) return;  // the context is already going
  }
}

void Connection::logged_in_step(const Reply& reply, bool last) {
  if (reply.is_unavailable() || closed_) return;  // the context is going: context_freed() follows
  if (reply.is_error()) {
    // AUTH's errors never repeat the password ("WRONGPASS invalid
    // username-password pair ...").
    drop("logging in to " + url_.endpoint() + " failed: " + reply.text);
    return;
  }
  if (!last) return;
  logged_in_ = true;
  announced_up_ = true;
  attempts_ = 0;
  backoff_.reset();
  last_error_.clear();
  on_up();
  report(LinkState::up, {});
}

bool Connection::send(std::span<const std::string_view> args, ReplyHandler& handler) {
  if (context_ == nullptr) return false;
  const std::uint64_t serial = next_serial_++;
  if (!append_command(context_, args, &Connection::on_reply,
                      reinterpret_cast<void*>(static_cast<std::uintptr_t>(serial)))) {
    return false;
  }
  const auto deadline = clock::now() + options_.command_timeout;
  pending_.push_back({std::move(handler), deadline, serial});
  watch(deadline);
  return true;
}

bool Connection::send_routed(std::span<const std::string_view> args, RawReplyCallback callback, void* data) {
  return context_ != nullptr && append_command(context_, args, callback, data);
}

void Connection::on_reply(redisAsyncContext* context, void* reply, void* privdata) {
  auto* self = static_cast<Connection*>(context->data);
  self->take_reply(context, static_cast<redisReply*>(reply),
                   static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(privdata)));
}

void Connection::take_reply(redisAsyncContext* context, redisReply* reply, std::uint64_t serial) {
  // hiredis calls every callback once, in the order the commands were sent
  // (with a null reply when it frees the context), so the reply is the
  // oldest pending command's.
  assert(!pending_.empty() && pending_.front().serial == serial);
  if (pending_.empty()) return;
  static_cast<void>(serial);
  Pending pending = std::move(pending_.front());
  pending_.pop_front();
  if (reply == nullptr) context_dying(context);
  if (closed_) return;
  Reply answer = reply != nullptr ? to_reply(*reply) : Reply::unavailable(unavailable_reason());
  call_guarded(pending.handler, std::move(answer));
}

void Connection::context_dying(redisAsyncContext* context) {
  if (context != attached_) return;
  if (loss_reason_.empty()) loss_reason_ = describe_loss(context, url_.endpoint());
  if (context_ == context) context_ = nullptr;
}

void Connection::context_freed(redisAsyncContext* context) {
  // Called from hiredis's cleanup hook, while it frees the context.
  assert(context == attached_);
  context_dying(context);
  attached_ = nullptr;
  const bool was_up = announced_up_;
  announced_up_ = false;
  if (closed_) return;
  last_error_ = loss_reason_;
  on_down();
  if (closed_) return;
  schedule_attempt();
  if (was_up) report(LinkState::down, last_error_);
}

void Connection::attempt_failed(std::string reason) {
  last_error_ = std::move(reason);
  schedule_attempt();
}

void Connection::schedule_attempt() {
  if (closed_) return;
  ++attempts_;
  retry_timer_.expires_after(backoff_.next());
  retry_timer_.async_wait([weak = weak_from_this()](const error_code& error) {
    const auto self = weak.lock();
    if (!self || error == asio::error::operation_aborted) return;
    self->connect();
  });
}

void Connection::drop(std::string reason) {
  if (context_ == nullptr) return;
  redisAsyncContext* context = context_;
  context_ = nullptr;
  loss_reason_ = std::move(reason);
  redisAsyncFree(context);
}

void Connection::watch(clock::time_point deadline) {
  // Deadlines only grow (each is now plus the timeout), so a watchdog armed
  // for an older one fires first and re-arms for the next.
  if (!watchdog_armed_) arm_watchdog(deadline);
}

void Connection::arm_watchdog(clock::time_point deadline) {
  watchdog_armed_ = true;
  watchdog_.expires_at(deadline);
  watchdog_.async_wait([weak = weak_from_this()](const error_code& error) {
    const auto self = weak.lock();
    if (!self) return;
    self->watchdog_armed_ = false;
    if (error == asio::error::operation_aborted || self->closed_) return;
    self->check_deadlines();
  });
}

void Connection::check_deadlines() {
  std::optional<clock::time_point> oldest = other_deadline();
  if (!pending_.empty() && (!oldest || pending_.front().deadline < *oldest)) oldest = pending_.front().deadline;
  if (!oldest || context_ == nullptr) return;
  if (*oldest <= clock::now()) {
    drop("no answer from " + url_.endpoint() + " within " + milliseconds_text(options_.command_timeout));
    return;
  }
  arm_watchdog(*oldest);
}

void Connection::post_unavailable(ReplyHandler handler, std::string why) {
  asio::post(io_, [weak = weak_from_this(), handler = std::move(handler), why = std::move(why)]() mutable {
    const auto self = weak.lock();
    if (!self || self->closed_) return;
    call_guarded(handler, Reply::unavailable(std::move(why)));
  });
}

std::string Connection::unavailable_reason() const {
  if (attached_ != nullptr && context_ == nullptr) return loss_reason_;  // going
  if (!last_error_.empty()) return "not connected to " + url_.endpoint() + " (" + last_error_ + ")";
  return "not connected to " + url_.endpoint();
}

void Connection::report(LinkState state, std::string_view detail) {
  if (closed_ || !state_handler_) return;
  call_guarded(state_handler_, state, detail);
}

void Connection::log_handler_exception() {
  try {
    throw;
  } catch (const std::exception& failure) {
    log::error("redis: a handler threw", {{"error", failure.what()}});
  } catch (...) {
    log::error("redis: a handler threw");
  }
}

}  // namespace pubsub::redis
