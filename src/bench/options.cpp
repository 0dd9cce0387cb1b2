// pubsub-bench's command line; see options.h.
#include "bench/options.h"

#include <algorithm>
#include <boost/program_options.hpp>
#include <iostream>

namespace pubsub::bench {

namespace po = boost::program_options;

namespace {

// Every flag, bound to its field of `o`, whose value is the default shown.
po::options_description describe(Options& o) {
  po::options_description d("pubsub-bench options", 120, 60);
  d.add_options()("help", "print this help")                                 //
      ("host", po::value(&o.host)->default_value(o.host), "server address")  //
      ("port", po::value(&o.ports)->default_value(o.ports, "8080"),
       "server port; once per node to spread the connections over several nodes")  //
      ("mode", po::value(&o.mode)->default_value(o.mode),
       "throughput, connections, topics or http-publish")  //
      ("client-style", po::value(&o.client_style)->default_value(o.client_style),
       "throughput: batched (coroutines; each publisher writes its window at once) or per-frame (one thread, "
       "epoll, one send() per publish)")                                                                             //
      ("topics", po::value(&o.topics)->default_value(o.topics), "topics (created over REST)")                        //
      ("subscribers", po::value(&o.subscribers)->default_value(o.subscribers), "subscribers per topic")              //
      ("publishers", po::value(&o.publishers)->default_value(o.publishers), "publishers (round robin over topics)")  //
      ("payload", po::value(&o.payload)->default_value(o.payload), "payload bytes")                                  //
      ("rate", po::value(&o.rate)->default_value(o.rate), "total publishes per second (0: as fast as possible)")     //
      ("slow-fraction", po::value(&o.slow_fraction)->default_value(0),
       "share of each topic's subscribers that never read")                                                //
      ("window", po::value(&o.window)->default_value(o.window), "unacknowledged publishes per publisher")  //
      ("warmup", po::value(&o.warmup)->default_value(o.warmup), "seconds before measuring")                //
      ("duration", po::value(&o.duration)->default_value(o.duration), "seconds measured (or held)")        //
      ("client-threads", po::value(&o.client_threads)->default_value(o.client_threads),
       "client I/O threads (batched)")  //
      ("poll-interval-us", po::value(&o.poll_interval_us)->default_value(o.poll_interval_us),
       "per-frame: under load, poll at most every this many microseconds (0: no pause)")  //
      ("connections", po::value(&o.connections)->default_value(o.connections),
       "connections mode: connections to hold")  //
      ("sources", po::value(&o.sources)->default_value(o.sources),
       "connections mode: 127.0.0.x source addresses (0: one per 25000)")  //
      ("retain", po::value(&o.retain)->default_value(o.retain),
       "topics mode: messages published into each filled topic (keep it within --history-size)")  //
      ("retain-topics", po::value(&o.retain_topics)->default_value(o.retain_topics),
       "topics mode: how many topics to fill")                                                             //
      ("api-key", po::value(&o.api_key), "X-API-Key for REST and the upgrade")                             //
      ("token", po::value(&o.token), "a JSON Web Token for REST and the upgrade (Authorization: Bearer)")  //
      ("tls", po::bool_switch(&o.tls),
       "speak TLS (wss://, https://) without checking the server's certificate; not in http-publish mode")  //
      ("topic-prefix", po::value(&o.topic_prefix)->default_value(o.topic_prefix),
       "topic names: PREFIX-0, PREFIX-1, ...")  //
      ("server-pid", po::value(&o.server_pids),
       "server process to sample (CPU per delivery, RSS); once per process to sample several and sum them")  //
      ("json", po::bool_switch(&o.json), "one JSON object instead of text");
  return d;
}

// Returns what is wrong with `o` as a whole, or nullptr if nothing.
const char* invalid_combination(const Options& o) {
  if (o.topics < 1 || o.subscribers < 0 || o.publishers < 1 || o.window < 1 || o.client_threads < 1 ||
      o.duration <= 0) {
    return "topics, publishers, window, client-threads must be >= 1 and duration > 0";
  }
  if (o.mode != "throughput" && o.mode != "connections" && o.mode != "topics" && o.mode != "http-publish") {
    return "--mode must be throughput, connections, topics or http-publish";
  }
  if (o.retain < 0 || o.retain_topics < 0) return "--retain and --retain-topics must be >= 0";
  if (o.client_style != "batched" && o.client_style != "per-frame") {
    return "--client-style must be batched or per-frame";
  }
  if (o.client_style == "per-frame") {
    if (o.mode != "throughput") return "--client-style per-frame is a throughput mode style";
    if (o.client_threads != 1) return "--client-style per-frame runs on one client thread (--client-threads 1)";
  }
  if (o.tls && o.mode == "http-publish") return "--tls is not supported in http-publish mode";
  if (o.poll_interval_us < 0) return "--poll-interval-us must be >= 0";
  if (o.ports.empty() || std::find(o.ports.begin(), o.ports.end(), 0) != o.ports.end()) {
    return "--port must be between 1 and 65535";
  }
  return nullptr;
}

}  // namespace

std::optional<Options> parse_options(int argc, char** argv, int& exit_code) {
  Options o;
  po::options_description d = describe(o);
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, d), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << "usage: pubsub-bench [options]\n\n" << d << "\n";
      exit_code = 0;
      return std::nullopt;
    }
  } catch (const po::error& e) {
    std::cerr << "pubsub-bench: " << e.what() << "\n";
    exit_code = 2;
    return std::nullopt;
  }
  // --server-pid 0 has always meant "sample nothing".
  std::erase_if(o.server_pids, [](int pid) { return pid <= 0; });
  if (const char* problem = invalid_combination(o)) {
    std::cerr << "pubsub-bench: " << problem << "\n";
    exit_code = 2;
    return std::nullopt;
  }
  return o;
}

std::string credential_headers(const Options& o) {
  std::string out;
  if (!o.api_key.empty()) out += "X-API-Key: " + o.api_key + "\r\n";
  if (!o.token.empty()) out += "Authorization: Bearer " + o.token + "\r\n";
  return out;
}

}  // namespace pubsub::bench
