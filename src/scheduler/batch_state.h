#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/ids.h"
#include "common/status.h"
#include "model/arn.h"
#include "model/preemption.h"
#include "scheduler/dispatch/dispatcher.h"
#include "scheduler/host.h"
#include "scheduler/host_events.h"
#include "scheduler/host_pricing.h"
#include "scheduler/requests.h"

namespace gleaner {

// What a state change touched, so the caller can persist exactly that. Keys as in the store.
struct StateChanges {
  std::set<std::string> compute_environments;  // names
  std::set<std::string> job_queues;            // names
  std::set<std::string> job_definitions;       // "name:revision"
  std::set<std::string> scheduling_policies;   // names
  std::set<std::string> jobs;                  // ids
  std::set<std::string> deleted_compute_environments;
  std::set<std::string> deleted_job_queues;
  std::set<std::string> deleted_scheduling_policies;
  std::map<std::string, int> deleted_jobs;  // purged after the retention period: attempts made
  // The log streams (logStreamName) of the purged jobs' attempts: their output goes with them.
  std::vector<std::string> purged_log_streams;
  // Every status a job moved to, in order (several per job when a pass moves it more than once);
  // a job SubmitJob made begins with SUBMITTED (arrays' children and multi-node nodes do not).
  std::vector<std::pair<std::string, JobStatus>> status_transitions;

  bool empty() const {
    return compute_environments.empty() && job_queues.empty() && job_definitions.empty() &&
           scheduling_policies.empty() && jobs.empty() && deleted_compute_environments.empty() &&
           deleted_job_queues.empty() && deleted_scheduling_policies.empty() &&
           deleted_jobs.empty();
  }
};

// What the state asks of the world. The engine carries these out and reports back.
struct StartAttempt {
  std::string job_id;
};
struct SignalAttempt {
  std::string job_id;
  int signal = 0;
};
struct Decisions {
  std::vector<StartAttempt> starts;
  std::vector<SignalAttempt> signals;
  // Capacity to launch (see CapacityRequests).
  CapacityRequests capacity_requests;
};

struct BatchStateOptions {
  ArnScope scope;
  uint64_t seed = 1;
  int64_t stop_grace_millis = 30'000;  // SIGTERM -> SIGKILL on TerminateJob
  int max_jobs_examined_per_pass = 20'000;
  // Finished jobs stay visible this long (AWS: at least 7 days), then are purged.
  int64_t job_retention_millis = 7LL * 24 * 3600 * 1000;
  // What EC2 accepts in a MANAGED EC2/SPOT environment's compute resources (its instance types,
  // checked against the catalog), as AWS checks them at CreateComputeEnvironment and
  // UpdateComputeEnvironment; null: anything.
  std::function<Status(const ComputeResources&)> check_compute_resources;
  // Prices each attempt when it ends (AttemptDetail::cost); null: attempts are unpriced. Must
  // outlive the state.
  const HostPricing* pricing = nullptr;
  // How interruptions count for jobs whose own tags, definition's and queue's do not say
  // (kPreemptionRetriesTag): by default as on AWS Batch, each an attempt.
  PreemptionBudget default_preemption;
};

// All of AWS Batch's state, in memory, and every rule that needs it: the catalog (compute
// environments, queues, job definitions, scheduling policies) and jobs with their lifecycle. The
// dispatch of RUNNABLE jobs onto hosts is the Dispatcher's (dispatch/), which it owns and serves.
// Single-threaded and pure: time comes from the injected Clock, ids from a seeded generator;
// nothing here does I/O.
class BatchState final : public HostEvents {
 public:
  BatchState(const Clock& clock, BatchStateOptions options);
  BatchState(const BatchState&) = delete;  // its indexes point into itself
  BatchState& operator=(const BatchState&) = delete;

  const ArnScope& scope() const override { return options_.scope; }

