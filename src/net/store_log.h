// The log lines of a node's connections to its Valkey/Redis servers
// (--engine redis): one when a server's connection comes up, one when it
// is lost, naming the server by host:port (never the credentials). Every
// shard has a StoreRing of its own; only one of them, shard 0's, is
// logged, so that a change is told once, not once per shard.
//
// The ring's thread, before the ring starts.
#pragma once

namespace pubsub::engine {
class StoreRing;
}

namespace pubsub::net {

// Logs each change of `ring`'s connections; call before ring.start().
void log_store_changes(engine::StoreRing& ring);

}  // namespace pubsub::net
