#pragma once

#include <map>
#include <string>

#include "common/status.h"
#include "scheduler/batch_state.h"
#include "store/store.h"

namespace gleaner::sim {

// The store as the engine uses it: one JSON document per record, keyed like the real tables, kept
// in key order (the order SqliteStore::Load returns them in). Changes become records through the
// engine's own MutationsFor and come back through its RestoreFromRecords (server/state_records.h),
// so a reload from here is what a restarted server would see.
class FakeStore {
 public:
  using Records = std::map<std::string, std::string>;  // key -> ToRecord(...).dump()

  void Apply(const BatchState& state, const StateChanges& changes);
  // Mutations as a committed batch applies them (the capacity providers' records too).
  void Apply(std::vector<Mutation> mutations);
  // Everything, per kind in key order, as Store::Load gives it.
  StoreSnapshot Snapshot() const;
  // Restore*() every record into `state` in store order, as Engine::Start does; the caller
  // decides whether and when to call FinishRestore().
  Status RestoreInto(BatchState& state) const;

  const Records& compute_environments() const { return compute_environments_; }
  const Records& job_queues() const { return job_queues_; }
  const Records& scheduling_policies() const { return scheduling_policies_; }
  const Records& job_definitions() const { return job_definitions_; }  // "name:revision"
  const Records& jobs() const { return jobs_; }

 private:
  Records& TableOf(RecordKind kind);

  Records compute_environments_;
  Records job_queues_;
  Records scheduling_policies_;
  Records job_definitions_;
  Records jobs_;
  Records capacity_;  // the providers' records (the simulated cloud's, in the engine simulation)
};

}  // namespace gleaner::sim
