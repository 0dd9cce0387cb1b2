// `pubsub sub TOPIC...`: events as JSON lines, and a connection that comes
// back by itself and resumes each topic after the last event printed
// (section 9).
#include <algorithm>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/reconnect_backoff.h"
#include "cli/server_frame.h"
#include "cli/subscriptions.h"
#include "cli/websocket_session.h"

namespace pubsub::cli {

namespace {

class Follower {
 public:
  Follower(EventLoop& loop, const Invocation& invocation)
      : loop_(loop),
        settings_(invocation.connection),
        options_(invocation.sub),
        subscriptions_(options_.topics, options_.last_n, options_.client_id),
        end_(options_.duration ? deadline_after(*options_.duration) : kNoDeadline) {}

  ExitStatus run() {
    bool connected_once = false;
    for (;;) {
      std::unique_ptr<WebSocketSession> session;
      try {
        session = std::make_unique<WebSocketSession>(loop_, settings_);
      } catch (const ConnectionFailure& e) {
        if (!connected_once || e.permanent()) throw;
        if (!reconnect_failed(e.what())) return ExitStatus::success;
        continue;
      } catch (const ServerRefusal& e) {
        // Refused for good (401, 403, ...) unless the server is only busy.
        if (!connected_once || e.http_status() < 500) throw;
        if (!reconnect_failed(e.what())) return ExitStatus::success;
        continue;
      } catch (const Interrupted&) {
        return ExitStatus::success;
      }
      const bool reconnected = connected_once;
      connected_once = true;
      outage_reported_ = false;
      if (follow(*session, reconnected) == Ending::finished) {
        session->close();
        return status_;
      }
      session.reset();
      if (!wait_before_reconnecting()) return ExitStatus::success;
    }
  }

 private:
  enum class Ending { finished, reconnect };
  enum class Next { carry_on, finish, reconnect };

  // Runs one connection: subscribes, then prints what arrives until the
  // run is over or the connection must be made again.
  Ending follow(WebSocketSession& session, bool reconnected) {
    for (const std::string& request : subscriptions_.subscribe_requests()) session.send(request);
    const auto acks_due = deadline_after(settings_.timeout);
    for (;;) {
      const auto deadline = std::min(subscriptions_.all_acknowledged() ? kNoDeadline : acks_due, end_);
      Incoming incoming = session.receive(deadline);
      switch (incoming.kind) {
        case Incoming::Kind::text:
          switch (take_frame(incoming.text, reconnected)) {
            case Next::carry_on: break;
            case Next::finish: return Ending::finished;
            case Next::reconnect: return Ending::reconnect;
          }
          break;
        case Incoming::Kind::woken: break;
        case Incoming::Kind::interrupted: return finish(ExitStatus::success);
        case Incoming::Kind::deadline: {
          if (Clock::now() >= end_) return finish(ExitStatus::success);
          const std::string failure = no_answer_within(session.peer(), settings_.timeout) + " to subscribe";
          if (!reconnected) throw ConnectionFailure(failure);
          report(failure + "; reconnecting");
          return Ending::reconnect;
        }
        case Incoming::Kind::closed:
          report("connection to " + session.peer() + " closed by the server (code " +
                 std::to_string(incoming.close_code) + "); reconnecting");
          return Ending::reconnect;
        case Incoming::Kind::lost: report(incoming.text + "; reconnecting"); return Ending::reconnect;
      }
    }
  }

  Ending finish(ExitStatus status) {
    status_ = status;
    return Ending::finished;
  }

  Next take_frame(const std::string& text, bool reconnected) {
    auto frame = read_server_frame_fields(text);
    if (!frame) return Next::carry_on;
    if (options_.all_frames && frame->type != FrameType::event) print_json(text);
    switch (frame->type) {
      case FrameType::event: return take_event(text, *frame);
      case FrameType::ack:
        if (auto acknowledged = subscriptions_.on_ack(*frame); acknowledged && reconnected) {
          report("reconnected to " + settings_.url.text + "; " + acknowledged->note);
        }
        if (subscriptions_.all_acknowledged()) {
          backoff_.reset();
          missing_reported_ = false;
        }
        return Next::carry_on;
      case FrameType::error: return take_error(*frame, reconnected);
      case FrameType::info: return take_info(*frame);
      case FrameType::pong:
      case FrameType::other: return Next::carry_on;
    }
    return Next::carry_on;
  }

  Next take_event(const std::string& text, const ServerFrame& frame) {
    print_json(text);
    if (frame.topic && frame.seq) subscriptions_.on_event(*frame.topic, *frame.seq);
    if (options_.count != 0 && ++printed_ >= options_.count) {
      status_ = ExitStatus::success;
      return Next::finish;
    }
    return Next::carry_on;
  }

  Next take_error(const ServerFrame& frame, bool reconnected) {
    const ErrorObject error = frame.error.value_or(ErrorObject{"ERROR", "the server sent an error"});
    auto topic = frame.request_id ? subscriptions_.topic_of_request(*frame.request_id) : std::nullopt;
    if (!topic) {
      report(error.code + ": " + error.message);  // SLOW_CONSUMER, TOKEN_EXPIRED, ...: a close follows
      return Next::carry_on;
    }
    // After a reconnect, a topic may be missing for a while: the server
    // restarted and it is being created again.
    if (reconnected && error.code == "TOPIC_NOT_FOUND") {
      if (!missing_reported_) report(*topic + " does not exist on " + settings_.url.text + " now; trying again");
      missing_reported_ = true;
      return Next::reconnect;
    }
    throw ServerRefusal(0, error.code, error.message);
  }

  Next take_info(const ServerFrame& frame) {
    const std::string topic = frame.topic.value_or("?");
    if (frame.msg == "dropped") {
      report(topic + ": " + std::to_string(frame.dropped.value_or(0)) +
             " event(s) dropped by the server: this subscriber read too slowly");
    } else if (frame.msg == "topic_deleted") {
      report(topic + ": the topic was deleted");
      subscriptions_.forget(topic);
      if (subscriptions_.empty()) {
        report("every topic subscribed to was deleted");
        status_ = ExitStatus::refused;
        return Next::finish;
      }
    }
    return Next::carry_on;
  }

  // After a failed attempt to reconnect: says so (once per outage) and
  // waits. Returns false if the run is over (signal or --duration).
  bool reconnect_failed(const std::string& why) {
    if (!outage_reported_) report(why + "; trying again");
    outage_reported_ = true;
    return wait_before_reconnecting();
  }

  // Waits the next backoff delay; false if the run is over meanwhile.
  bool wait_before_reconnecting() {
    const auto now = Clock::now();
    if (now >= end_) return false;
    const auto delay = std::min<Clock::duration>(backoff_.next(), end_ - now);
    return loop_.pause(std::chrono::duration_cast<std::chrono::milliseconds>(delay)) && Clock::now() < end_;
  }

  EventLoop& loop_;
  const ConnectionSettings& settings_;
  const SubOptions& options_;
  Subscriptions subscriptions_;
  ReconnectBackoff backoff_;
  Clock::time_point end_;
  std::uint64_t printed_ = 0;
  bool outage_reported_ = false;
  bool missing_reported_ = false;
  ExitStatus status_ = ExitStatus::success;
};

}  // namespace

ExitStatus run_sub(EventLoop& loop, const Invocation& invocation) {
  Follower follower(loop, invocation);
  return follower.run();
}

}  // namespace pubsub::cli
