#include "server/engine.h"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <set>
#include <utility>

#include "common/contain.h"
#include "common/environment_variables.h"
#include "common/steady_time.h"
#include "model/arn.h"
#include "server/container_spec_for.h"
#include "server/state_records.h"

namespace gleaner {

std::string JobUserOf(const ContainerProperties& container) {
  auto user = container.passthrough.find("user");
  return user != container.passthrough.end() && user->is_string() ? user->get<std::string>() : "";
}

namespace {

std::string NameFromArn(const std::string& arn) {
  auto slash = arn.rfind('/');
  return slash == std::string::npos ? arn : arn.substr(slash + 1);
}

}  // namespace

Engine::Engine(const Clock& clock, BatchState& state, Store& store, EngineOptions options)
    : clock_(clock), state_(state), store_(store), options_(std::move(options)) {
  if (!options_.attempt_directory.empty()) {
    attempt_files_ = std::make_unique<LocalAttemptFiles>(options_.attempt_directory);
  }
}

Engine::~Engine() { Stop(); }

void Engine::SetLauncher(Launcher* launcher, int launch_threads) {
  launcher_ = launcher;
  if (launch_threads == 0) return;  // Launch() calls the launcher itself
  launch_worker_ = std::make_unique<LaunchWorker>(
      *launcher,
      [this](const std::string& job_id, Result<LaunchedProcess> launched) {
        Post(LaunchResult{job_id, std::move(launched)});
      },
      launch_threads);
}

Status Engine::Start() {
  GLEANER_RETURN_IF_ERROR(Restore());
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

Status Engine::StartStepped() { return Restore(); }

Status Engine::Restore() {
  Result<StoreSnapshot> snapshot = store_.Load();
  if (!snapshot.ok()) return snapshot.status();
  GLEANER_RETURN_IF_ERROR(RestoreFromRecords(*snapshot, state_));
  std::vector<ProviderRecord> capacity_records;
  for (StoredRecord& record : snapshot->capacity) {
    capacity_records.push_back({std::move(record.key), std::move(record.document), false});
  }
  for (CapacityProvider* provider : providers_) {
    GLEANER_RETURN_IF_ERROR(provider->Restore(capacity_records, state_));
  }
  BatchState::KeepLocalAttempt keep_local;
  if (attempt_files_) keep_local = [](const Job&) { return true; };
  std::vector<std::string> kept_local;
  std::vector<AttemptPlacement> lost = state_.FinishRestore(keep_local, &kept_local);
  for (const AttemptPlacement& placement : lost) {
    // An agent's pid names a process on its own machine, not one here.
    if (placement.pid > 0 && !placement.remote &&
        KillOrphanedGroup(static_cast<pid_t>(placement.pid), placement.process_start_ticks)) {
      spdlog::warn("killed process group {} left running by the previous server", placement.pid);
    }
  }
  if (!lost.empty()) spdlog::warn("{} attempt(s) were lost with the previous server", lost.size());
  if (attempt_files_) {
    std::set<std::pair<std::string, int>> kept_attempts;
    for (const std::string& job_id : kept_local) {
      kept_attempts.emplace(job_id, state_.FindJob(job_id)->AttemptNumber());
    }
    attempt_files_->RemoveAllBut(kept_attempts);
    for (const std::string& job_id : kept_local) RecoverLocalAttempt(job_id);
  }
  spdlog::info("restored {} job(s) from the store", state_.job_count());
  std::vector<PendingReply> none;
  Persist(std::move(none));
  store_.Flush();
  return Status::Ok();
}

void Engine::Stop() {
  reattached_.reset();  // its thread posts to this engine: gone before anything it touches
  {
    MutexLock lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (launch_worker_) launch_worker_->Stop();
  store_.Flush();
}

void Engine::Execute(BatchCommand command, BatchReply reply) {
  Post(CommandItem{std::move(command), std::move(reply)});
}

void Engine::OnProcessExit(const ProcessExit& exit) { Post(exit); }

void Engine::Post(WorkItem item) {
  {
    MutexLock lock(mutex_);
    queue_.push_back(std::move(item));
  }
  wake_.notify_one();
}

void Engine::Run() {
  std::deque<WorkItem> batch;
  while (true) {
    {
      // Asked before the lock is taken: the providers take locks of their own (the agent hub's),
      // and the engine's is never held while calling out. A timer that moves meanwhile comes
      // with a post, which wakes the wait.
      std::optional<EpochMillis> timer = NextWakeUp();
      MutexLock lock(mutex_);
      auto has_work = [this]() GLEANER_REQUIRES(mutex_) { return stopping_ || !queue_.empty(); };
      if (timer) {
        // Timers are in the injected clock's time; the wait itself is real time.
        int64_t wait_millis = std::max<int64_t>(0, *timer - clock_.NowMillis());
        wake_.wait_for(lock.native(), std::chrono::milliseconds(wait_millis), has_work);
      } else {
        wake_.wait(lock.native(), has_work);
      }
      if (stopping_ && queue_.empty()) break;
      batch.swap(queue_);
    }
    Turn(batch);
  }
}

void Engine::Step() {
  std::deque<WorkItem> batch;
  {
    MutexLock lock(mutex_);
    batch.swap(queue_);
  }
  Turn(batch);
}

bool Engine::HasPostedWork() {
  MutexLock lock(mutex_);
  return !queue_.empty();
}

void Engine::Turn(std::deque<WorkItem>& batch) {
  std::vector<PendingReply> replies;
  for (WorkItem& item : batch) Process(item, replies);
  batch.clear();
  Status scheduled = Contain([this] { ScheduleAndCarryOut(); });
  if (!scheduled.ok()) spdlog::error("scheduling pass failed: {}", scheduled.message());
  Persist(std::move(replies));
}

std::optional<EpochMillis> Engine::NextWakeUp() const {
  std::optional<EpochMillis> earliest = state_.NextTimer();
  for (const CapacityProvider* provider : providers_) {
    std::optional<EpochMillis> next = provider->NextEventAt();
    if (next && (!earliest || *next < *earliest)) earliest = next;
  }
  return earliest;
}

void Engine::ScheduleAndCarryOut() {
  for (CapacityProvider* provider : providers_) provider->Advance(state_);
  Decisions decisions = Schedule();
  CarryOut(decisions);
  if (!providers_.empty() && !decisions.capacity_requests.empty()) {
    for (CapacityProvider* provider : providers_) {
      provider->Provide(state_, decisions.capacity_requests);
    }
    CarryOut(Schedule());  // what is ready at once takes its jobs now
  }
}

Decisions Engine::Schedule() {
  if (!options_.on_pass) return state_.Schedule();
  SteadyTime started = SteadyNow();
  Decisions decisions = state_.Schedule();
  options_.on_pass(SecondsBetween(started, SteadyNow()), decisions);
  return decisions;
}

void Engine::Process(WorkItem& item, std::vector<PendingReply>& replies) {
  if (auto* command = std::get_if<CommandItem>(&item)) {
    Result<nlohmann::json> result = Status::Internal("the command did not run");
    Status ran = Contain([&] { result = command->command(state_); });
    if (!ran.ok()) {
      spdlog::error("a command failed: {}", ran.message());
      result = Status::Internal("gleaner failed to carry out the request; see the server's log");
    }
    replies.push_back({std::move(command->reply), std::move(result)});
    return;
  }
  Status ran = Contain([&] {
    if (auto* launched = std::get_if<LaunchResult>(&item)) return OnLaunched(*launched);
    if (auto* committed = std::get_if<StartsCommitted>(&item)) return OnStartsCommitted(*committed);
    if (auto* progress = std::get_if<LaunchProgress>(&item)) {
      return state_.OnAttemptLaunchProgress(progress->job_id, progress->attempt, progress->reason);
    }
    OnExit(std::get<ProcessExit>(item));
  });
  if (!ran.ok()) spdlog::error("handling a process event failed: {}", ran.message());
}

void Engine::OnExit(const ProcessExit& exit) {
  auto it = job_by_pid_.find(exit.pid);
  if (it == job_by_pid_.end()) {
    early_exits_[exit.pid] = exit;
    return;
  }
  std::string job_id = std::move(it->second);
  job_by_pid_.erase(it);
  const Job* job = state_.FindJob(job_id);
  if (attempt_files_ && job != nullptr) {
    ended_attempt_files_.push_back(attempt_files_->ExitFile(job_id, job->AttemptNumber()));
    ended_attempt_files_.push_back(attempt_files_->PidFile(job_id, job->AttemptNumber()));
  }
  if (options_.attempt_networks != nullptr && job != nullptr) {
    options_.attempt_networks->Release(job_id, job->AttemptNumber());
  }
  state_.OnAttemptExited(job_id, exit.exit_code, exit.term_signal, exit.reason);
}

void Engine::RecoverLocalAttempt(const std::string& job_id) {
  const Job* job = state_.FindJob(job_id);
  int attempt = job->AttemptNumber();
  const AttemptPlacement& placement = *job->placement;
  AttemptProcess known{static_cast<int>(placement.pid), placement.process_start_ticks};
  FoundAttempt found = attempt_files_->Find(job_id, attempt, known);
  if (found.kind == FoundAttempt::Kind::kNeverStarted) {
    spdlog::info("{} attempt {} had not started when gleaner stopped: given up", job_id, attempt);
    state_.OnAttemptLaunchFailed(job_id,
                                 "Job attempt lost: gleaner restarted while the attempt was " +
                                     std::string(ToString(job->status)));
    return;
  }
  LaunchSpec spec = LaunchSpecFor(*job, /*own_network=*/false);
  launcher_->Adopt(found.process.pid, spec);  // first: a signal due now must reach its container
  if (placement.pid <= 0) {
    state_.OnAttemptLaunched(job_id, found.process.pid, found.process.start_ticks);
    if (int due = state_.SignalDueAtLaunch(job_id)) launcher_->SignalGroup(found.process.pid, due);
  }
  job_by_pid_[found.process.pid] = job_id;
  if (found.kind == FoundAttempt::Kind::kEnded) {
    spdlog::info("{} attempt {} ended while gleaner was away (exit code {})", job_id, attempt,
                 found.exit.exit_code);
    if (!spec.container) return OnExit(found.exit);
    // Why its container ended (and its removal) is the launcher's to tell.
    launcher_->ConcludeAdopted(found.exit,
                               [this](const ProcessExit& exit) { OnProcessExit(exit); });
    return;
  }
  spdlog::info("{} attempt {} still runs (pid {}): re-attached", job_id, attempt,
               found.process.pid);
  if (std::optional<AttemptNetworkRequest> network = NetworkRequestFor(*job)) {
    Status rejoined = options_.attempt_networks->Rejoin(*network, found.process.pid);
    if (!rejoined.ok()) {
      spdlog::warn(
          "{} attempt {} runs on without its network's services (instance metadata, "
          "gleaner's endpoint, outbound): {}",
          job_id, attempt, rejoined.message());
    }
  }
  if (!reattached_) {
    reattached_ = std::make_unique<ReattachedAttempts>([this](const ProcessExit& exit) {
      launcher_->ConcludeAdopted(exit, [this](const ProcessExit& ended) { OnProcessExit(ended); });
    });
  }
  reattached_->Watch(found.process.pid, found.process.start_ticks,
                     attempt_files_->ExitFile(job_id, attempt));
}

void Engine::OnLaunched(LaunchResult& result) {
  if (!result.launched.ok()) {
    const Job* job = state_.FindJob(result.job_id);
    if (options_.attempt_networks != nullptr && job != nullptr) {
      options_.attempt_networks->Release(result.job_id, job->AttemptNumber());
    }
    state_.OnAttemptLaunchFailed(result.job_id, result.launched.status().message());
    return;
  }
  pid_t pid = result.launched->pid;
  job_by_pid_[pid] = result.job_id;
  state_.OnAttemptLaunched(result.job_id, pid, result.launched->start_ticks);
  if (int due = state_.SignalDueAtLaunch(result.job_id)) launcher_->SignalGroup(pid, due);
  auto early = early_exits_.find(pid);
  if (early != early_exits_.end()) {
    ProcessExit exit = early->second;
    early_exits_.erase(early);
    OnExit(exit);
  }
}

void Engine::CarryOut(const Decisions& decisions) {
  for (const StartAttempt& start : decisions.starts) {
    const Job* job = state_.FindJob(start.job_id);
    if (job != nullptr) starts_to_commit_.push_back({start.job_id, job->AttemptNumber()});
  }
  for (const SignalAttempt& signal : decisions.signals) {
    const Job* job = state_.FindJob(signal.job_id);
    // Not launched yet: OnLaunched (or the agent's first report) signals it once it is.
    if (job == nullptr || !job->placement || job->placement->pid <= 0) continue;
    if (RunsRemotely(*job)) {
      remote_->Signal(job->placement->instance_id,
                      {{job->job_id, job->AttemptNumber()}, signal.signal});
    } else {
      launcher_->SignalGroup(static_cast<pid_t>(job->placement->pid), signal.signal);
    }
  }
}

bool Engine::RunsRemotely(const Job& job) const {
  return remote_ != nullptr && job.placement && job.placement->remote;
}

void Engine::OnStartsCommitted(const StartsCommitted& committed) {
  for (const PendingStart& start : committed.starts) {
    if (committed.status.ok()) {
      Launch(start);
    } else if (IsStarting(start)) {
      // Not durable: launching would let a crash take back a job that ran.
      state_.OnAttemptLaunchFailed(
          start.job_id,
          "CannotStartContainerError: gleaner could not record the attempt's start: " +
              committed.status.message());
    }
  }
}

bool Engine::IsStarting(const PendingStart& start) const {
  const Job* job = state_.FindJob(start.job_id);
  // Still this attempt, still not launched: it may have been stopped, or its host lost, meanwhile.
  return job != nullptr && job->status == JobStatus::kStarting &&
         job->AttemptNumber() == start.attempt && job->placement && job->placement->pid <= 0;
}

void Engine::Launch(const PendingStart& start) {
  if (!IsStarting(start)) return;
  const std::string& job_id = start.job_id;
  const Job* job = state_.FindJob(job_id);
  const ContainerProperties& container = *job->container.properties;
  if (RunsRemotely(*job)) {
    // The agent runs the container, or (`gleaner agent --runtime process`) the command with its
    // own PATH, HOME, ... under the job's variables.
    std::vector<std::string> variables = AttemptVariables(*job, /*own_network=*/false);
    ContainerSpec spec = ContainerSpecFor(*job, variables);
    remote_->Launch(job->placement->instance_id, {{job_id, job->AttemptNumber()},
                                                  container.command,
                                                  std::move(variables),
                                                  job->container.current->log_stream_name,
                                                  JobUserOf(container),
                                                  std::move(spec)});
    return;
  }
  if (container.command.empty() && !options_.run_in_containers) {
    state_.OnAttemptLaunchFailed(
        job_id,
        "CannotStartContainerError: the job has no command; set "
        "containerProperties.command in the job definition or "
        "containerOverrides.command in SubmitJob (or run gleaner with --runtime "
        "container, where the image's own CMD runs)");
    return;
  }
  std::optional<AttemptNetworkRequest> network = NetworkRequestFor(*job);
  LaunchSpec spec = LaunchSpecFor(*job, network.has_value());
  if (spec.container) {
    spec.on_progress = [this, job_id, attempt = job->AttemptNumber()](const std::string& reason) {
      Post(LaunchProgress{job_id, attempt, reason});
    };
  }
  if (network) {
    spec.prepare = [networks = options_.attempt_networks,
                    request = *network](LaunchSpec& prepared) -> Status {
      Result<AttemptNetwork> given = networks->Prepare(request);
      if (!given.ok()) {
        return Status::Internal(
            "ResourceInitializationError: cannot set up the attempt's "
            "network: " +
            given.status().message());
      }
      UseNetwork(*given, prepared);
      return Status::Ok();
    };
  }
  if (!launch_worker_) {
    // No launch threads: the launcher returns at once; its result is taken like a thread's.
    if (spec.prepare) {
      Status prepared = spec.prepare(spec);
      if (!prepared.ok()) return Post(LaunchResult{job_id, prepared});
    }
    return Post(LaunchResult{job_id, launcher_->Launch(spec)});
  }
  launch_worker_->Submit(job_id, std::move(spec));
}

void Engine::UseNetwork(const AttemptNetwork& network, LaunchSpec& spec) {
  spec.network_namespace = network.network_namespace;  // empty: this machine's network
  if (!spec.container) {
    spec.resolv_conf = network.resolv_conf;
    return;
  }
  if (!network.nameserver.empty()) spec.container->dns_servers = {network.nameserver};
  for (const std::string& path : network.shared_paths) {
    spec.container->mounts.push_back(
        ContainerSpec::Mount{.host_path = path, .container_path = path, .read_only = true});
  }
}

std::optional<AttemptNetworkRequest> Engine::NetworkRequestFor(const Job& job) const {
  // A multi-node job's nodes reach one another at the main node's address, 127.0.0.1 on this
  // machine: they share its network.
  if (options_.attempt_networks == nullptr || job.node_index) return std::nullopt;
  bool metadata = options_.has_instance_metadata && options_.has_instance_metadata(job);
  AttemptNetworkRequest request{job.job_id, job.AttemptNumber(),
                                metadata ? job.placement->instance_id : std::string()};
  if (!options_.attempt_networks->Gives(request)) return std::nullopt;
  return request;
}

LaunchSpec Engine::LaunchSpecFor(const Job& job, bool own_network) const {
  LaunchSpec spec;
  spec.argv = job.container.properties->command;
  spec.environment = options_.base_environment;
  std::vector<std::string> variables = AttemptVariables(job, own_network);
  spec.environment.insert(spec.environment.end(), variables.begin(), variables.end());
  // A directory per attempt (<work>/<job id>.<attempt>), made by the launch worker and removed
  // with the job when its retention ends.
  spec.working_directory =
      options_.working_directory + "/" + job.job_id + "." + std::to_string(job.AttemptNumber());
  spec.log_path = options_.log_directory + "/" + job.container.current->log_stream_name;
  if (options_.run_in_containers) {
    spec.container = ContainerSpecFor(job, variables);
  } else {
    spec.user = JobUserOf(*job.container.properties);
  }
  if (attempt_files_) {
    spec.exit_file = attempt_files_->ExitFile(job.job_id, job.AttemptNumber());
    spec.pid_file = attempt_files_->PidFile(job.job_id, job.AttemptNumber());
  }
  return spec;
}

std::vector<std::string> Engine::AttemptVariables(const Job& job, bool own_network) const {
  std::vector<std::string> variables;
  for (const KeyValuePair& variable : job.container.properties->environment) {
    variables.push_back(variable.name + "=" + variable.value);
  }
  // How ECS runs the task, unless the job says otherwise (SDKs put it in their user agent).
  const ComputeEnvironment* environment =
      state_.FindComputeEnvironment(job.placement->compute_environment_arn);
  bool fargate = environment != nullptr && environment->IsFargate();
  AddVariableUnlessSet(variables, "AWS_EXECUTION_ENV", fargate ? "AWS_ECS_FARGATE" : "AWS_ECS_EC2");
  variables.push_back("AWS_BATCH_JOB_ID=" + job.job_id);
  variables.push_back("AWS_BATCH_JOB_ATTEMPT=" + std::to_string(job.AttemptNumber()));
  variables.push_back("AWS_BATCH_JQ_NAME=" + NameFromArn(job.job_queue));
  variables.push_back("AWS_BATCH_CE_NAME=" + NameFromArn(job.placement->compute_environment_arn));
  if (job.array_index) {
    variables.push_back("AWS_BATCH_JOB_ARRAY_INDEX=" + std::to_string(*job.array_index));
    variables.push_back("AWS_BATCH_JOB_ARRAY_SIZE=" + std::to_string(*job.array_size));
  }
  if (job.node_index && job.node_properties) {
    const NodeProperties& nodes = *job.node_properties;
    variables.push_back("AWS_BATCH_JOB_NODE_INDEX=" + std::to_string(*job.node_index));
    variables.push_back("AWS_BATCH_JOB_MAIN_NODE_INDEX=" + std::to_string(nodes.main_node));
    variables.push_back("AWS_BATCH_JOB_NUM_NODES=" + std::to_string(nodes.num_nodes));
    if (!job.IsMainNode()) {
      variables.push_back("AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS=" + MainNodeAddress(job));
    }
  }
  if (!job.placement->gpu_ids.empty()) {
    // What the ECS agent gives a container with GPUs: the devices it may use, by index.
    std::string devices;
    for (int gpu : job.placement->gpu_ids) {
      devices += (devices.empty() ? "" : ",") + std::to_string(gpu);
    }
    variables.push_back("NVIDIA_VISIBLE_DEVICES=" + devices);
    variables.push_back("CUDA_VISIBLE_DEVICES=" + devices);
  }
  if (options_.attempt_environment) options_.attempt_environment(job, own_network, variables);
  return variables;
}

std::string Engine::MainNodeAddress(const Job& node) const {
  // The other nodes start once the main node runs: it has a host. An agent's machine is reached
  // at the address it advertised; everything else (local capacity, simulated instances) runs on
  // this machine.
  const Job* main = state_.FindMainNode(node);
  const Host* host =
      main != nullptr && main->placement ? state_.FindHost(main->placement->instance_id) : nullptr;
  if (host == nullptr || host->private_ipv4_address.empty()) return "127.0.0.1";
  return host->private_ipv4_address;
}

void Engine::Persist(std::vector<PendingReply> replies) {
  StateChanges changes = state_.TakeChanges();
  std::function<void()> publish;
  if (options_.observe_changes) publish = options_.observe_changes(state_, changes);
  std::vector<Mutation> mutations = MutationsFor(state_, changes);
  for (CapacityProvider* provider : providers_) {
    for (ProviderRecord& record : provider->TakeChangedRecords()) {
      mutations.push_back(record.is_delete ? Mutation::Delete(RecordKind::kCapacity, record.key)
                                           : Mutation::Put(RecordKind::kCapacity, record.key,
                                                           std::move(record.document)));
    }
  }
  std::vector<PendingStart> starts;
  starts.swap(starts_to_commit_);
  std::vector<std::string> ended_attempt_files;
  ended_attempt_files.swap(ended_attempt_files_);
  if (mutations.empty() && commits_in_flight_.load(std::memory_order_acquire) == 0) {
    // Everything in memory is durable already: nothing to wait for.
    Durable durable{std::move(replies), std::move(starts), std::move(publish),
                    std::move(ended_attempt_files)};
    OnDurable(durable, Status::Ok());
    return;
  }
  if (mutations.empty() && replies.empty() && starts.empty() && !publish &&
      ended_attempt_files.empty()) {
    return;
  }
  // An empty batch still waits in the store's queue behind the commits in flight.
  commits_in_flight_.fetch_add(1, std::memory_order_acq_rel);
  auto durable = std::make_shared<Durable>(Durable{
      std::move(replies), std::move(starts), std::move(publish), std::move(ended_attempt_files)});
  store_.Commit(std::move(mutations), [this, durable](Status status) {
    OnDurable(*durable, status);
    commits_in_flight_.fetch_sub(1, std::memory_order_acq_rel);
  });
}

void Engine::OnDurable(Durable& durable, const Status& status) {
  if (!status.ok()) spdlog::error("could not make changes durable: {}", status.message());
  for (PendingReply& pending : durable.replies) {
    Status answered = Contain([&] {
      if (status.ok()) {
        pending.reply(std::move(pending.result));
      } else {
        pending.reply(Status::Internal("could not make the change durable: " + status.message()));
      }
    });
    if (!answered.ok()) spdlog::error("answering a request failed: {}", answered.message());
  }
  if (status.ok() && durable.publish) {
    Status published = Contain(durable.publish);
    if (!published.ok()) spdlog::error("publishing events failed: {}", published.message());
  }
  if (!durable.starts.empty()) Post(StartsCommitted{std::move(durable.starts), status});
  if (status.ok()) {
    // The attempts' ends are durable: a restart no longer needs their shims' files.
    for (const std::string& path : durable.ended_attempt_files) unlink(path.c_str());
  }
}

}  // namespace gleaner
