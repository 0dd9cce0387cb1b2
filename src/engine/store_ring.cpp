// Topics spread over several servers; see store_ring.h.
#include "engine/store_ring.h"

#include <algorithm>
#include <stdexcept>

#include "engine/jump_hash.h"

namespace pubsub::engine {
namespace {

bool same_host(std::string_view a, std::string_view b) {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return std::ranges::equal(a, b, {}, lower, lower);
}

// Throws std::invalid_argument unless `urls` has at least one server and
// names each server and database once.
void check_servers(const std::vector<redis::RedisUrl>& urls) {
  if (urls.empty()) throw std::invalid_argument("no Valkey/Redis server given");
  for (std::size_t i = 0; i < urls.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      const redis::RedisUrl& a = urls[i];
      const redis::RedisUrl& b = urls[j];
      if (a.port == b.port && a.db == b.db && same_host(a.host, b.host)) {
        throw std::invalid_argument("the Valkey/Redis server " + a.endpoint() + " (database " + std::to_string(a.db) +
                                    ") is given twice");
      }
    }
  }
}

// Collects the lists of every server and answers once: the merged list
// when all are in, or the first `unavailable`.
struct RingListing {
  StoreHandler<std::vector<TopicListing>> handler;
  std::size_t servers = 0;
  std::size_t awaited = 0;
  bool answered = false;
  std::vector<TopicListing> topics;

  void take(std::size_t server, StoreResult<std::vector<TopicListing>> result) {
    --awaited;
    if (answered) return;
    if (!result.ok()) {
      answered = true;
      handler({result.status, {}, std::move(result.detail)});
      return;
    }
    for (TopicListing& topic : result.value) {
      if (server_of_topic(topic.name, servers) == server) topics.push_back(std::move(topic));
    }
    if (awaited > 0) return;
    answered = true;
    std::sort(topics.begin(), topics.end(),
              [](const TopicListing& a, const TopicListing& b) { return a.name < b.name; });
    handler({StoreStatus::ok, std::move(topics), {}});
  }
};

}  // namespace

StoreRing::StoreRing(boost::asio::io_context& io, std::vector<redis::RedisUrl> urls, RedisStoreOptions options,
                     redis::ConnectionOptions connection)
    : urls_(std::move(urls)) {
  check_servers(urls_);
  stores_.reserve(urls_.size());
  for (const redis::RedisUrl& url : urls_) {
    stores_.push_back(std::make_unique<RedisStore>(io, url, options, connection));
  }
}

void StoreRing::on_state(RingStateHandler handler) {
  auto shared = std::make_shared<RingStateHandler>(std::move(handler));
  for (std::size_t server = 0; server < stores_.size(); ++server) {
    stores_[server]->on_state(
        [shared, server](redis::LinkState state, std::string_view detail) { (*shared)(server, state, detail); });
  }
}

void StoreRing::start() {
  for (const auto& store : stores_) store->start();
}

std::size_t StoreRing::server_of(std::string_view topic) const { return server_of_topic(topic, stores_.size()); }

bool StoreRing::up() const {
  return std::ranges::all_of(stores_, [](const auto& store) { return store->up(); });
}

std::size_t StoreRing::servers_up() const {
  return static_cast<std::size_t>(std::ranges::count_if(stores_, [](const auto& store) { return store->up(); }));
}

void StoreRing::create_topic(std::string_view topic, StoreHandler<TopicPosition> handler) {
  store_of(topic).create_topic(topic, std::move(handler));
}

void StoreRing::delete_topic(std::string_view topic, StoreHandler<TopicPosition> handler) {
  store_of(topic).delete_topic(topic, std::move(handler));
}

void StoreRing::publish(std::string_view topic, std::span<const OutgoingMessage> messages, bool create_missing,
                        StoreHandler<PublishReceipt> handler) {
  store_of(topic).publish(topic, messages, create_missing, std::move(handler));
}

void StoreRing::publish(std::string_view topic, OutgoingMessage message, bool create_missing,
                        StoreHandler<PublishReceipt> handler) {
  store_of(topic).publish(topic, message, create_missing, std::move(handler));
}

void StoreRing::topic_info(std::string_view topic, StoreHandler<TopicInfo> handler) {
  store_of(topic).topic_info(topic, std::move(handler));
}

void StoreRing::history(std::string_view topic, std::uint64_t since_seq, std::size_t limit,
                        StoreHandler<HistoryPage> handler) {
  store_of(topic).history(topic, since_seq, limit, std::move(handler));
}

void StoreRing::last_n(std::string_view topic, std::size_t n, StoreHandler<HistoryPage> handler) {
  store_of(topic).last_n(topic, n, std::move(handler));
}

void StoreRing::list_topics(StoreHandler<std::vector<TopicListing>> handler) {
  auto listing = std::make_shared<RingListing>();
  listing->handler = std::move(handler);
  listing->servers = stores_.size();
  listing->awaited = stores_.size();
  for (std::size_t server = 0; server < stores_.size(); ++server) {
    stores_[server]->list_topics(
        [listing, server](StoreResult<std::vector<TopicListing>> result) { listing->take(server, std::move(result)); });
  }
}

}  // namespace pubsub::engine
