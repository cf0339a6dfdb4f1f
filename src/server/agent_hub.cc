// AgentHub: what agents mean for the state, on the scheduler thread.
#include <spdlog/spdlog.h>

#include <csignal>
#include <random>
#include <set>

#include "api/aws_errors.h"
#include "common/entropy.h"
#include "scheduler/batch_state.h"
#include "server/agent_hub.h"

namespace gleaner {
namespace {

bool IsPlacedHere(const Job* job, const std::string& instance_id, int attempt) {
  return job != nullptr && job->placement && job->placement->instance_id == instance_id &&
         job->AttemptNumber() == attempt &&
         (job->status == JobStatus::kStarting || job->status == JobStatus::kRunning);
}

// Whether every attempt placed on `instance_id` belongs to `compute_environment_arn`.
bool PlacedIn(const BatchState& state, const std::string& instance_id,
              const std::string& compute_environment_arn) {
  for (const std::string& job_id : state.JobsOnHost(instance_id)) {
    const Job* job = state.FindJob(job_id);
    if (job != nullptr && job->placement &&
        job->placement->compute_environment_arn != compute_environment_arn) {
      return false;
    }
  }
  return true;
}

// For a hub without a durable key: credentials then hold for this process only.
std::string RandomKey() { return EntropyBytes(32); }

}  // namespace

AgentHub::AgentHub(const Clock& clock, BatchExecutor& executor, AgentHubOptions options)
    : clock_(clock),
      executor_(executor),
      options_(std::move(options)),
      identity_(options_.identity_key.empty() ? RandomKey() : options_.identity_key),
      instance_ids_(options_.instance_id_seed ? *options_.instance_id_seed : RandomSeed()) {
  if (options_.poll_timer_thread) poll_timer_ = std::thread([this] { RunPollTimer(); });
}

AgentHub::~AgentHub() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  polls_changed_.notify_all();
  if (poll_timer_.joinable()) poll_timer_.join();
}

