#include "server/state_records.h"

#include "model/json_codec.h"
#include "server/record_json.h"

namespace gleaner {
namespace {

// Parses and decodes one record (on a decoding thread), naming the record in the error.
template <typename Decode>
auto DecodeRecord(const StoredRecord& record, const char* kind, Decode decode)
    -> decltype(decode(nlohmann::json())) {
  nlohmann::json json = ParseRecordJson(record.document);
  if (json.is_discarded()) {
    return Status::Internal(std::string("store holds a ") + kind + " record \"" + record.key +
                            "\" that is not JSON");
  }
  auto decoded = decode(std::move(json));
  if (!decoded.ok()) {
    return Status::Internal(std::string("store holds a ") + kind + " record \"" + record.key +
                            "\" gleaner cannot read: " + decoded.status().message());
  }
  return decoded;
}

// Records are independent of each other until they meet in BatchState: decoded in parallel,
// restored one at a time in store order on the calling thread.
template <typename T, typename Decode, typename Restore>
Status RestoreRecords(const std::vector<StoredRecord>& records, const char* kind, Decode decode,
                      Restore restore, ParallelDecodeStats* stats) {
  return DecodeInOrder<T>(
      records.size(), [&](size_t index) { return DecodeRecord(records[index], kind, decode); },
      restore, ParallelDecodeOptions{}, stats);
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
  for (const auto& [id, attempts] : changes.deleted_jobs) {
    mutations.push_back(Mutation::Delete(RecordKind::kJob, id));
  }
  for (const std::string& id : changes.jobs) {
    if (const Job* value = state.FindJob(id)) {
      mutations.push_back(Mutation::Put(RecordKind::kJob, id, ToRecord(*value).dump()));
    }
  }
  return mutations;
}

Status RestoreFromRecords(const StoreSnapshot& snapshot, BatchState& state,
                          ParallelDecodeStats* stats) {
  GLEANER_RETURN_IF_ERROR(RestoreRecords<ComputeEnvironment>(
      snapshot.compute_environments, "compute environment", ComputeEnvironmentFromRecord,
      [&](ComputeEnvironment&& value) { state.RestoreComputeEnvironment(std::move(value)); },
      stats));
  GLEANER_RETURN_IF_ERROR(RestoreRecords<SchedulingPolicy>(
      snapshot.scheduling_policies, "scheduling policy", SchedulingPolicyFromRecord,
      [&](SchedulingPolicy&& value) { state.RestoreSchedulingPolicy(std::move(value)); }, stats));
  GLEANER_RETURN_IF_ERROR(RestoreRecords<JobQueue>(
      snapshot.job_queues, "job queue", JobQueueFromRecord,
      [&](JobQueue&& value) { state.RestoreJobQueue(std::move(value)); }, stats));
  GLEANER_RETURN_IF_ERROR(RestoreRecords<JobDefinition>(
      snapshot.job_definitions, "job definition", JobDefinitionFromRecord,
      [&](JobDefinition&& value) { state.RestoreJobDefinition(std::move(value)); }, stats));
  // The parsed record is thrown away: the job takes its strings instead of copying them.
  return RestoreRecords<Job>(
      snapshot.jobs, "job",
      [](nlohmann::json&& record) { return JobFromRecord(std::move(record)); },
      [&](Job&& value) { state.RestoreJob(std::move(value)); }, stats);
}

}  // namespace gleaner
