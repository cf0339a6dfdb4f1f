#include "server/state_records.h"

#include "model/json_codec.h"

namespace gleaner {
namespace {

template <typename Restore, typename Decode>
Status RestoreRecords(const std::vector<StoredRecord>& records, const char* kind, Decode decode,
                      Restore restore) {
  for (const StoredRecord& record : records) {
    nlohmann::json json =
        nlohmann::json::parse(record.document, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) {
      return Status::Internal(std::string("store holds a ") + kind + " record \"" + record.key +
                              "\" that is not JSON");
    }
    auto decoded = decode(json);
    if (!decoded.ok()) {
      return Status::Internal(std::string("store holds a ") + kind + " record \"" + record.key +
                              "\" gleaner cannot read: " + decoded.status().message());
    }
    restore(std::move(decoded).value());
  }
  return Status::Ok();
}

}  // namespace

std::vector<Mutation> MutationsFor(const BatchState& state, const StateChanges& changes) {
  std::vector<Mutation> mutations;
  for (const std::string& name : changes.compute_environments) {
    if (const ComputeEnvironment* value = state.FindComputeEnvironment(name)) {
      mutations.push_back(
          Mutation::Put(RecordKind::kComputeEnvironment, name, ToRecord(*value).dump()));
    }
  }
  for (const std::string& name : changes.deleted_compute_environments) {
    mutations.push_back(Mutation::Delete(RecordKind::kComputeEnvironment, name));
  }
  for (const std::string& name : changes.scheduling_policies) {
    if (const SchedulingPolicy* value = state.FindSchedulingPolicy(name)) {
      mutations.push_back(
          Mutation::Put(RecordKind::kSchedulingPolicy, name, ToRecord(*value).dump()));
    }
  }
  for (const std::string& name : changes.deleted_scheduling_policies) {
    mutations.push_back(Mutation::Delete(RecordKind::kSchedulingPolicy, name));
  }
  for (const std::string& name : changes.job_queues) {
    if (const JobQueue* value = state.FindJobQueue(name)) {
      mutations.push_back(Mutation::Put(RecordKind::kJobQueue, name, ToRecord(*value).dump()));
    }
  }
  for (const std::string& name : changes.deleted_job_queues) {
    mutations.push_back(Mutation::Delete(RecordKind::kJobQueue, name));
  }
  for (const std::string& name_rev : changes.job_definitions) {
    if (const JobDefinition* value = state.FindJobDefinition(name_rev)) {
      mutations.push_back(
          Mutation::Put(RecordKind::kJobDefinition, name_rev, ToRecord(*value).dump()));
    }
  }
  for (const std::string& id : changes.deleted_jobs) {
    mutations.push_back(Mutation::Delete(RecordKind::kJob, id));
  }
  for (const std::string& id : changes.jobs) {
    if (const Job* value = state.FindJob(id)) {
      mutations.push_back(Mutation::Put(RecordKind::kJob, id, ToRecord(*value).dump()));
    }
  }
  return mutations;
}

Status RestoreFromRecords(const StoreSnapshot& snapshot, BatchState& state) {
  GLEANER_RETURN_IF_ERROR(RestoreRecords(
      snapshot.compute_environments, "compute environment", ComputeEnvironmentFromRecord,
      [&](ComputeEnvironment value) { state.RestoreComputeEnvironment(std::move(value)); }));
  GLEANER_RETURN_IF_ERROR(RestoreRecords(
      snapshot.scheduling_policies, "scheduling policy", SchedulingPolicyFromRecord,
      [&](SchedulingPolicy value) { state.RestoreSchedulingPolicy(std::move(value)); }));
  GLEANER_RETURN_IF_ERROR(
      RestoreRecords(snapshot.job_queues, "job queue", JobQueueFromRecord,
                     [&](JobQueue value) { state.RestoreJobQueue(std::move(value)); }));
  GLEANER_RETURN_IF_ERROR(
      RestoreRecords(snapshot.job_definitions, "job definition", JobDefinitionFromRecord,
                     [&](JobDefinition value) { state.RestoreJobDefinition(std::move(value)); }));
  return RestoreRecords(snapshot.jobs, "job", JobFromRecord,
                        [&](Job value) { state.RestoreJob(std::move(value)); });
}

}  // namespace gleaner
