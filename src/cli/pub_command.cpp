// `pubsub pub TOPIC [PAYLOAD]`: publishing over the WebSocket, pipelined
// (a window of requests in flight, each answered by its ack or error), or
// over HTTP with --http (section 10).
#include <unistd.h>

#include <charconv>
#include <map>
#include <memory>

#include "cli/commands.h"
#include "cli/line_reader.h"
#include "cli/output.h"
#include "cli/payload.h"
#include "cli/rest_client.h"
#include "cli/server_frame.h"
#include "cli/server_url.h"
#include "cli/websocket_session.h"

namespace pubsub::cli {

namespace {

// Publishes in flight at most, over the WebSocket.
constexpr std::size_t kWindow = 256;

// Where the messages come from: PAYLOAD, or the lines of standard input.
class MessageSource {
 public:
  MessageSource(EventLoop& loop, const PubOptions& options) {
    if (options.payload) {
      single_ = options.payload;
    } else {
      lines_ = std::make_unique<LineReader>(STDIN_FILENO, [&loop] { loop.wake(); });
    }
  }

  // The next text and its line number, or nullopt when none is ready yet
  // (or none is left).
  std::optional<std::string> take() {
    std::optional<std::string> text = lines_ ? lines_->take() : std::exchange(single_, std::nullopt);
    if (text) ++taken_;
    return text;
  }
  bool ready() const { return lines_ ? lines_->ready() : true; }
  bool finished() const { return lines_ ? lines_->finished() : !single_; }
  std::uint64_t taken() const { return taken_; }

  // " (line N)" after a message about line N of standard input; "" for PAYLOAD.
  std::string where(std::uint64_t line) const { return lines_ ? " (line " + std::to_string(line) + ")" : ""; }

 private:
  std::optional<std::string> single_;
  std::unique_ptr<LineReader> lines_;
  std::uint64_t taken_ = 0;
};

// Prints what --print-seq and --verbose ask for about one published
// message: `answer` is the server's answer (ack frame or HTTP body).
void print_published(const PubOptions& options, std::string_view answer, std::optional<std::uint64_t> seq) {
  if (options.verbose) print_json(answer);
  if (options.print_seq && seq) print_line(std::to_string(*seq));
}

class WebSocketPublisher {
 public:
  WebSocketPublisher(EventLoop& loop, const Invocation& invocation, MessageSource& source)
      : options_(invocation.pub),
        timeout_(invocation.connection.timeout),
        source_(source),
        session_(loop, invocation.connection) {}

  ExitStatus run() {
    auto last_answer = Clock::now();
    for (;;) {
      send_what_the_window_allows();
      if (in_flight_.empty() && (stopped_reading_ || source_.finished())) break;
      const auto deadline = in_flight_.empty() ? kNoDeadline : last_answer + timeout_;
      Incoming incoming = session_.receive(deadline);
      switch (incoming.kind) {
        case Incoming::Kind::text:
          if (take_answer(incoming.text)) last_answer = Clock::now();
          break;
        case Incoming::Kind::woken: break;
        case Incoming::Kind::interrupted: throw Interrupted();
        case Incoming::Kind::deadline:
          throw ConnectionFailure(no_answer_within(session_.peer(), timeout_) + unanswered());
        case Incoming::Kind::closed:
          throw ConnectionFailure("connection to " + session_.peer() + " closed by the server (code " +
                                  std::to_string(incoming.close_code) + ")" + unanswered());
        case Incoming::Kind::lost: throw ConnectionFailure(incoming.text + unanswered());
      }
    }
    session_.close();
    if (refused_) return ExitStatus::refused;
    return bad_input_ ? ExitStatus::usage : ExitStatus::success;
  }

 private:
  // "; K messages sent were not answered" when some were not.
  std::string unanswered() const {
    if (in_flight_.empty()) return "";
    return "; " + std::to_string(in_flight_.size()) +
           " message(s) sent were not answered, and may or may not be published";
  }

