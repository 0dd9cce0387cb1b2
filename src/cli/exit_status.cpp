// Exit statuses and failures; see exit_status.h.
#include "cli/exit_status.h"

#include <cstdio>

#include "cli/server_frame.h"

namespace pubsub::cli {

namespace {

std::string refusal_text(unsigned http_status, const std::string& code, const std::string& message) {
  if (code.empty()) return "HTTP " + std::to_string(http_status);
  return message.empty() ? code : code + ": " + message;
}

}  // namespace

ServerRefusal::ServerRefusal(unsigned http_status, std::string code, std::string message)
    : std::runtime_error(refusal_text(http_status, code, message)), http_status_(http_status), code_(std::move(code)) {}

ExitStatus status_for_http(unsigned http_status) {
  return http_status >= 200 && http_status < 300 ? ExitStatus::success : ExitStatus::refused;
}

ServerRefusal refusal_from_http(unsigned http_status, std::string_view body) {
  if (auto error = read_error_object(body)) return ServerRefusal(http_status, error->code, error->message);
  return ServerRefusal(http_status, "", "");
}

std::string no_answer_within(const std::string& peer, std::chrono::milliseconds timeout) {
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%g", static_cast<double>(timeout.count()) / 1000);
  return "no answer from " + peer + " within " + seconds + " s";
}

ExitStatus run_reporting_failures(const std::function<ExitStatus()>& command,
                                  const std::function<void(std::string_view)>& errors) {
  try {
    return command();
  } catch (const UsageError& e) {
    errors(std::string("pubsub: ") + e.what() + " (see pubsub --help)");
    return ExitStatus::usage;
  } catch (const ServerRefusal& e) {
    errors(std::string("pubsub: ") + e.what());
    return ExitStatus::refused;
  } catch (const ConnectionFailure& e) {
    errors(std::string("pubsub: ") + e.what());
    return ExitStatus::unreachable;
  } catch (const Interrupted&) {
    return ExitStatus::interrupted;
  } catch (const std::exception& e) {
    // Anything else comes from the I/O underneath (a socket that failed).
    errors(std::string("pubsub: ") + e.what());
    return ExitStatus::unreachable;
  }
}

}  // namespace pubsub::cli
