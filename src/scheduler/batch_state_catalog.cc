// BatchState: compute environments, job queues, scheduling policies and job definitions.
#include <algorithm>

#include "model/arn.h"
#include "scheduler/batch_state.h"

namespace gleaner {
namespace {

bool IsFargateType(const std::string& type) { return type == "FARGATE" || type == "FARGATE_SPOT"; }

Status CheckVcpuBounds(const ComputeResources& resources) {
  int min = resources.minv_cpus.value_or(0);
  if (min > resources.maxv_cpus) {
    return Status::InvalidArgument("computeResources.minvCpus (" + std::to_string(min) +
                                   ") must not exceed maxvCpus (" +
                                   std::to_string(resources.maxv_cpus) + ")");
  }
  if (resources.desiredv_cpus &&
      (*resources.desiredv_cpus < min || *resources.desiredv_cpus > resources.maxv_cpus)) {
    return Status::InvalidArgument("computeResources.desiredvCpus (" +
                                   std::to_string(*resources.desiredv_cpus) +
                                   ") must be between minvCpus and maxvCpus");
  }
  return Status::Ok();
}

}  // namespace

BatchState::BatchState(const Clock& clock, BatchStateOptions options)
    : clock_(clock),
      options_(std::move(options)),
      ids_(clock, options_.seed),
      random_(options_.seed ^ 0x9E3779B97F4A7C15ull),
      dispatcher_(DispatchOptions{options_.max_jobs_examined_per_pass}) {}

std::string BatchState::CeNameFromReference(const std::string& name_or_arn) const {
  if (!LooksLikeArn(name_or_arn)) return name_or_arn;
  return ArnResourceName(name_or_arn, "compute-environment");
}

std::string BatchState::QueueNameFromReference(const std::string& name_or_arn) const {
  if (!LooksLikeArn(name_or_arn)) return name_or_arn;
  return ArnResourceName(name_or_arn, "job-queue");
}

const ComputeEnvironment* BatchState::FindComputeEnvironment(const std::string& name_or_arn) const {
  auto it = compute_environments_.find(CeNameFromReference(name_or_arn));
  if (it == compute_environments_.end()) return nullptr;
  if (LooksLikeArn(name_or_arn) && it->second.arn != name_or_arn) return nullptr;
  return &it->second;
}

const ComputeEnvironment* BatchState::FindComputeEnvironmentOfCluster(
    const std::string& cluster) const {
  if (cluster.empty()) return nullptr;
  bool is_arn = LooksLikeArn(cluster);
  for (const auto& [name, environment] : compute_environments_) {
    if (is_arn ? environment.ecs_cluster_arn == cluster
               : ArnResourceName(environment.ecs_cluster_arn, "cluster") == cluster) {
      return &environment;
    }
  }
  return nullptr;
}

const JobQueue* BatchState::FindJobQueue(const std::string& name_or_arn) const {
  auto it = job_queues_.find(QueueNameFromReference(name_or_arn));
  if (it == job_queues_.end()) return nullptr;
  if (LooksLikeArn(name_or_arn) && it->second.arn != name_or_arn) return nullptr;
  return &it->second;
}

const SchedulingPolicy* BatchState::FindSchedulingPolicy(const std::string& arn) const {
  std::string name = LooksLikeArn(arn) ? ArnResourceName(arn, "scheduling-policy") : arn;
  auto it = scheduling_policies_.find(name);
  if (it == scheduling_policies_.end()) return nullptr;
  if (LooksLikeArn(arn) && it->second.arn != arn) return nullptr;
  return &it->second;
}

const JobDefinition* BatchState::FindJobDefinition(const std::string& reference) const {
  std::string name_rev = reference;
  if (LooksLikeArn(reference)) {
    name_rev = ArnResourceName(reference, "job-definition");
    if (name_rev.empty()) return nullptr;
  }
  auto colon = name_rev.rfind(':');
  std::string name = colon == std::string::npos ? name_rev : name_rev.substr(0, colon);
  auto revisions = job_definitions_.find(name);
  if (revisions == job_definitions_.end()) return nullptr;
  if (colon == std::string::npos) {
    // The latest ACTIVE revision.
    for (auto it = revisions->second.rbegin(); it != revisions->second.rend(); ++it) {
      if (it->second.status == "ACTIVE") return &it->second;
    }
    return nullptr;
  }
  std::string revision_text = name_rev.substr(colon + 1);
  if (revision_text.empty() || revision_text.size() > 9 ||
      !std::all_of(revision_text.begin(), revision_text.end(), ::isdigit)) {
    return nullptr;
  }
  auto it = revisions->second.find(std::stoi(revision_text));
  return it == revisions->second.end() ? nullptr : &it->second;
}

// serviceRole as AWS keeps it: a bare role name is the role of that name (without a path) in
// this account.
std::string BatchState::ServiceRoleArn(const std::string& service_role) const {
  if (service_role.empty() || LooksLikeArn(service_role)) return service_role;
  return options_.scope.Iam("role/" + service_role);
}

Result<const ComputeEnvironment*> BatchState::CreateComputeEnvironment(
    CreateComputeEnvironmentRequest req) {
  if (compute_environments_.count(req.name) != 0) {
    return Status::InvalidArgument("computeEnvironmentName \"" + req.name +
                                   "\" is invalid: a compute environment with that name exists");
  }
  if (req.compute_resources) {
    ComputeResources& resources = *req.compute_resources;
    if (!IsFargateType(resources.type)) {
      if (resources.allocation_strategy.empty()) resources.allocation_strategy = "BEST_FIT";
      if (!resources.minv_cpus) resources.minv_cpus = 0;
      if (!resources.desiredv_cpus) resources.desiredv_cpus = resources.minv_cpus;
    }
    GLEANER_RETURN_IF_ERROR(CheckVcpuBounds(resources));
    if (!IsFargateType(resources.type) && options_.check_compute_resources) {
      GLEANER_RETURN_IF_ERROR(options_.check_compute_resources(resources));
    }
  }
  req.service_role = ServiceRoleArn(req.service_role);
  ComputeEnvironment& environment = compute_environments_[req.name];
  environment = std::move(req);
  environment.arn = options_.scope.ComputeEnvironment(environment.name);
  environment.status = ResourceStatus::kValid;
  environment.status_reason = "ComputeEnvironment Healthy";
  environment.uuid = ids_.Next();
  environment.ecs_cluster_arn =
      options_.scope.EcsCluster(environment.name + "_Batch_" + environment.uuid);
  environment.created_at = clock_.NowMillis();
  // Deleted and created again since the last TakeChanges(): the record is put, not deleted.
  changes_.deleted_compute_environments.erase(environment.name);
  changes_.compute_environments.insert(environment.name);
  return &environment;
}

Result<const ComputeEnvironment*> BatchState::UpdateComputeEnvironment(
    const UpdateComputeEnvironmentRequest& req) {
  auto it = compute_environments_.find(CeNameFromReference(req.compute_environment));
  if (it == compute_environments_.end() ||
      FindComputeEnvironment(req.compute_environment) == nullptr) {
    return Status::InvalidArgument("computeEnvironment \"" + req.compute_environment +
                                   "\" does not exist");
  }
  ComputeEnvironment updated = it->second;
  if (req.state) updated.state = *req.state;
  if (req.service_role) updated.service_role = ServiceRoleArn(*req.service_role);
  if (req.unmanagedv_cpus) {
    if (updated.type != "UNMANAGED") {
      return Status::InvalidArgument(
          "unmanagedvCpus is invalid: it applies only to UNMANAGED compute environments");
    }
    updated.unmanagedv_cpus = req.unmanagedv_cpus;
  }
  bool updates_resources = req.minv_cpus || req.maxv_cpus || req.desiredv_cpus ||
                           req.instance_types || req.allocation_strategy || req.bid_percentage ||
                           !req.compute_resources_passthrough.empty();
  if (updates_resources) {
    if (!updated.compute_resources) {
      return Status::InvalidArgument(
          "computeResources is invalid: an UNMANAGED compute environment has no compute resources");
    }
    ComputeResources& resources = *updated.compute_resources;
    if (req.desiredv_cpus && resources.desiredv_cpus &&
        *req.desiredv_cpus < *resources.desiredv_cpus) {
      return Status::InvalidArgument("computeResources.desiredvCpus (" +
                                     std::to_string(*req.desiredv_cpus) +
                                     ") cannot be lower than the current desiredvCpus (" +
                                     std::to_string(*resources.desiredv_cpus) + ")");
    }
    if (req.allocation_strategy && *req.allocation_strategy == "BEST_FIT") {
      return Status::InvalidArgument(
          "computeResources.allocationStrategy cannot be updated to BEST_FIT");
    }
    if (req.minv_cpus) resources.minv_cpus = req.minv_cpus;
    if (req.maxv_cpus) resources.maxv_cpus = *req.maxv_cpus;
    if (req.desiredv_cpus) resources.desiredv_cpus = req.desiredv_cpus;
    if (req.instance_types) resources.instance_types = *req.instance_types;
    if (req.allocation_strategy) resources.allocation_strategy = *req.allocation_strategy;
    if (req.bid_percentage) resources.bid_percentage = req.bid_percentage;
    for (const auto& [key, value] : req.compute_resources_passthrough.items()) {
      resources.passthrough[key] = value;
    }
    if (resources.desiredv_cpus && resources.minv_cpus &&
        *resources.desiredv_cpus < *resources.minv_cpus) {
      resources.desiredv_cpus = resources.minv_cpus;
    }
    // desiredvCpus moves with the demand (the provider sets it): a lower maxvCpus brings it down
    // unless the request names a desiredvCpus of its own, which must then fit.
    if (!req.desiredv_cpus && resources.desiredv_cpus &&
        *resources.desiredv_cpus > resources.maxv_cpus) {
      resources.desiredv_cpus = resources.maxv_cpus;
    }
    GLEANER_RETURN_IF_ERROR(CheckVcpuBounds(resources));
    if (req.instance_types && !IsFargateType(resources.type) && options_.check_compute_resources) {
      GLEANER_RETURN_IF_ERROR(options_.check_compute_resources(resources));
    }
    // Whatever made it INVALID may be fixed now: the provider checks again.
    updated.status = ResourceStatus::kValid;
    updated.status_reason = "ComputeEnvironment Healthy";
  }
  it->second = std::move(updated);
  changes_.compute_environments.insert(it->first);
  return &it->second;
}

void BatchState::MarkComputeEnvironmentInvalid(const std::string& arn,
                                               const std::string& status_reason) {
  auto it = compute_environments_.find(CeNameFromReference(arn));
  if (it == compute_environments_.end() || it->second.arn != arn) return;
  it->second.status = ResourceStatus::kInvalid;
  it->second.status_reason = status_reason;
  changes_.compute_environments.insert(it->first);
}

void BatchState::SetDesiredvCpus(const std::string& compute_environment_arn, int vcpus) {
  auto it = compute_environments_.find(CeNameFromReference(compute_environment_arn));
  if (it == compute_environments_.end() || it->second.arn != compute_environment_arn ||
      !it->second.compute_resources || it->second.compute_resources->desiredv_cpus == vcpus) {
    return;
  }
  it->second.compute_resources->desiredv_cpus = vcpus;
  changes_.compute_environments.insert(it->first);
}

Status BatchState::DeleteComputeEnvironment(const std::string& name_or_arn) {
  const ComputeEnvironment* environment = FindComputeEnvironment(name_or_arn);
  if (environment == nullptr) {
    return Status::InvalidArgument("computeEnvironment \"" + name_or_arn + "\" does not exist");
  }
  if (environment->state != ResourceState::kDisabled) {
    return Status::InvalidArgument("computeEnvironment \"" + environment->name +
                                   "\" cannot be deleted: it must be DISABLED first");
  }
  for (const auto& [queue_name, queue] : job_queues_) {
    for (const auto& entry : queue.compute_environment_order) {
      if (entry.compute_environment == environment->arn) {
        return Status::InvalidArgument("computeEnvironment \"" + environment->name +
                                       "\" cannot be deleted: job queue \"" + queue_name +
                                       "\" still uses it");
      }
    }
  }
  std::string name = environment->name;
  if (inactive_clusters_.insert(environment->ecs_cluster_arn).second) {
    inactive_cluster_order_.push_back(environment->ecs_cluster_arn);
    if (inactive_cluster_order_.size() > kMaxInactiveClusters) {
      inactive_clusters_.erase(inactive_cluster_order_.front());
      inactive_cluster_order_.pop_front();
    }
  }
  dispatcher_.hosts().ForgetEnvironment(environment->arn);
  compute_environments_.erase(name);
  changes_.compute_environments.erase(name);
  changes_.deleted_compute_environments.insert(name);
  return Status::Ok();
}

Status BatchState::CheckComputeEnvironmentOrder(std::vector<ComputeEnvironmentOrder>& order) const {
  bool has_fargate = false;
  bool has_ec2 = false;
  for (size_t i = 0; i < order.size(); ++i) {
    std::string field = "computeEnvironmentOrder[" + std::to_string(i) + "].computeEnvironment";
    const ComputeEnvironment* environment = FindComputeEnvironment(order[i].compute_environment);
    if (environment == nullptr) {
      return Status::InvalidArgument(field + " \"" + order[i].compute_environment +
                                     "\" does not exist");
    }
    if (environment->status != ResourceStatus::kValid) {
      return Status::InvalidArgument(field + " \"" + environment->name + "\" is " +
                                     std::string(ToString(environment->status)) +
                                     ": it must be VALID");
    }
    (environment->IsFargate() ? has_fargate : has_ec2) = true;
    order[i].compute_environment = environment->arn;
  }
  if (has_fargate && has_ec2) {
    return Status::InvalidArgument(
        "computeEnvironmentOrder is invalid: a job queue cannot mix Fargate and EC2/SPOT compute "
        "environments");
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.order < b.order; });
  return Status::Ok();
}

