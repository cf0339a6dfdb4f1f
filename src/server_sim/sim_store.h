#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <vector>

#include "sim/fake_store.h"
#include "store/store.h"

namespace gleaner::sim {

// The store as the real engine uses it, with the disk's latency and a crash under the
// simulation's control. Commit() only queues a batch; the simulation makes the oldest batches
// durable when it chooses (MakeDurable), in the order they were committed, as SqliteStore's group
// commit does. A crash loses every batch not durable yet, and their `done` never runs.
class SimStore final : public Store {
 public:
  Result<StoreSnapshot> Load() override { return durable_.Snapshot(); }
  void Commit(std::vector<Mutation> batch, std::function<void(Status)> done) override;
  // Everything queued becomes durable.
  void Flush() override { MakeDurable(pending_.size()); }

  // The `count` oldest batches become durable and their `done` runs, oldest first.
  void MakeDurable(size_t count);
  // The server died: what was not durable is gone.
  void Crash() { pending_.clear(); }

  size_t pending() const { return pending_.size(); }
  // What a restarted server would load.
  const FakeStore& durable() const { return durable_; }

 private:
  struct Batch {
    std::vector<Mutation> mutations;
    std::function<void(Status)> done;
  };

  FakeStore durable_;
  std::deque<Batch> pending_;
};

}  // namespace gleaner::sim