  // Catalog.
  Result<const ComputeEnvironment*> CreateComputeEnvironment(CreateComputeEnvironmentRequest req);
  Result<const ComputeEnvironment*> UpdateComputeEnvironment(
      const UpdateComputeEnvironmentRequest& req);
  // A capacity provider found the compute environment unusable as configured (INVALID with
  // `status_reason`, as AWS reports it). Updating its compute resources makes it VALID again.
  void MarkComputeEnvironmentInvalid(const std::string& arn,
                                     const std::string& status_reason) override;
  Status DeleteComputeEnvironment(const std::string& name_or_arn);
  Result<const JobQueue*> CreateJobQueue(CreateJobQueueRequest req);
  Result<const JobQueue*> UpdateJobQueue(const UpdateJobQueueRequest& req);
  Status DeleteJobQueue(const std::string& name_or_arn);
  Result<const SchedulingPolicy*> CreateSchedulingPolicy(CreateSchedulingPolicyRequest req);
  Status UpdateSchedulingPolicy(const UpdateSchedulingPolicyRequest& req);
  Status DeleteSchedulingPolicy(const std::string& arn);
  Result<const JobDefinition*> RegisterJobDefinition(RegisterJobDefinitionRequest req);
  Status DeregisterJobDefinition(const std::string& name_rev_or_arn);

  const ComputeEnvironment* FindComputeEnvironment(const std::string& name_or_arn) const override;
  // The compute environment whose ECS cluster (ecsClusterArn) `cluster` names, by name or ARN.
  const ComputeEnvironment* FindComputeEnvironmentOfCluster(
      const std::string& cluster) const override;
  const std::map<std::string, ComputeEnvironment>& compute_environments() const override {
    return compute_environments_;
  }
  // The ECS clusters of compute environments deleted since this server started (ARNs, the last
  // kMaxInactiveClusters): ECS shows them INACTIVE for a while, and so does gleaner until it
  // restarts.
  const std::set<std::string>& inactive_clusters() const { return inactive_clusters_; }
  static constexpr size_t kMaxInactiveClusters = 1000;
  const JobQueue* FindJobQueue(const std::string& name_or_arn) const;
  const SchedulingPolicy* FindSchedulingPolicy(const std::string& arn) const;
  // "name" (latest ACTIVE revision), "name:revision" or an ARN.
  const JobDefinition* FindJobDefinition(const std::string& reference) const;
  const Job* FindJob(const std::string& job_id) const override;
  // The main node of a multi-node job, given the job or any of its nodes; nullptr for any other
  // job (or a main node not created yet).
  const Job* FindMainNode(const Job& job) const;
  // The status of any job, including an array child not made yet; nullopt when there is none.
  std::optional<JobStatus> StatusOf(const std::string& job_id) const;
  // A copy describing an array child that has not been made yet (DescribeJobs on "<parent>:<i>").
  std::optional<Job> VirtualArrayChild(const std::string& job_id) const;
  // Children of an array parent by status, every status present (arrayProperties.statusSummary).
  std::map<std::string, int> ArrayStatusSummary(const Job& parent) const;
  // ListJobs --array-job-id: children in index order, made or not.
  Result<std::vector<Job>> ListArrayChildren(const ListJobsRequest& req,
                                             std::string* next_token) const;

  // ListJobs --multi-node-job-id: the nodes "<id>#<n>" of a multi-node job, in index order.
  Result<std::vector<const Job*>> ListMultiNodeJobs(const ListJobsRequest& req,
                                                    std::string* next_token) const;

  // Paged listings in the order AWS gives them (names ascending; definitions by name, revision).
  Result<std::vector<const ComputeEnvironment*>> DescribeComputeEnvironments(
      const DescribeComputeEnvironmentsRequest& req, std::string* next_token) const;
  Result<std::vector<const JobQueue*>> DescribeJobQueues(const DescribeJobQueuesRequest& req,
                                                         std::string* next_token) const;
  Result<std::vector<const JobDefinition*>> DescribeJobDefinitions(
      const DescribeJobDefinitionsRequest& req, std::string* next_token) const;
  Result<std::vector<const SchedulingPolicy*>> ListSchedulingPolicies(
      const PageRequest& page, std::string* next_token) const;
  // Newest first.
  Result<std::vector<const Job*>> ListJobs(const ListJobsRequest& req,
                                           std::string* next_token) const;