Result<const JobQueue*> BatchState::CreateJobQueue(CreateJobQueueRequest req) {
  if (job_queues_.count(req.name) != 0) {
    return Status::InvalidArgument("jobQueueName \"" + req.name +
                                   "\" is invalid: a job queue with that name exists");
  }
  GLEANER_RETURN_IF_ERROR(CheckComputeEnvironmentOrder(req.compute_environment_order));
  if (!req.scheduling_policy_arn.empty() &&
      FindSchedulingPolicy(req.scheduling_policy_arn) == nullptr) {
    return Status::InvalidArgument("schedulingPolicyArn \"" + req.scheduling_policy_arn +
                                   "\" does not exist");
  }
  JobQueue& queue = job_queues_[req.name];
  queue = std::move(req);
  queue.arn = options_.scope.JobQueue(queue.name);
  queue.status = ResourceStatus::kValid;
  queue.status_reason = "JobQueue Healthy";
  queue.created_at = clock_.NowMillis();
  changes_.deleted_job_queues.erase(queue.name);
  changes_.job_queues.insert(queue.name);
  return &queue;
}

Result<const JobQueue*> BatchState::UpdateJobQueue(const UpdateJobQueueRequest& req) {
  auto it = job_queues_.find(QueueNameFromReference(req.job_queue));
  if (it == job_queues_.end() || FindJobQueue(req.job_queue) == nullptr) {
    return Status::InvalidArgument("jobQueue \"" + req.job_queue + "\" does not exist");
  }
  JobQueue updated = it->second;
  if (req.state) updated.state = *req.state;
  if (req.priority) updated.priority = *req.priority;
  if (req.scheduling_policy_arn) {
    if (updated.scheduling_policy_arn.empty() && !req.scheduling_policy_arn->empty()) {
      return Status::InvalidArgument(
          "schedulingPolicyArn is invalid: a FIFO job queue cannot be given a scheduling policy");
    }
    if (FindSchedulingPolicy(*req.scheduling_policy_arn) == nullptr) {
      return Status::InvalidArgument("schedulingPolicyArn \"" + *req.scheduling_policy_arn +
                                     "\" does not exist");
    }
    if (updated.scheduling_policy_arn != *req.scheduling_policy_arn) fair_share_.erase(updated.arn);
    updated.scheduling_policy_arn = *req.scheduling_policy_arn;
  }
  if (req.job_state_time_limit_actions) {
    updated.job_state_time_limit_actions = *req.job_state_time_limit_actions;
  }
  if (req.compute_environment_order) {
    updated.compute_environment_order = *req.compute_environment_order;
    GLEANER_RETURN_IF_ERROR(CheckComputeEnvironmentOrder(updated.compute_environment_order));
  }
  it->second = std::move(updated);
  changes_.job_queues.insert(it->first);
  return &it->second;
}

