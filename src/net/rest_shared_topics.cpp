// REST requests answered from the shared topics; see rest_shared_topics.h.
#include "net/rest_shared_topics.h"

#include <stdexcept>
#include <utility>

#include "core/broker.h"
#include "engine/store_ring.h"
#include "net/metrics_counts.h"
#include "net/rest_store_answers.h"

namespace pubsub::net {
namespace {

// Sends a PING, not awaited, to every server that counts as up: one that
// stopped answering (its connection open) is dropped within the command
// timeout, and the next /health finds it down.
void probe(engine::StoreRing& store) {
  for (std::size_t i = 0; i < store.size(); ++i) {
    if (store.up(i)) store.store(i).client().command({"PING"}, [](const redis::Reply&) {});
  }
}

// GET /health: the node's figures and the state of its connections to
// the servers (the shard's own and the node's live feed), which it then
// probes.
RestResponse shared_health(engine::StoreRing& store, const core::Broker& broker, const RestContext& context) {
  std::vector<StoreServerState> servers;
  servers.reserve(store.size());
  for (std::size_t i = 0; i < store.size(); ++i) {
    servers.push_back({store.urls()[i].endpoint(), store.up(i), store.last_error(i)});
  }
  if (context.live_feed != nullptr) count_live_feed(servers, *context.live_feed);
  RestResponse answer = health_answer(context, broker.topic_count(), broker.subscription_count(), servers);
  probe(store);
  return answer;
}

engine::OutgoingMessage outgoing(const protocol::MessageBody& message) { return {message.id_raw, message.payload_raw}; }

}  // namespace

SharedTopicsRequest::SharedTopicsRequest(engine::StoreRing& store, const core::Broker& broker,
                                         const RestContext& context, const RestRequest& request)
    : store_(store),
      broker_(broker),
      counters_(context.counters),
      counts_(context.counts),
      create_missing_(context.auto_create_topics) {
  RoutedRequest routed = route_request(context, request);
  action_ = routed.action;
  topic_ = std::move(routed.topic);
  if (action_ == RestAction::answered) {
    answer_ = std::move(routed.answer);
  } else if (action_ == RestAction::health) {
    answer_ = shared_health(store_, broker_, context);
  } else {
    check(context, request);
  }
}

void SharedTopicsRequest::check(const RestContext& context, const RestRequest& request) {
  switch (action_) {
    case RestAction::create_topic: {
      Checked<std::string> name = new_topic_name(request.body);
      if (name.refusal) answer_ = std::move(name.refusal);
      topic_ = std::move(name.value);
      break;
    }
    case RestAction::read_history: {
      Checked<HistoryQuery> query = history_query(request.target, broker_.options().history_size);
      if (query.refusal) answer_ = std::move(query.refusal);
      query_ = query.value;
      break;
    }
    case RestAction::publish: {
      Checked<protocol::MessageBody> message = message_to_publish(context, request.body);
      if (message.refusal) answer_ = std::move(message.refusal);
      messages_.push_back(outgoing(message.value));
      break;
    }
    case RestAction::publish_batch: {
      Checked<std::vector<protocol::MessageBody>> batch = messages_to_publish(context, request.body);
      if (batch.refusal) answer_ = std::move(batch.refusal);
      messages_.reserve(batch.value.size());
      for (const protocol::MessageBody& message : batch.value) messages_.push_back(outgoing(message));
      break;
    }
    default: break;
  }
}

void SharedTopicsRequest::start(Done done) {
  if (answer_) throw std::logic_error("SharedTopicsRequest::start() on a request answered already");
  const core::Broker& broker = broker_;
  switch (action_) {
    case RestAction::stats:
      store_.list_topics([&broker, counters = counters_, done = std::move(done)](auto result) {
        done(stats_answer(result, broker.all_topics(), counters));
      });
      return;
    case RestAction::list_topics:
      store_.list_topics(
          [&broker, done = std::move(done)](auto result) { done(topic_list_answer(result, broker.all_topics())); });
      return;
    case RestAction::create_topic:
      store_.create_topic(
          topic_, [topic = topic_, done = std::move(done)](auto result) { done(created_answer(topic, result)); });
      return;
    case RestAction::get_topic:
      store_.topic_info(topic_, [&broker, topic = topic_, done = std::move(done)](auto result) {
        done(topic_answer(topic, result, broker.topic_stats(topic)));
      });
      return;
    case RestAction::delete_topic:
      store_.delete_topic(
          topic_, [topic = topic_, done = std::move(done)](auto result) { done(deleted_answer(topic, result)); });
      return;
    case RestAction::read_history:
      store_.history(topic_, query_.since_seq, query_.limit,
                     [topic = topic_, done = std::move(done)](auto result) { done(history_answer(topic, result)); });
      return;
    case RestAction::publish:
    case RestAction::publish_batch: {
      const bool batch = action_ == RestAction::publish_batch;
      store_.publish(topic_, messages_, create_missing_,
                     [topic = topic_, batch, counts = counts_, done = std::move(done)](auto result) {
                       if (result.ok() && counts != nullptr) {
                         counts->published_http.add(result.value.last_seq - result.value.first_seq + 1);
                       }
                       done(published_answer(topic, result, batch));
                     });
      return;
    }
    case RestAction::answered:
    case RestAction::health: break;
  }
  throw std::logic_error("SharedTopicsRequest::start(): the action needs no store call");
}

}  // namespace pubsub::net