  // Tags on any resource by ARN.
  Result<TagMap> ListTags(const std::string& arn);
  Status TagResource(const std::string& arn, const TagMap& tags);
  Status UntagResource(const std::string& arn, const std::vector<std::string>& keys);

  // Jobs.
  Result<const Job*> SubmitJob(const SubmitJobRequest& req);
  Status CancelJob(const StopJobRequest& req);
  Status TerminateJob(const StopJobRequest& req);

  // Capacity and execution.
  // A host whose attempts survived a restart (an agent registering again) takes them back: their
  // resources and GPUs are reserved on it again.
  void AddHost(Host host) override;
  // Agents' machines with attempts still placed on them but not registered since the restart.
  const std::set<std::string>& adrift_hosts() const override { return adrift_hosts_; }
  const std::map<std::string, Host>& hosts() const { return dispatcher_.hosts().hosts(); }
  const Host* FindHost(const std::string& instance_id) const override;
  // A booting host is ready: it takes attempts from the next Schedule() on.
  void OnHostReady(const std::string& instance_id) override;
  // The host will be gone at `deadline`: nothing new is placed there; its attempts get SIGTERM
  // now when `signal_attempts`, and end with "Host EC2 (instance <id>) terminated." unless they
  // exit 0. Returns the ids of the jobs running there.
  std::vector<std::string> OnInterruptionNotice(const std::string& instance_id,
                                                EpochMillis deadline,
                                                bool signal_attempts) override;
  // The host is gone: its attempts get SIGKILL and end with the interruption reason (the retry
  // strategy decides); the host is forgotten.
  void TerminateHost(const std::string& instance_id) override;
  // The host vanished together with its processes (an agent that stopped answering, or never came
  // back after a restart): as TerminateHost, but no exits will come, so its attempts end now, as
  // killed.
  void LoseHost(const std::string& instance_id) override;
  // The ids of the jobs with an attempt placed on the host.
  std::vector<std::string> JobsOnHost(const std::string& instance_id) const override;
  // A provider scales this compute environment (nullopt: it does not any more).
  void SetScalingCapacity(const std::string& compute_environment_arn,
                          std::optional<ScalingCapacity> capacity) override;
  void SetDesiredvCpus(const std::string& compute_environment_arn, int vcpus) override;
  // Places what can run now and fires due timers; returns what the engine must do.
  Decisions Schedule();
  // The engine launched the attempt (RUNNING) or could not (the attempt fails with `reason`).
  void OnAttemptLaunched(const std::string& job_id, int64_t pid, int64_t process_start_ticks);
  void OnAttemptLaunchFailed(const std::string& job_id, const std::string& reason);
  // The launch of the job's attempt `attempt` waits for something (an image being pulled): the
  // STARTING job's statusReason says so until it runs. Ignored for any other attempt or status.
  void OnAttemptLaunchProgress(const std::string& job_id, int attempt, const std::string& reason);
  // The signal a just-launched attempt is due (0: none): SIGTERM when it was terminated or timed
  // out, or its host got an interruption notice, while it was being launched; SIGKILL when its
  // host is gone already.
  int SignalDueAtLaunch(const std::string& job_id) const;
  // The attempt's process ended: exit_code as the shell reports it, term_signal when signalled.
  // `reason`, when set, says why it ended in AWS's words ("OutOfMemoryError: ..."): the
  // attempt's container reason and, unless it was terminated or interrupted, the job's.
  void OnAttemptExited(const std::string& job_id, int exit_code, int term_signal,
                       const std::string& reason = "");
  // What a dispatch pass would do with a RUNNABLE job now (for a multi-node parent: its main
  // node), with the reason it waits when it does, in AWS's words where AWS has them. Computed on
  // demand (DescribeJobs) by the dispatcher's own rules, so waiting jobs cost nothing while they
  // wait and the reason is what dispatch does.
  DispatchResult EvaluateDispatch(const Job& job) const;
  std::string ExplainWaiting(const Job& job) const { return EvaluateDispatch(job).reason; }
  // When the next timer (a SIGKILL after a grace period) is due, if any.
  std::optional<EpochMillis> NextTimer() const;

