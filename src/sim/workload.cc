#include "sim/workload.h"

#include <algorithm>

#include "model/resources.h"

namespace gleaner::sim {
namespace {

constexpr char kTemporaryQueue[] = "tmp-q";
constexpr char kTemporaryEnvironment[] = "tmp-ce";
constexpr int kMaxHosts = 8;

const std::vector<std::string> kVcpus = {"0.25", "0.5", "1", "1", "2", "4", "8"};
const std::vector<std::string> kMemory = {"128", "512", "1024", "2048", "4096", "16384"};
const std::vector<std::string> kShares = {"teamA", "teamB1", "teamB2", "other"};
// jobStateTimeLimitActions reasons: prefixes of the waiting reasons ExplainWaiting gives.
const std::vector<std::string> kTimeLimitReasons = {
    "CAPACITY:WAITING_FOR_RESOURCES", "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE",
    "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT", "Job queue"};

// evaluateOnExit rules that match what the fake executor produces: exit codes, signals, launch
// failures, lost attempts.
const std::vector<EvaluateOnExit> kRetryRules = {
    {std::nullopt, std::nullopt, "1", "EXIT"},
    {std::nullopt, std::nullopt, "13*", "RETRY"},
    {"Essential*", std::nullopt, std::nullopt, "retry"},
    {std::nullopt, "CannotStart*", std::nullopt, "EXIT"},
    {std::nullopt, "Container killed*", std::nullopt, "RETRY"},
    {"Job attempt lost*", std::nullopt, "*", "RETRY"},
    {std::nullopt, std::nullopt, "*", "EXIT"},
};

Status Rejected(const std::string& operation, const Status& status) {
  return Status::Internal(operation + " rejected a valid request: " + status.message());
}

}  // namespace

// ---- catalog ----

Status Workload::Setup(BatchState& state) {
  int environment_count = static_cast<int>(random_.Between(2, 4));
  for (int i = 0; i < environment_count; ++i) {
    bool unmanaged = i > 0 && random_.Percent(35);
    GLEANER_RETURN_IF_ERROR(CreateEnvironment(state, "ce-" + std::to_string(i), unmanaged));
  }
  if (random_.Percent(40)) {
    SchedulingPolicy policy;
    policy.name = "policy";
    FairsharePolicy fair_share;
    fair_share.share_decay_seconds = static_cast<int>(random_.Pick<int64_t>({0, 60, 600}));
    fair_share.compute_reservation = static_cast<int>(random_.Pick<int64_t>({0, 0, 25, 50}));
    fair_share.share_distribution = {{"teamA", 1.0}, {"teamB*", 0.5}};
    policy.fairshare_policy = fair_share;
    Result<const SchedulingPolicy*> created = state.CreateSchedulingPolicy(policy);
    if (!created.ok()) return Rejected("CreateSchedulingPolicy", created.status());
    policy_arn_ = (*created)->arn;
  }
  int queue_count = static_cast<int>(random_.Between(1, 4));
  for (int i = 0; i < queue_count; ++i) {
    QueueInfo queue;
    queue.name = "q-" + std::to_string(i);
    std::vector<std::string> names;
    for (const EnvironmentInfo& environment : environments_) names.push_back(environment.name);
    size_t take = static_cast<size_t>(random_.Between(1, std::min<int64_t>(3, names.size())));
    while (queue.order.size() < take) {
      const std::string& name = random_.Pick(names);
      if (std::find(queue.order.begin(), queue.order.end(), name) == queue.order.end()) {
        queue.order.push_back(name);
      }
    }
    queue.fair_share = !policy_arn_.empty() && i == 0;
    GLEANER_RETURN_IF_ERROR(CreateQueue(state, queue, random_.Percent(15)));
  }
  int definition_count = static_cast<int>(random_.Between(2, 5));
  for (int i = 0; i < definition_count; ++i) {
    GLEANER_RETURN_IF_ERROR(RegisterDefinition(state, "def-" + std::to_string(i)));
  }
  int host_count = static_cast<int>(random_.Between(1, 3));
  for (int i = 0; i < host_count; ++i) AddHost(state);
  return Status::Ok();
}

Status Workload::CreateEnvironment(BatchState& state, const std::string& name, bool unmanaged) {
  ComputeEnvironment environment;
  environment.name = name;
  EnvironmentInfo info{name, unmanaged, 0};
  if (unmanaged) {
    environment.type = "UNMANAGED";
  } else {
    environment.type = "MANAGED";
    ComputeResources resources;
    resources.type = random_.Percent(50) ? "EC2" : "SPOT";
    resources.maxv_cpus = static_cast<int>(random_.Pick<int64_t>({1, 2, 4, 8, 16, 64, 256}));
    resources.instance_types = {"optimal"};
    environment.compute_resources = resources;
    info.maxv_cpus = resources.maxv_cpus;
  }
  environment.state = random_.Percent(20) ? ResourceState::kDisabled : ResourceState::kEnabled;
  Result<const ComputeEnvironment*> created = state.CreateComputeEnvironment(environment);
  if (!created.ok()) return Rejected("CreateComputeEnvironment", created.status());
  if (EnvironmentInfo* existing = FindEnvironment(name)) {
    *existing = info;
  } else {
    environments_.push_back(info);
  }
  trace_.Line("create compute environment " + name + " (" +
              (unmanaged ? "UNMANAGED" : "maxvCpus " + std::to_string(info.maxv_cpus)) + ", " +
              std::string(ToString(environment.state)) + ")");
  return Status::Ok();
}

Status Workload::CreateQueue(BatchState& state, QueueInfo info, bool disabled) {
  JobQueue queue;
  queue.name = info.name;
  queue.priority = static_cast<int>(random_.Between(0, 10));
  queue.state = disabled ? ResourceState::kDisabled : ResourceState::kEnabled;
  if (info.fair_share) queue.scheduling_policy_arn = policy_arn_;
  if (random_.Percent(25)) {
    // Cancels jobs that wait too long for capacity, or for a configuration that lets them run.
    queue.job_state_time_limit_actions.push_back({random_.Pick(kTimeLimitReasons), "RUNNABLE",
                                                  static_cast<int>(random_.Between(600, 3600)),
                                                  "CANCEL"});
  }
  for (size_t i = 0; i < info.order.size(); ++i) {
    // Names or ARNs, as a client may send either.
    std::string reference =
        random_.Percent(50) ? info.order[i] : state.scope().ComputeEnvironment(info.order[i]);
    queue.compute_environment_order.push_back({static_cast<int>(i + 1), reference});
  }
  Result<const JobQueue*> created = state.CreateJobQueue(queue);
  if (!created.ok()) return Rejected("CreateJobQueue", created.status());
  trace_.Line("create job queue " + info.name + " priority " + std::to_string(queue.priority) +
              (disabled ? " DISABLED" : ""));
  queues_.push_back(std::move(info));
  return Status::Ok();
}

Status Workload::RegisterDefinition(BatchState& state, const std::string& name) {
  JobDefinition definition;
  definition.name = name;
  definition.type = "container";
  definition.parameters = {{"duration", "30"}};
  ContainerProperties container;
  container.image = "public.ecr.aws/docker/library/busybox:latest";
  container.command = {"sleep", "Ref::duration"};
  if (random_.Percent(15)) {
    container.vcpus = static_cast<int>(random_.Between(1, 4));
    container.memory = static_cast<int>(random_.Pick<int64_t>({256, 512, 1024, 2048}));
  } else {
    container.resource_requirements = {{"VCPU", random_.Pick(kVcpus)},
                                       {"MEMORY", random_.Pick(kMemory)}};
    if (random_.Percent(10)) container.resource_requirements.push_back({"GPU", "1"});
  }
  Result<Resources> required = RequiredResources(container);
  if (!required.ok()) return Rejected("RequiredResources", required.status());
  definition.container_properties = container;
  if (random_.Percent(60)) definition.retry_strategy = RandomRetryStrategy();
  if (random_.Percent(30)) {
    definition.timeout = JobTimeout{static_cast<int>(random_.Between(60, 900))};
  }
  Result<const JobDefinition*> registered = state.RegisterJobDefinition(definition);
  if (!registered.ok()) return Rejected("RegisterJobDefinition", registered.status());
  int revision = (*registered)->revision;
  auto it = std::find_if(definitions_.begin(), definitions_.end(),
                         [&](const DefinitionInfo& info) { return info.name == name; });
  if (it == definitions_.end()) it = definitions_.insert(definitions_.end(), {name, {}});
  it->required[revision] = *required;
  trace_.Line("register " + name + ":" + std::to_string(revision) + " needing " +
              required->ToString());
  return Status::Ok();
}

std::optional<RetryStrategy> Workload::RandomRetryStrategy() {
  RetryStrategy strategy;
  strategy.attempts = static_cast<int>(random_.Between(1, 10));
  if (random_.Percent(50)) {
    int rules = static_cast<int>(random_.Between(1, 3));
    for (int i = 0; i < rules; ++i) strategy.evaluate_on_exit.push_back(random_.Pick(kRetryRules));
  }
  return strategy;
}

void Workload::AddHost(BatchState& state) {
  Host host;
  host.instance_id = "i-sim" + std::to_string(1000 + hosts_);
  host.container_instance_arn = state.scope().EcsContainerInstance(host.instance_id);
  // The first host is big enough for the usual job; later ones vary.
  int64_t vcpus = hosts_ == 0 ? random_.Between(2, 8) : random_.Pick<int64_t>({1, 2, 4, 8, 16});
  int64_t memory = hosts_ == 0 ? random_.Pick<int64_t>({4096, 8192, 32768})
                               : random_.Pick<int64_t>({1024, 2048, 4096, 8192, 16384, 32768});
  int64_t gpus = random_.Percent(15) ? random_.Between(1, 4) : 0;
  host.total = Resources{vcpus * 1000, memory, gpus};
  trace_.Line("add host " + host.instance_id + " with " + host.total.ToString());
  added_hosts_.push_back(host);
  state.AddHost(std::move(host));
  ++hosts_;
}

Workload::EnvironmentInfo* Workload::FindEnvironment(const std::string& name) {
  for (EnvironmentInfo& environment : environments_) {
    if (environment.name == name) return &environment;
  }
  return nullptr;
}

// ---- ticks ----

int64_t Workload::NextTickDelayMillis() {
  int64_t roll = random_.Between(0, 99);
  if (roll < 20) return 0;  // several requests in the same millisecond
  if (roll < 90) return random_.Between(1, 20'000);
  return random_.Between(20'000, 120'000);
}

Status Workload::Tick(BatchState& state) {
  int actions = static_cast<int>(random_.Between(1, 3));
  for (int i = 0; i < actions; ++i) {
    int64_t roll = random_.Between(0, 99);
    Status status;
    if (roll < 28) {
      status = SubmitPlain(state);
    } else if (roll < 36) {
      status = SubmitChain(state);
    } else if (roll < 44) {
      status = SubmitFan(state);
    } else if (roll < 58) {
      status = SubmitArray(state);
    } else if (roll < 65) {
      status = StopSomeJob(state, /*terminate=*/false);
    } else if (roll < 72) {
      status = StopSomeJob(state, /*terminate=*/true);
    } else if (roll < 79) {
      status = UpdateSomeQueue(state);
    } else if (roll < 86) {
      status = UpdateSomeEnvironment(state);
    } else if (roll < 90) {
      if (hosts_ < kMaxHosts) AddHost(state);
    } else if (roll < 94) {
      status = ReviseSomeDefinition(state);
    } else if (roll < 98) {
      status = CycleTemporaryQueue(state);
    } else {
      status = UpdatePolicy(state);
    }
    GLEANER_RETURN_IF_ERROR(status);
  }
  return Status::Ok();
}

const Workload::QueueInfo& Workload::SomeQueue() { return random_.Pick(queues_); }

bool Workload::Fits(const Resources& required, const QueueInfo& queue) const {
  // The hosts it added (local capacity, serving every compute environment): a cloud's instances
  // serve one compute environment each, and come and go.
  bool host_fits = std::any_of(added_hosts_.begin(), added_hosts_.end(),
                               [&](const Host& host) { return required.FitsIn(host.total); });
  bool environment_fits =
      std::any_of(queue.order.begin(), queue.order.end(), [&](const std::string& name) {
        for (const EnvironmentInfo& environment : environments_) {
          if (environment.name != name) continue;
          return environment.unmanaged ||
                 required.millivcpus <= int64_t{environment.maxv_cpus} * 1000;
        }
        return false;
      });
  return host_fits && environment_fits;
}

SubmitJobRequest Workload::NewRequest(const BatchState& state, const QueueInfo** queue_out) {
  const QueueInfo& queue = SomeQueue();
  if (queue_out != nullptr) *queue_out = &queue;
  const DefinitionInfo& definition = random_.Pick(definitions_);
  SubmitJobRequest request;
  request.job_name = "job-" + std::to_string(submitted_);
  request.job_queue = random_.Percent(50) ? queue.name : state.scope().JobQueue(queue.name);
  int64_t reference = random_.Between(0, 2);
  auto revision = definition.required.rbegin();  // "name" means the latest ACTIVE revision
  if (reference != 0) {
    revision = definition.required.rbegin();
    std::advance(revision, random_.Index(definition.required.size()));
  }
  std::string name_rev = definition.name + ":" + std::to_string(revision->first);
  request.job_definition = reference == 0 ? definition.name
                           : reference == 1
                               ? name_rev
                               : state.scope().JobDefinition(definition.name, revision->first);
  Resources required = revision->second;
  auto override_resources = [&](const std::string& vcpus, const std::string& memory) {
    ContainerOverrides overrides;
    overrides.resource_requirements = {{"VCPU", vcpus}, {"MEMORY", memory}, {"GPU", "0"}};
    request.container_overrides = overrides;
    required = Resources{*ParseMilliVcpus(vcpus), std::stoll(memory), 0};
  };
  if (random_.Percent(25)) override_resources(random_.Pick(kVcpus), random_.Pick(kMemory));
  if (!Fits(required, queue)) override_resources("0.25", "128");
  if (random_.Percent(20)) request.parameters["duration"] = "5";
  if (queue.fair_share) {
    request.share_identifier = random_.Pick(kShares);
    if (random_.Percent(20)) {
      request.scheduling_priority_override = static_cast<int>(random_.Between(0, 100));
    }
  }
  if (random_.Percent(15)) request.retry_strategy = RandomRetryStrategy();
  if (random_.Percent(10)) request.timeout = JobTimeout{static_cast<int>(random_.Between(60, 600))};
  return request;
}

Result<std::string> Workload::Submit(BatchState& state, const SubmitJobRequest& request) {
  Result<const Job*> job = state.SubmitJob(request);
  if (!job.ok()) return Rejected("SubmitJob", job.status());
  ++submitted_;
  std::string id = (*job)->job_id;
  job_ids_.push_back(id);
  if (request.array_size) arrays_.push_back({id, *request.array_size});
  if (trace_.on()) {
    std::string line = "submit " + id + " to " + request.job_queue;
    if (request.array_size) line += " array of " + std::to_string(*request.array_size);
    for (const JobDependency& dependency : request.depends_on) {
      line += " after " + (dependency.job_id.empty() ? "<previous child>" : dependency.job_id) +
              (dependency.type.empty() ? "" : " (" + dependency.type + ")");
    }
    trace_.Line(line + ": " + std::string(ToString((*job)->status)));
  }
  return id;
}

std::optional<std::string> Workload::SomeJob(const BatchState& state, bool made_only) {
  for (int tries = 0; tries < 4; ++tries) {
    std::string id;
    if (!arrays_.empty() && random_.Percent(30)) {
      const ArrayInfo& array = random_.Pick(arrays_);
      id = array.job_id + ":" + std::to_string(random_.Between(0, array.size - 1));
      if (made_only && state.FindJob(id) == nullptr) id = array.job_id;
    } else if (!job_ids_.empty()) {
      // Mostly recent jobs: they are the ones still moving.
      size_t recent = std::min<size_t>(job_ids_.size(), 30);
      id = random_.Percent(70) ? job_ids_[job_ids_.size() - 1 - random_.Index(recent)]
                               : random_.Pick(job_ids_);
    }
    // Finished jobs may have been purged after their retention period.
    if (!id.empty() && state.StatusOf(id)) return id;
  }
  return std::nullopt;
}

std::vector<JobDependency> Workload::SomeDependencies(const BatchState& state, int max_count) {
  std::vector<JobDependency> dependencies;
  int count = static_cast<int>(random_.Between(1, max_count));
  for (int i = 0; i < count; ++i) {
    std::optional<std::string> id = SomeJob(state, /*made_only=*/false);
    if (!id) continue;
    bool seen = std::any_of(dependencies.begin(), dependencies.end(),
                            [&](const JobDependency& existing) { return existing.job_id == *id; });
    if (!seen) dependencies.push_back({*id, ""});
  }
  return dependencies;
}

Status Workload::SubmitPlain(BatchState& state) {
  SubmitJobRequest request = NewRequest(state);
  if (random_.Percent(40)) request.depends_on = SomeDependencies(state, 4);
  return Submit(state, request).status();
}

Status Workload::SubmitChain(BatchState& state) {
  int length = static_cast<int>(random_.Between(2, 6));
  std::string previous;
  for (int i = 0; i < length; ++i) {
    SubmitJobRequest request = NewRequest(state);
    if (i == 0 && random_.Percent(30)) request.depends_on = SomeDependencies(state, 1);
    if (i > 0) request.depends_on.push_back({previous, ""});
    Result<std::string> id = Submit(state, request);
    if (!id.ok()) return id.status();
    previous = *id;
  }
  return Status::Ok();
}

Status Workload::SubmitFan(BatchState& state) {
  int width = static_cast<int>(random_.Between(2, 8));
  if (random_.Percent(50)) {  // fan-in: one job after many
    SubmitJobRequest request = NewRequest(state);
    request.depends_on = SomeDependencies(state, width);
    return Submit(state, request).status();
  }
  Result<std::string> root = Submit(state, NewRequest(state));  // fan-out: many after one
  if (!root.ok()) return root.status();
  for (int i = 0; i < width; ++i) {
    SubmitJobRequest request = NewRequest(state);
    request.depends_on.push_back({*root, ""});
    if (random_.Percent(20)) {
      for (JobDependency& dependency : SomeDependencies(state, 1)) {
        if (dependency.job_id != *root) request.depends_on.push_back(dependency);
      }
    }
    GLEANER_RETURN_IF_ERROR(Submit(state, request).status());
  }
  return Status::Ok();
}

Status Workload::SubmitArray(BatchState& state) {
  SubmitJobRequest request = NewRequest(state);
  int64_t mode = random_.Between(0, 99);
  std::vector<const ArrayInfo*> sources;
  for (const ArrayInfo& array : arrays_) {
    if (state.FindJob(array.job_id) != nullptr) sources.push_back(&array);
  }
  int size = static_cast<int>(random_.Between(2, 50));
  if (mode < 25 && !sources.empty()) {
    const ArrayInfo& source = *random_.Pick(sources);
    size = source.size;
    request.depends_on.push_back({source.job_id, "N_TO_N"});
  } else if (mode < 50) {
    request.depends_on.push_back({"", "SEQUENTIAL"});
  }
  if (random_.Percent(30)) {
    for (JobDependency& dependency : SomeDependencies(state, 2)) {
      request.depends_on.push_back(dependency);
    }
  }
  request.array_size = size;
  return Submit(state, request).status();
}

Status Workload::StopSomeJob(BatchState& state, bool terminate) {
  std::optional<std::string> id = SomeJob(state, /*made_only=*/true);
  if (!id) return Status::Ok();
  trace_.Line(std::string(terminate ? "terminate " : "cancel ") + *id);
  StopJobRequest request{*id, terminate ? "sim: terminated by user" : "sim: cancelled by user"};
  Status status = terminate ? state.TerminateJob(request) : state.CancelJob(request);
  if (!status.ok()) return Rejected(terminate ? "TerminateJob" : "CancelJob", status);
  return Status::Ok();
}

// ---- live catalog changes ----

Status Workload::UpdateSomeQueue(BatchState& state) {
  const QueueInfo& queue = SomeQueue();
  UpdateJobQueueRequest request;
  request.job_queue = queue.name;
  int64_t roll = random_.Between(0, 2);
  if (roll == 0)
    request.state = random_.Percent(50) ? ResourceState::kEnabled : ResourceState::kDisabled;
  if (roll == 1) request.priority = static_cast<int>(random_.Between(0, 10));
  if (roll == 2 && queue.name != kTemporaryQueue) {
    std::vector<ComputeEnvironmentOrder> order;
    for (const EnvironmentInfo& environment : environments_) {
      if (environment.name != kTemporaryEnvironment && random_.Percent(50)) {
        order.push_back({static_cast<int>(random_.Between(1, 100)), environment.name});
      }
    }
    if (order.empty()) order.push_back({1, environments_.front().name});
    request.compute_environment_order = order;
  }
  trace_.Line("update job queue " + queue.name);
  Result<const JobQueue*> updated = state.UpdateJobQueue(request);
  if (!updated.ok()) return Rejected("UpdateJobQueue", updated.status());
  return Status::Ok();
}

Status Workload::UpdateSomeEnvironment(BatchState& state) {
  const EnvironmentInfo& environment = random_.Pick(environments_);
  UpdateComputeEnvironmentRequest request;
  request.compute_environment = environment.name;
  if (environment.unmanaged || random_.Percent(50)) {
    request.state = random_.Percent(50) ? ResourceState::kEnabled : ResourceState::kDisabled;
  } else {
    request.maxv_cpus =
        static_cast<int>(random_.Between(1, std::max(2, environment.maxv_cpus * 2)));
  }
  trace_.Line("update compute environment " + environment.name +
              (request.state ? " to " + std::string(ToString(*request.state)) : "") +
              (request.maxv_cpus ? " maxvCpus " + std::to_string(*request.maxv_cpus) : ""));
  Result<const ComputeEnvironment*> updated = state.UpdateComputeEnvironment(request);
  if (!updated.ok()) return Rejected("UpdateComputeEnvironment", updated.status());
  return Status::Ok();
}

Status Workload::ReviseSomeDefinition(BatchState& state) {
  DefinitionInfo& definition = definitions_[random_.Index(definitions_.size())];
  if (definition.required.size() < 2 || random_.Percent(60)) {
    return RegisterDefinition(state, definition.name);
  }
  // Deregister an older revision; the latest stays ACTIVE.
  auto it = definition.required.begin();
  std::advance(it, random_.Index(definition.required.size() - 1));
  std::string name_rev = definition.name + ":" + std::to_string(it->first);
  trace_.Line("deregister " + name_rev);
  Status status = state.DeregisterJobDefinition(name_rev);
  if (!status.ok()) return Rejected("DeregisterJobDefinition", status);
  definition.required.erase(it);
  return Status::Ok();
}

// A queue on a compute environment of its own that comes and goes: deleting the queue terminates
// its jobs. Sometimes both come back under the same names at once, so a delete and a create of
// one name fall into the same batch of changes.
Status Workload::CycleTemporaryQueue(BatchState& state) {
  if (has_temporary_) {
    trace_.Line("delete job queue tmp-q and compute environment tmp-ce");
    UpdateJobQueueRequest disable_queue;
    disable_queue.job_queue = kTemporaryQueue;
    disable_queue.state = ResourceState::kDisabled;
    Result<const JobQueue*> disabled = state.UpdateJobQueue(disable_queue);
    if (!disabled.ok()) return Rejected("UpdateJobQueue", disabled.status());
    Status deleted = state.DeleteJobQueue(kTemporaryQueue);
    if (!deleted.ok()) return Rejected("DeleteJobQueue", deleted);
    UpdateComputeEnvironmentRequest disable_environment;
    disable_environment.compute_environment = kTemporaryEnvironment;
    disable_environment.state = ResourceState::kDisabled;
    Result<const ComputeEnvironment*> off = state.UpdateComputeEnvironment(disable_environment);
    if (!off.ok()) return Rejected("UpdateComputeEnvironment", off.status());
    deleted = state.DeleteComputeEnvironment(kTemporaryEnvironment);
    if (!deleted.ok()) return Rejected("DeleteComputeEnvironment", deleted);
    queues_.pop_back();
    environments_.erase(std::remove_if(environments_.begin(), environments_.end(),
                                       [](const EnvironmentInfo& info) {
                                         return info.name == kTemporaryEnvironment;
                                       }),
                        environments_.end());
    has_temporary_ = false;
    if (random_.Percent(50)) return Status::Ok();
  }
  ++temporary_generation_;
  GLEANER_RETURN_IF_ERROR(CreateEnvironment(state, kTemporaryEnvironment, /*unmanaged=*/false));
  QueueInfo queue;
  queue.name = kTemporaryQueue;
  queue.order = {kTemporaryEnvironment};
  if (random_.Percent(50)) queue.order.push_back(environments_.front().name);
  GLEANER_RETURN_IF_ERROR(CreateQueue(state, queue, /*disabled=*/false));
  has_temporary_ = true;
  return Status::Ok();
}

Status Workload::UpdatePolicy(BatchState& state) {
  if (policy_arn_.empty()) return Status::Ok();
  UpdateSchedulingPolicyRequest request;
  request.arn = policy_arn_;
  FairsharePolicy policy;
  policy.share_decay_seconds = static_cast<int>(random_.Between(0, 900));
  policy.compute_reservation = static_cast<int>(random_.Pick<int64_t>({0, 10, 50, 90}));
  policy.share_distribution = {{"teamA", random_.Percent(50) ? 0.5 : 2.0}, {"teamB*", 1.0}};
  request.fairshare_policy = policy;
  trace_.Line("update scheduling policy");
  Status status = state.UpdateSchedulingPolicy(request);
  if (!status.ok()) return Rejected("UpdateSchedulingPolicy", status);
  return Status::Ok();
}

// ---- the end of the workload ----

Status Workload::Quiesce(BatchState& state) {
  trace_.Line("quiesce: every queue and compute environment ENABLED, sizes and orders restored");
  for (const EnvironmentInfo& environment : environments_) {
    UpdateComputeEnvironmentRequest request;
    request.compute_environment = environment.name;
    request.state = ResourceState::kEnabled;
    if (!environment.unmanaged) request.maxv_cpus = environment.maxv_cpus;
    Result<const ComputeEnvironment*> updated = state.UpdateComputeEnvironment(request);
    if (!updated.ok()) return Rejected("UpdateComputeEnvironment", updated.status());
  }
  for (const QueueInfo& queue : queues_) {
    UpdateJobQueueRequest request;
    request.job_queue = queue.name;
    request.state = ResourceState::kEnabled;
    std::vector<ComputeEnvironmentOrder> order;
    for (size_t i = 0; i < queue.order.size(); ++i) {
      order.push_back({static_cast<int>(i + 1), queue.order[i]});
    }
    request.compute_environment_order = order;
    Result<const JobQueue*> updated = state.UpdateJobQueue(request);
    if (!updated.ok()) return Rejected("UpdateJobQueue", updated.status());
  }
  return Status::Ok();
}

}  // namespace gleaner::sim
