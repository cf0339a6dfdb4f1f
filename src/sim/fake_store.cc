#include "sim/fake_store.h"

#include "model/json_codec.h"

namespace gleaner::sim {
namespace {

template <typename Decode, typename Restore>
Status RestoreRecords(const FakeStore::Records& records, const char* kind, Decode decode,
                      Restore restore) {
  for (const auto& [key, document] : records) {
    nlohmann::json json = nlohmann::json::parse(document, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) {
      return Status::Internal(std::string("the ") + kind + " record \"" + key + "\" is not JSON");
    }
    auto decoded = decode(json);
    if (!decoded.ok()) {
      return Status::Internal(std::string("the ") + kind + " record \"" + key +
                              "\" does not decode: " + decoded.status().message());
    }
    restore(std::move(decoded).value());
  }
  return Status::Ok();
}

}  // namespace

// The same puts and deletes, in the same order, as Engine::MutationsFor: within one kind the puts
// come before the deletes (jobs: deletes first), and a record named by a change but no longer in
// memory is not written.
void FakeStore::Apply(const BatchState& state, const StateChanges& changes) {
  for (const std::string& name : changes.compute_environments) {
    if (const ComputeEnvironment* value = state.FindComputeEnvironment(name)) {
      compute_environments_[name] = ToRecord(*value).dump();
    }
  }
  for (const std::string& name : changes.deleted_compute_environments) {
    compute_environments_.erase(name);
  }
  for (const std::string& name : changes.scheduling_policies) {
    if (const SchedulingPolicy* value = state.FindSchedulingPolicy(name)) {
      scheduling_policies_[name] = ToRecord(*value).dump();
    }
  }
  for (const std::string& name : changes.deleted_scheduling_policies) {
    scheduling_policies_.erase(name);
  }
  for (const std::string& name : changes.job_queues) {
    if (const JobQueue* value = state.FindJobQueue(name)) {
      job_queues_[name] = ToRecord(*value).dump();
    }
  }
  for (const std::string& name : changes.deleted_job_queues) job_queues_.erase(name);
  for (const std::string& name_rev : changes.job_definitions) {
    if (const JobDefinition* value = state.FindJobDefinition(name_rev)) {
      job_definitions_[name_rev] = ToRecord(*value).dump();
    }
  }
  for (const std::string& id : changes.deleted_jobs) jobs_.erase(id);
  for (const std::string& id : changes.jobs) {
    if (const Job* value = state.FindJob(id)) jobs_[id] = ToRecord(*value).dump();
  }
}

Status FakeStore::RestoreInto(BatchState& state) const {
  GLEANER_RETURN_IF_ERROR(RestoreRecords(
      compute_environments_, "compute environment", ComputeEnvironmentFromRecord,
      [&](ComputeEnvironment value) { state.RestoreComputeEnvironment(std::move(value)); }));
  GLEANER_RETURN_IF_ERROR(RestoreRecords(
      scheduling_policies_, "scheduling policy", SchedulingPolicyFromRecord,
      [&](SchedulingPolicy value) { state.RestoreSchedulingPolicy(std::move(value)); }));
  GLEANER_RETURN_IF_ERROR(
      RestoreRecords(job_queues_, "job queue", JobQueueFromRecord,
                     [&](JobQueue value) { state.RestoreJobQueue(std::move(value)); }));
  GLEANER_RETURN_IF_ERROR(
      RestoreRecords(job_definitions_, "job definition", JobDefinitionFromRecord,
                     [&](JobDefinition value) { state.RestoreJobDefinition(std::move(value)); }));
  return RestoreRecords(jobs_, "job", JobFromRecord,
                        [&](Job value) { state.RestoreJob(std::move(value)); });
}

}  // namespace gleaner::sim