  void send_what_the_window_allows() {
    while (!stopped_reading_ && in_flight_.size() < kWindow) {
      auto text = source_.take();
      if (!text) return;
      const std::uint64_t line = source_.taken();
      auto payload = payload_json(*text, options_.raw_string);
      if (!payload) {
        report("not valid UTF-8, so not sent" + source_.where(line));
        bad_input_ = true;
        continue;
      }
      const std::uint64_t request = ++requests_;
      std::string request_id = "p";
      request_id += std::to_string(request);
      session_.send(publish_request(options_.topic, ids_.next(), *payload, request_id));
      in_flight_.emplace(request, line);
    }
  }

  // Takes the server's answer to one of the publishes in flight; returns
  // false if `text` is not one.
  bool take_answer(const std::string& text) {
    auto frame = read_server_frame_fields(text);
    if (!frame) return false;
    if (frame->type == FrameType::error && !frame->request_id && frame->error) {
      report(frame->error->code + ": " + frame->error->message);  // the server drops the connection next
      return false;
    }
    if (!frame->request_id || !frame->request_id->starts_with('p')) return false;
    std::uint64_t request = 0;
    const std::string& id = *frame->request_id;
    std::from_chars(id.data() + 1, id.data() + id.size(), request);
    auto answered = in_flight_.find(request);
    if (answered == in_flight_.end()) return false;
    const std::uint64_t line = answered->second;
    in_flight_.erase(answered);
    if (frame->type == FrameType::ack) {
      print_published(options_, text, frame->seq);
    } else if (frame->type == FrameType::error) {
      const ErrorObject error = frame->error.value_or(ErrorObject{"ERROR", "the server refused the message"});
      report(error.code + ": " + error.message + source_.where(line));
      refused_ = true;
      stopped_reading_ = true;
    }
    return true;
  }

  const PubOptions& options_;
  std::chrono::milliseconds timeout_;
  MessageSource& source_;
  WebSocketSession session_;
  MessageIds ids_;
  std::map<std::uint64_t, std::uint64_t> in_flight_;  // request number -> line number
  std::uint64_t requests_ = 0;
  bool stopped_reading_ = false;
  bool refused_ = false;
  bool bad_input_ = false;
};

ExitStatus publish_over_http(EventLoop& loop, const Invocation& invocation, MessageSource& source) {
  const PubOptions& options = invocation.pub;
  RestClient rest(loop, invocation.connection);
  MessageIds ids;
  const std::string path = "/topics/" + percent_encode_segment(options.topic) + "/messages";
  bool bad_input = false;
  for (;;) {
    auto text = source.take();
    if (!text) {
      if (source.finished()) break;
      if (loop.run_until([&] { return source.ready(); }, kNoDeadline) == EventLoop::Stop::interrupted) {
        throw Interrupted();
      }
      continue;
    }
    auto payload = payload_json(*text, options.raw_string);
    if (!payload) {
      report("not valid UTF-8, so not sent" + source.where(source.taken()));
      bad_input = true;
      continue;
    }
    const HttpAnswer answer = rest.request("POST", path, message_body(ids.next(), *payload));
    if (status_for_http(answer.status) != ExitStatus::success) {
      report(refusal_from_http(answer.status, answer.body).what() + source.where(source.taken()));
      return ExitStatus::refused;
    }
    const auto fields = read_server_frame_fields(answer.body);
    print_published(options, answer.body, fields ? fields->seq : std::nullopt);
  }
  return bad_input ? ExitStatus::usage : ExitStatus::success;
}

}  // namespace

ExitStatus run_pub(EventLoop& loop, const Invocation& invocation) {
  const PubOptions& options = invocation.pub;
  if (options.payload && !payload_json(*options.payload, options.raw_string)) {
    throw UsageError("pub: PAYLOAD is not valid UTF-8");
  }
  MessageSource source(loop, options);
  if (options.http) return publish_over_http(loop, invocation, source);
  WebSocketPublisher publisher(loop, invocation, source);
  return publisher.run();
}

}  // namespace pubsub::cli