Status BatchState::DeleteJobQueue(const std::string& name_or_arn) {
  const JobQueue* queue = FindJobQueue(name_or_arn);
  if (queue == nullptr) {
    return Status::InvalidArgument("jobQueue \"" + name_or_arn + "\" does not exist");
  }
  if (queue->state != ResourceState::kDisabled) {
    return Status::InvalidArgument("jobQueue \"" + queue->name +
                                   "\" cannot be deleted: it must be DISABLED first");
  }
  // AWS terminates the jobs of a deleted queue.
  std::vector<std::string> unfinished;
  for (const auto& [status, jobs] : jobs_by_queue_[queue->arn]) {
    if (IsTerminal(status)) continue;
    for (const Job* job : jobs) unfinished.push_back(job->job_id);
  }
  std::string reason = "Job queue " + queue->name + " was deleted";
  for (const std::string& id : unfinished) {
    Status ignored = TerminateJob({id, reason});
    (void)ignored;
  }
  std::string name = queue->name;
  job_queues_.erase(name);
  changes_.job_queues.erase(name);
  changes_.deleted_job_queues.insert(name);
  return Status::Ok();
}

Result<const SchedulingPolicy*> BatchState::CreateSchedulingPolicy(
    CreateSchedulingPolicyRequest req) {
  if (scheduling_policies_.count(req.name) != 0) {
    return Status::InvalidArgument("name \"" + req.name +
                                   "\" is invalid: a scheduling policy with that name exists");
  }
  SchedulingPolicy& policy = scheduling_policies_[req.name];
  policy = std::move(req);
  policy.arn = options_.scope.SchedulingPolicy(policy.name);
  changes_.deleted_scheduling_policies.erase(policy.name);
  changes_.scheduling_policies.insert(policy.name);
  return &policy;
}