  // Rebuilding after a restart. Restore* take records in store order; FinishRestore() ends every
  // attempt that was placed (its process is gone with the old server) and returns those jobs'
  // placements so the engine can kill orphaned process groups. Except: attempts on agents keep
  // running (their agent reports them when it registers again), and so do the STARTING and
  // RUNNING attempts on this machine's hosts (ones that exist already) that `keep_local` accepts:
  // their resources are reserved again and their ids added to `kept_local`, for the engine to find
  // each one's process again (OnAttemptLaunched for one still STARTING) or to record how it ended
  // (OnAttemptExited, OnAttemptLaunchFailed).
  void RestoreComputeEnvironment(ComputeEnvironment environment);
  void RestoreJobQueue(JobQueue queue);
  void RestoreSchedulingPolicy(SchedulingPolicy policy);
  void RestoreJobDefinition(JobDefinition definition);
  void RestoreJob(Job job);
  using KeepLocalAttempt = std::function<bool(const Job&)>;
  std::vector<AttemptPlacement> FinishRestore(const KeepLocalAttempt& keep_local = nullptr,
                                              std::vector<std::string>* kept_local = nullptr);

  // Everything changed since the last call.
  StateChanges TakeChanges();

  size_t job_count() const { return jobs_.size(); }
  // What an attempt on `placement` cost from its placement until `now` (options_.pricing), and
  // how it ended: priced as it ends, and so (as if ending now) for a running one's cost so far.
  AttemptCost CostOfAttempt(const AttemptPlacement& placement, const Resources& required,
                            const std::string& status_reason, bool succeeded,
                            EpochMillis now) const;
  // Every job, by id (array children and multi-node nodes that were made, too).
  const std::map<std::string, Job>& jobs() const { return jobs_; }
  // How many jobs each queue (by ARN) holds in each status, from the queues' own indexes: as
  // cheap with a million jobs as with ten (metrics).
  std::map<std::string, std::array<size_t, kJobStatusCount>> JobCountsByQueue() const;
  // What a queue's STARTING and RUNNING jobs reserve, and the RUNNABLE job waiting longest (the
  // first by id: ids are time-ordered), from the queue's indexes (`gleaner queues`).
  struct QueueActivity {
    Resources reserved;
    const Job* oldest_runnable = nullptr;
  };
  QueueActivity ActivityOf(const std::string& queue_arn) const;
  // A queue's (by ARN) jobs by status -- array children and multi-node nodes too -- each set in
  // id (submission) order, so a listing can start anywhere (GET /gleaner/v1/jobs); null when the
  // queue never held a job.
  const std::map<JobStatus, JobSet>* JobsOfQueue(const std::string& queue_arn) const {
    auto found = jobs_by_queue_.find(queue_arn);
    return found == jobs_by_queue_.end() ? nullptr : &found->second;
  }

 private:
  struct QueueJobs;  // per-queue indexes, defined in the .cc files

  enum class ArrayMode { kAllAtOnce, kSequential, kNToN };

