// The counts behind GET /metrics (contract section 14) that the server
// keeps itself. Per shard (ShardCounts, in the shard's ConnectionContext):
// requests, publishes, deliveries with their latency, and queue lengths at
// a write, each written on the shard's thread only, with plain loads and
// stores (metrics/counter.h), so that counting a delivery costs no
// cross-thread read-modify-write. Server-wide (ServerCounts): what happens
// at most once per connection (accepted, rejected, ended), as relaxed
// atomics.
//
// ShardCounts: counted on its shard's thread, read on any. ServerCounts:
// any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "metrics/counter.h"
#include "metrics/histogram.h"
#include "net/close_reason.h"
#include "protocol/error_code.h"
#include "protocol/message_types.h"
#include "protocol/messages.h"

namespace pubsub::net {

// Why the server refused a connection (pubsub_connections_rejected_total).
enum class RejectReason : std::uint8_t { max_connections, unauthorized, forbidden_origin, bad_request };

inline constexpr std::size_t kRejectReasons = 4;
inline constexpr std::size_t kCloseReasons = static_cast<std::size_t>(CloseReason::error) + 1;
inline constexpr std::size_t kErrorCodes = protocol::kErrorCodeCount;
inline constexpr std::size_t kRequestTypes = protocol::kRequestTypes.size();
// A request's result: ok, or one of the error codes.
inline constexpr std::size_t kRequestResults = kErrorCodes + 1;

// pubsub_delivery_latency_seconds buckets, in nanoseconds: 25 us to 10 s.
inline constexpr std::array<std::uint64_t, 16> kDeliveryLatencyBoundsNs{
    25'000,     50'000,     100'000,    250'000,     500'000,     1'000'000,     2'500'000,     5'000'000,
    10'000'000, 25'000'000, 50'000'000, 100'000'000, 250'000'000, 1'000'000'000, 2'500'000'000, 10'000'000'000};
// pubsub_outbound_queue_frames buckets.
inline constexpr std::array<std::uint64_t, 13> kQueueFramesBounds{0,  1,   2,   4,    8,    16,   32,
                                                                  64, 128, 256, 1024, 4096, 16384};

std::string_view to_string(RejectReason reason);
std::string_view to_string(protocol::RequestType type);
// An error code as a metric label: "bad_request", "topic_not_found", ...
std::string label_of(protocol::ErrorCode code);

struct ShardCounts {
  metrics::ThreadCounter published_websocket;
  metrics::ThreadCounter published_http;
  // Indexed by request_slot().
  std::array<metrics::ThreadCounter, kRequestTypes * kRequestResults> requests;
  // One observation per delivered event: its count is the number delivered.
  metrics::ThreadHistogram delivery_latency_ns{kDeliveryLatencyBoundsNs};
  metrics::ThreadHistogram queue_frames{kQueueFramesBounds};
  // --engine redis: publish acks that waited kAckAwaitsEventTimeout for
  // their publisher's own event and went ahead of it.
  metrics::ThreadCounter acks_ahead_of_event;

  // Counts a request of `type` that ended in `error`, or went well.
  void count_request(protocol::RequestType type, std::optional<protocol::ErrorCode> error) {
    requests[request_slot(type, error)].add();
  }
  static std::size_t request_slot(protocol::RequestType type, std::optional<protocol::ErrorCode> error) {
    return static_cast<std::size_t>(type) * kRequestResults + (error ? 1 + static_cast<std::size_t>(*error) : 0);
  }
};

struct ServerCounts {
  std::atomic<std::uint64_t> accepted{0};
  std::array<std::atomic<std::uint64_t>, kRejectReasons> rejected{};
  std::array<std::atomic<std::uint64_t>, kCloseReasons> disconnects{};

  void count_rejected(RejectReason reason) {
    rejected[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
  }
  void count_disconnect(CloseReason reason) {
    disconnects[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
  }
};

}  // namespace pubsub::net