Status BatchState::UpdateSchedulingPolicy(const UpdateSchedulingPolicyRequest& req) {
  const SchedulingPolicy* found = FindSchedulingPolicy(req.arn);
  if (found == nullptr) {
    return Status::InvalidArgument("arn \"" + req.arn + "\" is not an existing scheduling policy");
  }
  SchedulingPolicy& policy = scheduling_policies_[found->name];
  if (req.fairshare_policy) policy.fairshare_policy = req.fairshare_policy;
  changes_.scheduling_policies.insert(policy.name);
  OnPolicyChanged(policy);
  return Status::Ok();
}

Status BatchState::DeleteSchedulingPolicy(const std::string& arn) {
  const SchedulingPolicy* policy = FindSchedulingPolicy(arn);
  if (policy == nullptr) {
    return Status::InvalidArgument("arn \"" + arn + "\" is not an existing scheduling policy");
  }
  for (const auto& [queue_name, queue] : job_queues_) {
    if (queue.scheduling_policy_arn == policy->arn) {
      return Status::InvalidArgument("scheduling policy \"" + policy->name +
                                     "\" cannot be deleted: job queue \"" + queue_name +
                                     "\" uses it");
    }
  }
  std::string name = policy->name;
  scheduling_policies_.erase(name);
  changes_.scheduling_policies.erase(name);
  changes_.deleted_scheduling_policies.insert(name);
  return Status::Ok();
}

