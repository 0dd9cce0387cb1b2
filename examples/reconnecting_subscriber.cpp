// A subscriber that never loses a message across a reconnect: the loop of
// docs/resume.md, on Boost.Beast's synchronous WebSocket client.
//
//   reconnecting_subscriber --port 8080 --topic orders [--count N] [--drop-every K]
//
// It keeps the (epoch, seq) of the last event it handled. On every
// reconnect it subscribes with them; the server replays what it missed,
// then live events, with no gap and no repeat. When the ack says
// "recovered": false, some messages are gone (the history wrapped, or the
// topic is a new life: deleted and re-created, or a server restart), and
// the client reloads its state from its source of truth.
//
// --count N ends the program after N events; --drop-every K drops the TCP
// connection (no close frame, as a network would) after every K events, to
// watch the resume at work. Prints one line per event and per (re)subscribe.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace json = boost::json;
using tcp = asio::ip::tcp;

struct Options {
  std::string host = "127.0.0.1";
  std::string port = "8080";
  std::string topic;
  std::uint64_t count = 0;       // 0: run forever
  std::uint64_t drop_every = 0;  // 0: never drop on purpose
};

// Where the client is in the topic: the last event it handled.
struct Position {
  std::string epoch;
  std::uint64_t seq = 0;
};

std::optional<Options> parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--host") o.host = value;
    else if (flag == "--port") o.port = value;
    else if (flag == "--topic") o.topic = value;
    else if (flag == "--count") o.count = std::stoull(value);
    else if (flag == "--drop-every") o.drop_every = std::stoull(value);
    else return std::nullopt;
  }
  if (o.topic.empty()) return std::nullopt;
  return o;
}

// The subscribe request: a resume once we hold a position.
std::string subscribe_request(const Options& o, const std::optional<Position>& position) {
  json::object request{{"type", "subscribe"}, {"topic", o.topic}, {"client_id", "example"}};
  if (position) {
    request["since_seq"] = position->seq;
    request["epoch"] = position->epoch;
  }
  return json::serialize(request);
}

// What an application does when messages are gone: reload from the system
// of record (a database, a REST call). Here it only says so.
void reload_from_source_of_truth(const Options& o) {
  std::cout << "recovered=false: reloading " << o.topic << " from the source of truth" << std::endl;
}

// One connection: subscribes (resuming from `position`), then handles
// events until the connection ends. Returns true when --count is reached.
bool run_connection(const Options& o, std::optional<Position>& position, std::uint64_t& handled) {
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::websocket::stream<tcp::socket> ws(ioc);
  asio::connect(ws.next_layer(), resolver.resolve(o.host, o.port));
  ws.handshake(o.host + ":" + o.port, "/ws");
  ws.text(true);
  ws.write(asio::buffer(subscribe_request(o, position)));

  std::uint64_t on_this_connection = 0;
  beast::flat_buffer buffer;
  for (;;) {
    buffer.clear();
    ws.read(buffer);
    const json::object frame = json::parse(beast::buffers_to_string(buffer.data())).as_object();
    const std::string_view type = frame.at("type").as_string();
    if (type == "ack") {
      const std::string epoch(frame.at("epoch").as_string());
      const bool resumed = frame.contains("recovered");
      std::cout << (resumed ? "resumed" : "subscribed") << " epoch=" << epoch << " seq=" << frame.at("seq");
      if (resumed) std::cout << " recovered=" << frame.at("recovered");
      std::cout << std::endl;
      if (resumed && !frame.at("recovered").as_bool()) reload_from_source_of_truth(o);
      // From here on, positions are of this life of the topic.
      if (!position || position->epoch != epoch) position = Position{epoch, frame.at("seq").to_number<std::uint64_t>()};
    } else if (type == "event") {
      const auto seq = frame.at("seq").to_number<std::uint64_t>();
      std::cout << "event seq=" << seq << " payload=" << json::serialize(frame.at("message").at("payload"))
                << std::endl;
      position->seq = seq;  // handled: the next resume starts after it
      if (o.count != 0 && ++handled >= o.count) return true;
      if (o.drop_every != 0 && ++on_this_connection % o.drop_every == 0) {
        ws.next_layer().close();  // as a network drop: no close frame
        return false;
      }
    } else if (type == "info" && frame.contains("msg") && frame.at("msg") == "topic_deleted") {
      // The topic may come back as a new life: subscribe again, and the
      // ack will say whether anything was lost.
      std::cout << "topic deleted; subscribing again" << std::endl;
      return false;
    } else if (type == "error") {
      // TOPIC_NOT_FOUND while the topic is being re-created, or the
      // server shutting down: try again after a pause.
      std::cout << "error " << json::serialize(frame.at("error")) << std::endl;
      return false;
    }
  }
}

int main(int argc, char** argv) {
  const std::optional<Options> options = parse(argc, argv);
  if (!options) {
    std::cerr << "usage: reconnecting_subscriber --topic T [--host H] [--port P] [--count N] [--drop-every K]\n";
    return 2;
  }
  std::optional<Position> position;
  std::uint64_t handled = 0;
  for (;;) {
    try {
      if (run_connection(*options, position, handled)) return 0;
    } catch (const std::exception& e) {
      std::cout << "connection lost (" << e.what() << ")" << std::endl;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // then reconnect
  }
}