  Job* MutableJob(const std::string& job_id);
  ArrayMode ModeOf(const Job& parent) const;
  std::string NToNSource(const Job& parent) const;
  Status CheckArrayDependencies(const SubmitJobRequest& req) const;
  Job& MaterializeChild(Job& parent, int index, JobStatus status, std::string reason);
  void ReleaseArray(Job& parent);
  void SettleNToNChild(Job& parent, const Job* source, int index);
  void OnArrayChildFinished(const Job& child);
  void StopArray(Job& parent, const std::string& reason);
  void StopArrayChildren(Job& parent, const std::string& reason, bool terminate);
  void MaybeCompleteArray(Job& parent);
  void ReleaseDependentsOf(const std::string& job_id);
  // The dependencies that hold a whole job back (an array's N_TO_N ones hold single children).
  bool IsGatingDependency(const Job& job, const JobDependency& dependency) const;
  void OnDependenciesSettled(Job& dependent, std::vector<std::string>& failed);
  // Multi-node parallel jobs (batch_state_multinode.cc).
  Status CheckMultiNodeRequest(const SubmitJobRequest& req, const JobDefinition& definition) const;
  // The definition's platform (platformCapabilities: EC2 unless FARGATE) is the platform of the
  // queue's compute environments, and a multi-node job's queue is not Fargate.
  Status CheckPlatformFits(const JobQueue& queue, const JobDefinition& definition) const;
  Result<NodeProperties> ResolveNodeProperties(
      const SubmitJobRequest& req, const JobDefinition& definition,
      const std::map<std::string, std::string>& parameters) const;
  void MakeNodes(Job& parent);
  // The parent of a multi-node parent or node (itself for a parent); nullptr for other jobs.
  Job* MultiNodeParentOf(const Job& job);
  Job* MainNodeOf(const Job& parent);
  std::vector<Job*> OtherNodesOf(const Job& parent);
  void ReleaseMultiNodeJob(Job& parent);
  void OnMainNodeStatusChanged(Job& main);
  bool RequeueStaleNode(Job& node, bool retryable);
  void FinishMultiNodeJob(Job& parent, JobStatus status, const std::string& reason,
                          const std::string& node_reason);
  void StopNodes(Job& parent, const std::string& reason);
  void StopMultiNodeJob(Job& parent, const std::string& reason, bool terminate);
  void SettleMultiNodeJobs();
  void MarkJobChanged(const Job& job) { changes_.jobs.insert(job.job_id); }
  void SetStatus(Job& job, JobStatus status, std::string reason);
  static int PreemptedAttempts(const Job& job) {
    int preempted = 0;
    for (const AttemptDetail& attempt : job.attempts) {
      if (attempt.cost.outcome == AttemptEnding::kInterrupted) ++preempted;
    }
    return preempted;
  }
  // How the job's interruptions count: its tag, else its definition's, else its queue's, else
  // options_.default_preemption.
  PreemptionBudget PreemptionBudgetOf(const Job& job) const;
  // After an interrupted attempt (already in job.attempts), under a budget apart from `attempts`:
  // nullopt to requeue it, or the reason it fails.
  std::optional<std::string> PreemptionEnds(const Job& job, const PreemptionBudget& budget,
                                            const std::string& status_reason,
                                            const AttemptContainer& container) const;
  void EndAttempt(Job& job, const AttemptContainer& container, const std::string& status_reason,
                  bool retryable);
  void ReleasePlacement(Job& job);
  void FailWithoutRunning(Job& job, const std::string& reason);
  void OnJobFinished(const Job& job);
  bool DependenciesSatisfied(const Job& job, std::string* failed_dependency) const;
  void IndexJob(Job& job);
  void MoveInIndex(Job& job, JobStatus from);
  Result<Job> BuildJob(const SubmitJobRequest& req, const JobQueue& queue,
                       const JobDefinition& definition);
  // The definition revision's containerProperties, stored once for the jobs that run it as it is.
  const SharedValue<ContainerProperties>& DefinitionContainer(const JobDefinition& definition);
  void ShareDefinitionContainer(Job& job);
  FairShareTracker* FairShareOf(const std::string& queue_arn);
  void OnPolicyChanged(const SchedulingPolicy& policy);
  void SaveFairShareUsage();
  bool MatchesListFilters(const Job& job, const std::vector<ListJobsFilter>& filters) const;
  void FireTimers(Decisions& decisions);
  // Forgets finished jobs past the retention period (at most once a minute of clock time).
  void PurgeExpiredJobs();
  void ForgetJob(const std::string& job_id);
  void ApplyTimeLimitActions();
  void SetAttemptTimer(const std::string& job_id, EpochMillis due);
  void ClearAttemptTimer(const std::string& job_id);
  // SIGTERM now, SIGKILL after the grace period; the attempt then ends with `reason`, not retried.
  void RequestTermination(Job& job, const std::string& reason);
  Status NoJobToStop(const std::string& job_id) const;
  std::string ServiceRoleArn(const std::string& service_role) const;
  Status CheckComputeEnvironmentOrder(std::vector<ComputeEnvironmentOrder>& order) const;
  std::string CeNameFromReference(const std::string& name_or_arn) const;
  std::string QueueNameFromReference(const std::string& name_or_arn) const;
  TagMap* MutableTags(const std::string& arn, bool mark_changed);

