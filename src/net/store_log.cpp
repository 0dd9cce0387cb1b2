// Logging the store's connections; see store_log.h.
#include "net/store_log.h"

#include "common/log.h"
#include "engine/store_ring.h"

namespace pubsub::net {

void log_store_changes(engine::StoreRing& ring) {
  ring.on_state([&ring](std::size_t server, redis::LinkState state, std::string_view detail) {
    const std::string endpoint = ring.urls()[server].endpoint();
    if (state == redis::LinkState::up) {
      log::info("valkey/redis connected", {{"server", endpoint}});
    } else {
      log::warn("valkey/redis connection lost; reconnecting", {{"server", endpoint}, {"error", detail}});
    }
  });
}

}  // namespace pubsub::net
