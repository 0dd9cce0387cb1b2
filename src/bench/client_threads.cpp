// pubsub-bench's Asio client threads; see client_threads.h.
#include "bench/client_threads.h"

namespace pubsub::bench {

ClientThreads::ClientThreads(int threads) {
  for (int i = 0; i < threads; ++i) {
    contexts_.push_back(std::make_unique<asio::io_context>(1));
    stats_.push_back(std::make_unique<ThreadStats>());
  }
}

void ClientThreads::start() {
  for (auto& c : contexts_) {
    guards_.emplace_back(c->get_executor());
    threads_.emplace_back([ctx = c.get()] { ctx->run(); });
  }
}

void ClientThreads::stop() {
  for (auto& c : contexts_) c->stop();
  for (auto& t : threads_) t.join();
}

}  // namespace pubsub::bench
