// pubsub's help texts; see help_text.h.
#include "cli/help_text.h"

#include <string_view>

namespace pubsub::cli {

namespace {

constexpr const char* kUsage = R"(usage: pubsub [OPTIONS] COMMAND [ARGS] [COMMAND OPTIONS]

The command-line client of pubsubd: manage topics, publish, subscribe, and
read what the server retains. Data goes to standard output as JSON (one
object per line unless --pretty), messages and errors to standard error.
)";

constexpr const char* kCommands = R"(
Commands:
  topics [list]            list the topics with their subscriber counts
  topics create NAME       create a topic
  topics get NAME          show a topic: subscribers, messages, dropped, epoch, seq
  topics delete NAME       delete a topic (its subscribers are told)
  pub TOPIC [PAYLOAD]      publish PAYLOAD, or one message per line of standard input
  sub TOPIC...             print every event of the topics, reconnecting by itself
  history TOPIC            print the messages the topic retains
  stats                    print the server's statistics
  health                   print the server's health (needs no credentials)
  help [COMMAND]           print this help, or a command's
)";

constexpr const char* kGlobalOptions = R"(
Options (before or after the command; a flag beats its variable):
  --url URL          the server [PUBSUB_URL] (default ws://127.0.0.1:8080).
                     ws:// and http:// are plain, wss:// and https:// use TLS;
                     REST is at URL/topics..., the WebSocket at URL/ws (a URL
                     that already ends in /ws names the same server)
  --api-key KEY      sent as X-API-Key with every request [PUBSUB_API_KEY]
  --token TOKEN      a JSON Web Token, sent as Authorization: Bearer [PUBSUB_TOKEN]
  --ca-file FILE     TLS: trust the certificates in FILE (PEM) instead of the
                     system's [PUBSUB_CA_FILE]
  --insecure         TLS: check neither the certificate nor the host name
                     (by default both are checked)
  --timeout SECONDS  the longest wait for a connection and for each answer
                     (default 10; fractions allowed)
  -h, --help         print help (after a command: that command's) and exit
  --version          print the version and exit
)";

constexpr const char* kTopics = R"(
topics [list] | topics create NAME | topics get NAME | topics delete NAME
  Manages topics over REST (POST /topics, GET /topics, GET and DELETE
  /topics/NAME) and prints the server's JSON answer.
  --pretty           indent the JSON
)";

constexpr const char* kPub = R"(
pub TOPIC [PAYLOAD]
  Publishes over the WebSocket. PAYLOAD is sent as JSON if it parses as one
  JSON value ('{"text":"hi"}', '[1,2]', '42', 'true', '"quoted"'); any other
  text is sent as a JSON string (hello becomes "hello"). Without PAYLOAD,
  each line of standard input is one message, in order, over one
  connection, without waiting for each acknowledgement (at most 256 in
  flight). Every message gets a fresh UUID v4 as its id. Prints nothing on
  success. Stops reading at the first message the server refuses, prints
  "pubsub: CODE: message" for every refused one, and exits 1. A line that
  is not UTF-8 is not sent (exit status 2). A PAYLOAD that starts with '-'
  goes after "--": pubsub pub t -- -1.
  --raw-string       send PAYLOAD (or each line) as a JSON string, even if it is JSON
  --print-seq        print each message's seq, one per line
  -v, --verbose      print the server's answer to each message (its ack) as JSON
  --http             publish with POST /topics/TOPIC/messages instead (one
                     request at a time on one kept-alive connection)
)";

constexpr const char* kSub = R"(
sub TOPIC... [--last-n N] [--count N]
  Subscribes over the WebSocket and prints each event as the server sent it,
  one compact JSON object per line:
    {"type":"event","topic":T,"message":{"id":...,"payload":...},"seq":N,"ts":...}
  The info frames "dropped" (events this slow subscriber lost) and
  "topic_deleted" are reported on standard error, one line each. When the
  connection drops, it reconnects by itself (after 100 ms, doubling up to
  5 s, jittered) and resumes each topic after the last event it printed
  (since_seq and epoch), saying on standard error:
    pubsub: reconnected to URL; TOPIC resumed after seq N (recovered: true)
  "recovered: false" means messages may have been missed (the server was
  restarted, the topic re-created, or its history no longer holds them).
  A topic missing after a reconnect is tried again until it exists.
  SIGINT or SIGTERM ends it with exit status 0. If the first connection
  fails, or a topic is refused (missing at the start, not granted), or every
  topic was deleted, it exits as other commands do.
  --last-n N         first replay the N newest retained events of each topic
  --count N          exit (0) after N events
  --duration SECONDS exit (0) after this long
  --all-frames       also print every other frame (acks, infos, errors) on
                     standard output, as JSON lines
  --client-id ID     the client_id label of the subscriptions (default pubsub)
)";

constexpr const char* kHistory = R"(
history TOPIC [--since-seq N] [--limit K]
  Prints what the topic retains (GET /topics/TOPIC/messages):
  {"topic":T,"epoch":E,"seq":S,"messages":[{"id":...,"payload":...,"seq":N,"ts":...}]}
  --since-seq N      only messages with seq > N
  --limit K          only the oldest K of them
  --pretty           indent the JSON
)";

constexpr const char* kStats = R"(
stats
  Prints GET /stats: per-topic counts and connection counters.
  --pretty           indent the JSON
)";

constexpr const char* kHealth = R"(
health
  Prints GET /health; exits 1 when the server is not healthy (503).
  --pretty           indent the JSON
)";

constexpr const char* kExitStatus = R"(
Exit status:
  0    success
  1    the server refused: an HTTP 4xx/5xx answer or an "error" frame, printed
       on standard error as "pubsub: CODE: message" (e.g. TOPIC_NOT_FOUND,
       UNAUTHORIZED for a missing or wrong --api-key/--token)
  2    usage: unknown command or option, bad argument or URL
  3    cannot connect, TLS certificate not trusted, connection lost, or no
       answer within --timeout
  130  interrupted by SIGINT or SIGTERM (sub exits 0)
)";

constexpr const char* kExamples = R"(
Examples:
  pubsub topics create chat
  pubsub sub chat                          # in one terminal
  pubsub pub chat '{"text":"hi"}'          # in another
  tail -f app.log | pubsub pub logs        # one message per line
  pubsub sub chat --count 1 | jq .message.payload
  pubsub history chat --since-seq 40 --limit 5 --pretty
  pubsub --url wss://pubsub.example.com --token "$JWT" sub chat
)";

const char* section_of(Command command) {
  switch (command) {
    case Command::topics: return kTopics;
    case Command::pub: return kPub;
    case Command::sub: return kSub;
    case Command::history: return kHistory;
    case Command::stats: return kStats;
    case Command::health: return kHealth;
  }
  return "";
}

}  // namespace

std::string tool_help() {
  std::string out = std::string(kUsage) + kCommands + kGlobalOptions + "\nCommand options:\n";
  for (Command command :
       {Command::topics, Command::pub, Command::sub, Command::history, Command::stats, Command::health}) {
    out += section_of(command);
  }
  return out + kExitStatus + kExamples;
}

std::string command_help(Command command) {
  std::string_view section = section_of(command);
  if (section.starts_with('\n')) section.remove_prefix(1);  // each section opens on a new line
  return "usage: pubsub [OPTIONS] " + std::string(section) + kGlobalOptions + kExitStatus;
}

std::string version_text() { return "pubsub " PUBSUB_VERSION; }

}  // namespace pubsub::cli
