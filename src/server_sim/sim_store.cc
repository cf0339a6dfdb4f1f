#include "server_sim/sim_store.h"

#include <utility>

namespace gleaner::sim {

void SimStore::Commit(std::vector<Mutation> batch, std::function<void(Status)> done) {
  pending_.push_back({std::move(batch), std::move(done)});
}

void SimStore::MakeDurable(size_t count) {
  for (size_t i = 0; i < count && !pending_.empty(); ++i) {
    // Taken off the queue first: `done` may commit again (it runs the engine's callbacks).
    Batch batch = std::move(pending_.front());
    pending_.pop_front();
    durable_.Apply(std::move(batch.mutations));
    if (batch.done) batch.done(Status::Ok());
  }
}

}  // namespace gleaner::sim