Status AgentHub::JoinCluster(BatchState& state, const AgentRegistration& registration,
                             AgentRegistered& registered) {
  const ComputeEnvironment* environment =
      state.FindComputeEnvironmentOfCluster(registration.cluster);
  if (environment == nullptr) {
    return Status::InvalidArgument("cluster: no compute environment has the ECS cluster \"" +
                                   registration.cluster +
                                   "\" (see ecsClusterArn in describe-compute-environments)");
  }
  std::string instance_id = registration.instance_id;
  if (instance_id.empty()) {
    do {
      instance_id = instance_ids_.Next();
    } while (state.FindHost(instance_id) != nullptr);
  }
  // An agent may take back only its own instance: one it registered before (still there, or
  // with attempts that outlived a restart of this server), in the same compute environment.
  const Host* existing = state.FindHost(instance_id);
  bool taken_by_other =
      existing != nullptr
          ? !existing->remote || existing->compute_environment_arn != environment->arn
          : !state.JobsOnHost(instance_id).empty() &&
                (state.adrift_hosts().count(instance_id) == 0 ||
                 !PlacedIn(state, instance_id, environment->arn));
  if (taken_by_other) {
    return Status::InvalidArgument(
        "instanceId: " + instance_id +
        " is not this agent's to take: it is a container instance of another kind or of another "
        "compute environment (register without an instanceId to get a new one)");
  }
  // Its attempts outlived a restart of this server: some may have started before it and never
  // been sent (see below). Any other attempt starting there is this server's, and is sent.
  bool restored = state.adrift_hosts().count(instance_id) != 0;
  std::string cluster = ArnResourceName(environment->ecs_cluster_arn, "cluster");
  if (existing == nullptr) {
    Host host;
    host.instance_id = instance_id;
    host.container_instance_arn = state.scope().EcsContainerInstance(cluster + "/" + instance_id);
    host.compute_environment_arn = environment->arn;
    host.total = registration.resources;
    host.remote = true;
    host.private_ipv4_address = registration.private_ipv4_address;
    state.AddHost(std::move(host));
    spdlog::info("agent {} ({}) joined cluster {} with {}", instance_id, registration.hostname,
                 cluster, registration.resources.ToString());
  } else if (existing->total != registration.resources ||
             existing->private_ipv4_address != registration.private_ipv4_address) {
    // Restarted with other --vcpus/--memory/--gpus (or elsewhere): what it offers now (what runs
    // there stays).
    Host updated = *existing;
    updated.total = registration.resources;
    updated.private_ipv4_address = registration.private_ipv4_address;
    state.AddHost(std::move(updated));
  }
  std::set<AttemptKey> held(registration.attempts.begin(), registration.attempts.end());
  std::set<AttemptKey> assigned;  // by this server, to send until the agent confirms them
  {
    MutexLock lock(mutex_);
    Agent& agent = agents_[instance_id];
    agent.awaiting_registration = false;
    agent.last_seen = clock_.NowMillis();
    // Assignments it never heard of (answers lost with its previous run) go out again.
    for (auto& [key, unconfirmed] : agent.unconfirmed) {
      assigned.insert(key);
      if (held.count(key) == 0) unconfirmed.sent_at.reset();
    }
    // Its attempts may ship logs (also those that outlived a restart of this server).
    for (const std::string& job_id : state.JobsOnHost(instance_id)) {
      const Job* job = state.FindJob(job_id);
      if (job == nullptr || !job->placement) continue;
      agent.log_streams[{job_id, job->AttemptNumber()}] = job->container.current->log_stream_name;
    }
  }
  // Attempts started there before this server restarted that the agent does not hold and this
  // server never sent: the agent never got them, or lost them with its work directory. They end,
  // and are retried. (Only for a host left adrift: a start of this server's own may still be on
  // its way to the store, and is sent once durable.)
  for (const std::string& job_id :
       restored ? state.JobsOnHost(instance_id) : std::vector<std::string>{}) {
    const Job* job = state.FindJob(job_id);
    if (job == nullptr || !job->placement || job->status != JobStatus::kStarting ||
        job->placement->pid > 0) {
      continue;
    }
    AttemptKey key{job_id, job->AttemptNumber()};
    if (held.count(key) != 0 || assigned.count(key) != 0) continue;
    state.OnAttemptLaunchFailed(
        job_id, "CannotStartContainerError: the agent on instance " + instance_id +
                    " does not hold this attempt (it never received it, or lost it)");
  }
  registered.instance_id = instance_id;
  registered.container_instance_arn = state.FindHost(instance_id)->container_instance_arn;
  registered.compute_environment_arn = environment->arn;
  registered.poll_wait_millis = std::min<int64_t>(10'000, options_.lost_after_millis / 3);
  registered.report_interval_millis = options_.report_interval_millis;
  return Status::Ok();
}

AgentReportReply AgentHub::ApplyReport(BatchState& state, const AgentReport& report) {
  const std::string& instance_id = report.instance_id;
  AgentReportReply reply;
  std::vector<AttemptSignal> due;  // for attempts that got a signal while they were launching
  std::vector<AttemptKey> ended;
  for (const AttemptReport& attempt : report.attempts) {
    const std::string& job_id = attempt.key.job_id;
    const Job* job = state.FindJob(job_id);
    bool current = IsPlacedHere(job, instance_id, attempt.key.attempt);
    switch (attempt.state) {
      case AttemptState::kStarting:
        if (current && !attempt.reason.empty()) {
          state.OnAttemptLaunchProgress(job_id, attempt.key.attempt, attempt.reason);
        }
        break;
      case AttemptState::kRunning:
        if (!current) {
          // Ended while the agent was away (lost, or the server restarted): stop it.
          reply.signals.push_back({attempt.key, SIGKILL});
        } else if (job->placement->pid == 0) {
          state.OnAttemptLaunched(job_id, attempt.pid, attempt.start_ticks);
          if (int signal = state.SignalDueAtLaunch(job_id)) due.push_back({attempt.key, signal});
        }
        break;
      case AttemptState::kExited:
        if (current) {
          // Started and ended between two reports: it ran, then exited.
          if (job->status == JobStatus::kStarting) state.OnAttemptLaunched(job_id, 0, 0);
          state.OnAttemptExited(job_id, attempt.exit_code, attempt.signal, attempt.reason);
        }
        ended.push_back(attempt.key);
        break;
      case AttemptState::kLaunchFailed:
        if (current) state.OnAttemptLaunchFailed(job_id, attempt.reason);
        ended.push_back(attempt.key);
        break;
    }
  }
  // An attempt it reported running before but lists no more is gone with whatever the agent
  // lost (its work directory, say): it ends without an exit status, and may be retried.
  std::set<std::string> listed;
  for (const AttemptReport& attempt : report.attempts) listed.insert(attempt.key.job_id);
  for (const std::string& job_id : state.JobsOnHost(instance_id)) {
    const Job* job = state.FindJob(job_id);
    if (job == nullptr || !job->placement || job->placement->pid <= 0 || listed.count(job_id)) {
      continue;
    }
    state.OnAttemptLaunchFailed(job_id, "CannotInspectContainerError: the agent on instance " +
                                            instance_id + " no longer reports this attempt");
  }
  reply.acknowledged = ended;
  std::optional<Answer> answer;
  {
    MutexLock lock(mutex_);
    auto agent = agents_.find(instance_id);
    if (agent != agents_.end()) {
      for (const AttemptReport& attempt : report.attempts) {
        agent->second.unconfirmed.erase(attempt.key);
      }
      for (const AttemptKey& key : ended) agent->second.log_streams.erase(key);
      for (AttemptSignal& signal : due) agent->second.signals.push_back(std::move(signal));
      if (!due.empty()) answer = TakeHeldPollLocked(agent->second);
    }
  }
  if (answer) answer->respond(JsonResponse(EncodeAgentWork(answer->work)));
  return reply;
}

void AgentHub::Advance(HostEvents& state) {
  EpochMillis now = clock_.NowMillis();
  std::vector<std::string> lost;
  std::vector<Responder> polls;
  {
    MutexLock lock(mutex_);
    // Agents whose attempts outlived a restart of this server get lost_after_millis to register
    // again, as if they had just been heard from.
    for (const std::string& instance_id : state.adrift_hosts()) {
      if (agents_.count(instance_id) != 0) continue;
      Agent& awaited = agents_[instance_id];
      awaited.last_seen = now;
      awaited.awaiting_registration = true;
    }
    restored_agents_awaited_ = true;
    for (auto it = agents_.begin(); it != agents_.end();) {
      if (it->second.last_seen + options_.lost_after_millis > now) {
        ++it;
        continue;
      }
      lost.push_back(it->first);
      if (it->second.poll) polls.push_back(std::move(it->second.poll->respond));
      it = agents_.erase(it);
    }
  }
  for (const std::string& instance_id : lost) {
    spdlog::warn("agent {} sent nothing for {} ms: declared lost, its attempts end", instance_id,
                 options_.lost_after_millis);
    state.LoseHost(instance_id);
  }
  for (Responder& respond : polls) {
    respond(JsonProtocolError(std::string(kAgentNotRegistered),
                              "the agent was declared lost; register again", 404));
  }
}

std::optional<EpochMillis> AgentHub::NextEventAt() const {
  MutexLock lock(mutex_);
  if (!restored_agents_awaited_) return clock_.NowMillis();  // the first pass looks for them
  std::optional<EpochMillis> earliest;
  for (const auto& [id, agent] : agents_) {
    EpochMillis due = agent.last_seen + options_.lost_after_millis;
    if (!earliest || due < *earliest) earliest = due;
  }
  return earliest;
}

void AgentHub::Launch(const std::string& instance_id, AttemptAssignment assignment) {
  std::optional<Answer> answer;
  {
    MutexLock lock(mutex_);
    auto agent = agents_.find(instance_id);
    if (agent == agents_.end()) return;  // lost meanwhile: its host's attempts are ended already
    agent->second.log_streams[assignment.key] = assignment.log_stream_name;
    AttemptKey key = assignment.key;
    agent->second.unconfirmed[key] = Unconfirmed{std::move(assignment), std::nullopt};
    answer = TakeHeldPollLocked(agent->second);
  }
  if (answer) answer->respond(JsonResponse(EncodeAgentWork(answer->work)));
}

void AgentHub::Signal(const std::string& instance_id, const AttemptSignal& signal) {
  std::optional<Answer> answer;
  {
    MutexLock lock(mutex_);
    auto agent = agents_.find(instance_id);
    if (agent == agents_.end()) return;
    agent->second.signals.push_back(signal);
    answer = TakeHeldPollLocked(agent->second);
  }
  if (answer) answer->respond(JsonResponse(EncodeAgentWork(answer->work)));
}

AgentWork AgentHub::TakeWorkLocked(Agent& agent, SteadyTime now) {
  // An assignment unconfirmed for two heartbeats was lost on its way.
  auto resend_after =
      std::chrono::milliseconds(std::max<int64_t>(1000, 2 * options_.report_interval_millis));
  AgentWork work;
  for (auto& [key, unconfirmed] : agent.unconfirmed) {
    if (unconfirmed.sent_at && *unconfirmed.sent_at + resend_after > now) continue;
    unconfirmed.sent_at = now;
    work.assignments.push_back(unconfirmed.assignment);
  }
  work.signals.swap(agent.signals);
  return work;
}

std::optional<AgentHub::Answer> AgentHub::TakeHeldPollLocked(Agent& agent) {
  if (!agent.poll) return std::nullopt;
  Answer answer{std::move(agent.poll->respond), TakeWorkLocked(agent, clock_.MonotonicNow())};
  agent.poll.reset();
  return answer;
}

}  // namespace gleaner
