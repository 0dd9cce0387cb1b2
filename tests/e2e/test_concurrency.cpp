// End-to-end: many publishers and subscribers on several client threads
// against a server on 1, 2 and 4 threads. Every subscriber must get every
// message of its topics exactly once, in seq order, with each publisher's
// messages in the order they were sent. Also run under ThreadSanitizer.
#include <atomic>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <map>

#include "e2e/harness.h"

using namespace pubsub::e2e;
namespace json = boost::json;

TEST_CASE("many publishers and subscribers on many threads: exactly once, in order") {
  const int server_threads = GENERATE(1, 2, 4);
  ServerProcess server({"--threads", std::to_string(server_threads), "--max-queue", "100000"});
  const std::vector<std::string> topics = {"t0", "t1", "t2"};
  for (const auto& t : topics) REQUIRE(create_topic(server.port(), t) == 201);

  const int publishers = 4;
  const int per_publisher = 300;  // each publisher sends this many to every topic
  const int subscribers_per_topic = 3;

  // Subscribers: index s subscribes to topics[s % 3]; the last one to all.
  struct Sub {
    std::vector<std::string> topics;
    std::unique_ptr<WsClient> ws;
  };
  std::vector<Sub> subs;
  for (int s = 0; s < subscribers_per_topic * 3; ++s) subs.push_back({{topics[s % 3]}, nullptr});
  subs.push_back({topics, nullptr});
  for (auto& sub : subs) {
    sub.ws = std::make_unique<WsClient>(server.port());
    for (const auto& t : sub.topics) sub.ws->subscribe(t);
  }

  std::atomic<int> failures{0};
  std::vector<TestThread> readers;
  for (auto& sub : subs) {
    readers.emplace_back([&sub, &failures, per_publisher, publishers] {
      std::map<std::string, std::int64_t> last_seq;
      std::map<std::pair<std::string, std::int64_t>, std::int64_t> last_n;
      const int expected = static_cast<int>(sub.topics.size()) * publishers * per_publisher;
      for (int i = 0; i < expected; ++i) {
        json::object e;
        try {
          e = sub.ws->next(20s);
        } catch (...) {
          failures++;
          return;
        }
        std::string topic(e.at("topic").as_string());
        std::int64_t seq = e.at("seq").as_int64();
        if (seq != last_seq[topic] + 1) failures++;
        last_seq[topic] = seq;
        auto payload = e.at("message").at("payload").as_object();
        auto key = std::make_pair(topic, payload.at("p").as_int64());
        std::int64_t n = payload.at("n").as_int64();
        if (last_n.contains(key) && n != last_n[key] + 1) failures++;
        last_n[key] = n;
      }
      if (!sub.ws->silent_for(200ms)) failures++;
    });
  }

  std::vector<TestThread> writers;
  for (int p = 0; p < publishers; ++p) {
    writers.emplace_back([&, p] {
      WsClient ws(server.port());
      for (int n = 0; n < per_publisher; ++n) {
        for (const auto& t : topics) ws.send_json(publish_request(t, json::object{{"p", p}, {"n", n}}));
        for (std::size_t i = 0; i < topics.size(); ++i) {
          if (ws.next(20s).at("type") != "ack") failures++;
        }
      }
    });
  }
  for (auto& t : writers) t.join();
  for (auto& t : readers) t.join();
  CHECK(failures.load() == 0);

  auto stats = http(server.port(), "GET", "/stats").json().at("topics").as_object();
  for (const auto& t : topics) CHECK(stats.at(t).at("messages").as_int64() == publishers * per_publisher);
}

TEST_CASE("subscribers that come and go while others publish leave no subscription behind") {
  const int server_threads = GENERATE(1, 3);
  ServerProcess server({"--threads", std::to_string(server_threads)});
  REQUIRE(create_topic(server.port(), "churn") == 201);
  TestThread publisher([&](std::stop_token stop) {
    WsClient ws(server.port());
    while (!stop.stop_requested()) ws.publish("churn", 1);
  });
  std::vector<TestThread> churners;
  for (int c = 0; c < 3; ++c) {
    churners.emplace_back([&, c] {
      for (int i = 0; i < 15; ++i) {
        WsClient ws(server.port());
        ws.subscribe("churn");
        ws.next();
        if ((i + c) % 2 == 0) ws.abort();  // no close frame
      }
    });
  }
  for (auto& t : churners) t.join();
  publisher.request_stop();
  publisher.join();
  CHECK(eventually([&] { return health_subscribers(server.port()) == 0; }, 3s));
}

TEST_CASE("many resumers reconnecting while publishers publish on several threads: no gap, no repeat") {
  const int server_threads = GENERATE(2, 4);
  ServerProcess server(
      {"--threads", std::to_string(server_threads), "--history-size", "5000", "--max-queue", "100000"});
  const std::vector<std::string> topics = {"r0", "r1"};
  for (const auto& t : topics) REQUIRE(create_topic(server.port(), t) == 201);
  const int per_publisher = 400;  // to every topic
  const int publishers = 4;       // two over WebSocket, two over HTTP
  const std::int64_t total = std::int64_t{per_publisher} * publishers;

  // Catch's assertions are not thread-safe: the threads count failures.
  std::atomic<int> failures{0};
  std::vector<TestThread> threads;
  for (int p = 0; p < publishers; ++p) {
    threads.emplace_back([&, p] {
      if (p % 2 == 0) {
        WsClient ws(server.port());
        for (int i = 0; i < per_publisher; ++i) {
          for (const auto& t : topics) {
            if (ws.publish(t, i).at("type") != "ack") failures++;
          }
        }
      } else {
        HttpConnection rest(server.port());
        for (int i = 0; i < per_publisher; ++i) {
          for (const auto& t : topics) {
            const std::string body = json::serialize(json::object{{"id", uuid()}, {"payload", i}});
            auto r = rest.request("POST", "/topics/" + t + "/messages", body);
            if (!r || r->status != 201) failures++;
          }
        }
      }
    });
  }
  const int resumers = 6;
  for (int r = 0; r < resumers; ++r) {
    threads.emplace_back([&, r] {
      const std::string topic = topics[r % topics.size()];
      std::int64_t last = 0;
      std::string epoch;
      std::int64_t expected = 1;
      int round = 0;
      while (last < total) {
        WsClient ws(server.port());
        json::object request{{"type", "subscribe"}, {"topic", topic}, {"client_id", "r"}, {"since_seq", last}};
        if (!epoch.empty()) request["epoch"] = epoch;
        ws.send_json(request);
        json::object ack = ws.next(20s);
        if (ack.at("type") != "ack" || ack.at("recovered") != true) {
          failures++;
          return;
        }
        epoch = std::string(ack.at("epoch").as_string());
        // Read a different number of events each round, then drop.
        const int take = 50 + 37 * ((r + round++) % 5);
        for (int n = 0; n < take && last < total; ++n) {
          json::object event = ws.next(20s);
          if (event.at("type") != "event" || event.at("seq").as_int64() != expected) {
            failures++;
            return;
          }
          last = expected++;
        }
        ws.abort();
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
}
