// History and publishing over HTTP in memory mode; see rest_messages.h.
#include "net/rest_messages.h"

#include <vector>

#include "core/broker.h"
#include "net/broker_frames.h"
#include "net/rest_bodies.h"
#include "net/rest_requests.h"
#include "protocol/websocket_frame.h"

namespace pubsub::net {
namespace {

using protocol::ErrorCode;

std::string_view event_json(const core::Event& event) { return protocol::server_frame_payload(event.bytes()); }

// The answer to a publish: its seq, or a batch's first and last.
RestResponse published(std::string_view name, const core::PublishResult& result, bool batch) {
  return {201, published_body(name, result.first_seq, result.seq, batch), {}};
}

// The answer to a publish the broker did not take.
RestResponse not_published(std::string_view name, const core::PublishResult& result) {
  if (result.topic_limit_reached) {
    return rest_error(ErrorCode::limit_exceeded,
                      "topic '" + std::string(name) + "' cannot be created: the server holds --max-topics topics");
  }
  return topic_not_found(name);
}

RestResponse publish_one(core::Broker& broker, const RestContext& context, std::string_view name,
                         std::string_view body) {
  Checked<protocol::MessageBody> message = message_to_publish(context, body);
  if (message.refusal) return std::move(*message.refusal);
  const PublishEncoder encoder(message.value.id_raw, message.value.payload_raw);
  const core::PublishResult result = broker.publish(context.shard, name, context.auto_create_topics, encoder);
  if (!result.found) return not_published(name, result);
  if (context.counts != nullptr) context.counts->published_http.add();
  return published(name, result, false);
}

RestResponse publish_batch(core::Broker& broker, const RestContext& context, std::string_view name,
                           std::string_view body) {
  Checked<std::vector<protocol::MessageBody>> messages = messages_to_publish(context, body);
  if (messages.refusal) return std::move(*messages.refusal);
  std::vector<PublishEncoder> encoders;
  encoders.reserve(messages.value.size());
  for (const protocol::MessageBody& message : messages.value)
    encoders.emplace_back(message.id_raw, message.payload_raw);
  std::vector<const core::EventEncoder*> pointers;
  pointers.reserve(encoders.size());
  for (const PublishEncoder& encoder : encoders) pointers.push_back(&encoder);
  const core::PublishResult result = broker.publish_all(context.shard, name, context.auto_create_topics, pointers);
  if (!result.found) return not_published(name, result);
  if (context.counts != nullptr) context.counts->published_http.add(result.seq - result.first_seq + 1);
  return published(name, result, true);
}

}  // namespace

RestResponse read_history(const core::Broker& broker, std::string_view name, std::string_view target) {
  Checked<HistoryQuery> query = history_query(target, broker.options().history_size);
  if (query.refusal) return std::move(*query.refusal);
  auto page = broker.history(name, query.value.since_seq, query.value.limit);
  if (!page) return topic_not_found(name);
  std::size_t bytes = 0;
  for (const core::EventRef& event : page->events) bytes += event->size();
  HistoryBody body(page->name, page->epoch.text(), page->seq, bytes);
  for (const core::EventRef& event : page->events) body.add_event(event_json(*event));
  return {200, body.finish(), {}};
}

RestResponse publish_messages(core::Broker& broker, const RestContext& context, std::string_view name,
                              std::string_view body, bool batch) {
  return batch ? publish_batch(broker, context, name, body) : publish_one(broker, context, name, body);
}

}  // namespace pubsub::net