Result<const JobDefinition*> BatchState::RegisterJobDefinition(RegisterJobDefinitionRequest req) {
  auto& revisions = job_definitions_[req.name];
  int revision = revisions.empty() ? 1 : revisions.rbegin()->first + 1;
  JobDefinition& definition = revisions[revision];
  definition = std::move(req);
  definition.revision = revision;
  definition.status = "ACTIVE";
  definition.arn = options_.scope.JobDefinition(definition.name, revision);
  definition.created_at = clock_.NowMillis();
  changes_.job_definitions.insert(definition.name + ":" + std::to_string(revision));
  return &definition;
}

Status BatchState::DeregisterJobDefinition(const std::string& name_rev_or_arn) {
  std::string name_rev = LooksLikeArn(name_rev_or_arn)
                             ? ArnResourceName(name_rev_or_arn, "job-definition")
                             : name_rev_or_arn;
  if (name_rev.find(':') == std::string::npos) {
    return Status::InvalidArgument("jobDefinition \"" + name_rev_or_arn +
                                   "\" is invalid: give name:revision or the ARN");
  }
  const JobDefinition* found = FindJobDefinition(name_rev_or_arn);
  if (found == nullptr) {
    return Status::InvalidArgument("jobDefinition \"" + name_rev_or_arn + "\" does not exist");
  }
  JobDefinition& definition = job_definitions_[found->name][found->revision];
  definition.status = "INACTIVE";
  changes_.job_definitions.insert(definition.name + ":" + std::to_string(definition.revision));
  return Status::Ok();
}

}  // namespace gleaner