  // What the dispatcher sees of this state (batch_state_dispatch.cc).
  class DispatchAccess final : public DispatchWorld {
   public:
    explicit DispatchAccess(BatchState& state) : state_(state) {}
    EpochMillis NowMillis() const override;
    const std::map<std::string, JobQueue>& job_queues() const override;
    const JobQueue* FindJobQueue(const std::string& name_or_arn) const override;
    const ComputeEnvironment* FindComputeEnvironment(const std::string& name_or_arn) const override;
    const JobSet* JobsIn(const std::string& queue_arn, JobStatus status) const override;
    FairShareTracker* FairShareOf(const std::string& queue_arn) override;
    const FairShareTracker* FindFairShare(const std::string& queue_arn) const override;
    void StartAttempt(Job& job, const JobQueue& queue, AttemptPlacement placement,
                      const Host& host) override;
    Job& MakeNextArrayChild(Job& parent) override;

   private:
    BatchState& state_;
  };

  const Clock& clock_;
  BatchStateOptions options_;
  UuidV7Generator ids_;
  std::mt19937_64 random_;

  std::map<std::string, ComputeEnvironment> compute_environments_;  // by name
  std::map<std::string, JobQueue> job_queues_;                      // by name
  std::map<std::string, SchedulingPolicy> scheduling_policies_;     // by name
  // by name, then revision
  std::map<std::string, std::map<int, JobDefinition>> job_definitions_;
  std::map<std::string, Job> jobs_;  // by id: UUIDv7 order is submission order
  // Definition ARN (with revision; immutable) -> its containerProperties, shared by its jobs.
  std::map<std::string, SharedValue<ContainerProperties>> definition_containers_;
  StringPool arns_;  // job queue and job definition ARNs of jobs, stored once

  // Indexes over jobs_, whose nodes never move: a job is in them from its insertion into jobs_ to
  // its erasure.
  std::map<std::string, std::map<JobStatus, JobSet>> jobs_by_queue_;  // queue ARN
  std::map<std::string, std::vector<std::string>> dependents_;  // dependency id -> waiting jobs
  // Made children per array parent, by status.
  std::map<std::string, std::array<int, kJobStatusCount>> array_counts_;
  // Array parent -> the arrays whose children wait N_TO_N on its children.
  std::map<std::string, std::vector<std::string>> n_to_n_dependents_;

  Dispatcher dispatcher_;
  DispatchAccess dispatch_access_{*this};
  std::unordered_map<std::string, JobSet> jobs_by_host_;  // instance id -> placed jobs
  // Agents' machines whose attempts survived a restart of the server, until the agent registers
  // again (AddHost) or is given up (LoseHost).
  std::set<std::string> adrift_hosts_;
  std::set<std::string> inactive_clusters_;
  std::deque<std::string> inactive_cluster_order_;  // oldest first, to forget the oldest
  // SIGKILL deadlines of terminated attempts: (due, job id).
  // One timer per running attempt: its timeout while it runs, then its SIGKILL deadline once it
  // has been sent SIGTERM. (due, job id), soonest first.
  std::set<std::pair<EpochMillis, std::string>> attempt_timers_;
  std::map<std::string, EpochMillis> attempt_timer_due_;  // job id -> its entry in attempt_timers_
  Decisions pending_;  // signals decided outside Schedule(), handed out by the next Schedule()

  std::map<std::string, FairShareTracker> fair_share_;  // queue ARN -> usage, fair-share queues
  StateChanges changes_;
  EpochMillis next_purge_at_ = 0;
};

}  // namespace gleaner
