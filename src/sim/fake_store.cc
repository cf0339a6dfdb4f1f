#include "sim/fake_store.h"

#include "server/state_records.h"

namespace gleaner::sim {

FakeStore::Records& FakeStore::TableOf(RecordKind kind) {
  switch (kind) {
    case RecordKind::kComputeEnvironment:
      return compute_environments_;
    case RecordKind::kJobQueue:
      return job_queues_;
    case RecordKind::kJobDefinition:
      return job_definitions_;
    case RecordKind::kSchedulingPolicy:
      return scheduling_policies_;
    case RecordKind::kCapacity:
      return capacity_;
    case RecordKind::kJob:
      break;
  }
  return jobs_;
}

// Exactly the mutations the engine commits, applied as the store applies them.
void FakeStore::Apply(const BatchState& state, const StateChanges& changes) {
  Apply(MutationsFor(state, changes));
}

void FakeStore::Apply(std::vector<Mutation> mutations) {
  for (Mutation& mutation : mutations) {
    Records& table = TableOf(mutation.kind);
    if (mutation.is_delete) {
      table.erase(mutation.key);
    } else {
      table[mutation.key] = std::move(mutation.document);
    }
  }
}

StoreSnapshot FakeStore::Snapshot() const {
  auto rows = [](const Records& records) {
    std::vector<StoredRecord> out;
    for (const auto& [key, document] : records) out.push_back({key, document});
    return out;
  };
  return StoreSnapshot{rows(compute_environments_), rows(job_queues_), rows(job_definitions_),
                       rows(scheduling_policies_),  rows(jobs_),       rows(capacity_)};
}

Status FakeStore::RestoreInto(BatchState& state) const {
  return RestoreFromRecords(Snapshot(), state);
}

}  // namespace gleaner::sim
