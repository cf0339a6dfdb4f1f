#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "api/batch_executor.h"
#include "capacity/capacity_provider.h"
#include "common/mutex.h"
#include "runtime/attempt_networks.h"
#include "runtime/launch_worker.h"
#include "runtime/launcher.h"
#include "runtime/reattached_attempts.h"
#include "scheduler/batch_state.h"
#include "server/local_attempt_files.h"
#include "server/remote_attempts.h"
#include "store/store.h"

namespace gleaner {

// containerProperties.user: whom the command runs as (empty: gleaner's own user).
std::string JobUserOf(const ContainerProperties& container);

struct EngineOptions {
  std::string log_directory;      // attempt logs: <log_directory>/<logStreamName>
  std::string working_directory;  // attempts start in <working_directory>/<job id>.<attempt>
  std::vector<std::string> base_environment;  // PATH, HOME, ... given to every attempt
  // Sees every pass's changes before they are persisted (events), on the scheduler thread, and
  // returns what to publish once they are durable (run in commit order, on the store's thread), or
  // an empty function.
  std::function<std::function<void()>(const BatchState& state, const StateChanges& changes)>
      observe_changes;
  // More variables for an attempt about to launch (its instance's metadata endpoint, ...).
  // `own_network`: the attempt runs in a network of its own (attempt_networks).
  std::function<void(const Job& job, bool own_network, std::vector<std::string>& environment)>
      attempt_environment;
  // Where the attempt shims of local attempts keep their files (LocalAttemptFiles). Set: every
  // local attempt runs under the shim, and a restart finds the ones still running again. Empty:
  // attempts run without it and a restart loses them.
  std::string attempt_directory;
  // Gives each local attempt a network of its own (attempt_networks.h); null: attempts share this
  // machine's network.
  AttemptNetworks* attempt_networks = nullptr;
  // Whether the instance a job is placed on has a metadata service (a simulated instance does);
  // scheduler thread. Unset: none has.
  std::function<bool(const Job& job)> has_instance_metadata;
  // Local attempts run in their job definition's container image (the launcher must be a
  // container launcher); false: their command runs as a process on this machine.
  bool run_in_containers = false;
  // Told of every scheduling pass: how long the state took to decide, in seconds, and what it
  // decided (metrics). Scheduler thread.
  std::function<void(double seconds, const Decisions& decisions)> on_pass;
};

// The scheduler thread: owns BatchState, applies commands and process events to it one at a time,
// carries out its decisions (launch, signal) and persists what changed through the store's group
// commit.
//
// Nothing a client or a job observes may be taken back by a crash: a command is answered, and an
// attempt is launched, only once every change made before it is durable -- its own pass's commit
// and every commit before that one (the store commits in order). A read that changed nothing
// still waits for the commits in flight, since the state it reads may include them.
class Engine final : public BatchExecutor {
 public:
  Engine(const Clock& clock, BatchState& state, Store& store, EngineOptions options);
  ~Engine() override;

  // The launcher is set before Start(); its exits come back through OnProcessExit. Launches run
  // on `launch_threads` threads of their own; 0: on the scheduler thread itself, without making
  // working directories (the simulation's launcher, which returns at once).
  void SetLauncher(Launcher* launcher, int launch_threads = 1);
  // Added before Start(): where hosts beyond the ones added to the state up front come from.
  void AddCapacityProvider(CapacityProvider* provider) {
    if (provider != nullptr) providers_.push_back(provider);
  }
  // Set before Start(): a network of its own for each local attempt (attempt_networks.h).
  void SetAttemptNetworks(AttemptNetworks* networks) { options_.attempt_networks = networks; }
  // Set before Start(): hosts whose attempts run elsewhere (agents).
  void SetRemoteAttempts(RemoteAttempts* remote) { remote_ = remote; }
  // Rebuilds state from the store, ends attempts lost with the previous server (killing their
  // orphaned processes) and starts the thread.
  Status Start();
  // Stops the thread after the commands already queued; waits for their changes to be durable.
  void Stop();

  // Stepped in virtual time (the simulation, sim/engine_simulation.h): everything Start() does
  // but the thread. The caller then drives the engine from one thread with Step(), under a fake
  // clock, with a launcher set with no launch threads and a store whose commits it completes.
  Status StartStepped();
  // One turn of the scheduler thread's loop: everything posted so far (commands, exits, launch
  // results, durable starts), then one scheduling pass, then the commit of what changed.
  void Step();
  // Whether anything was posted since the last turn.
  bool HasPostedWork() GLEANER_EXCLUDES(mutex_);
  // When the engine next wants a turn with nothing posted: the state's next timer or a capacity
  // provider's next event; nullopt: only when something is posted.
  std::optional<EpochMillis> NextWakeUp() const;

  void Execute(BatchCommand command, BatchReply reply) override;
  void OnProcessExit(const ProcessExit& exit);

 private:
  struct CommandItem {
    BatchCommand command;
    BatchReply reply;
  };
  struct LaunchResult {
    std::string job_id;
    Result<LaunchedProcess> launched;
  };
  // An attempt the state put in STARTING, to launch once that change is durable.
  struct PendingStart {
    std::string job_id;
    int attempt = 0;
  };
  // Starts whose STARTING change is now durable (or could not be made so).
  struct StartsCommitted {
    std::vector<PendingStart> starts;
    Status status;
  };
  // A launch waits for something the job shows in its statusReason (an image being pulled).
  struct LaunchProgress {
    std::string job_id;
    int attempt = 0;
    std::string reason;
  };
  using WorkItem =
      std::variant<CommandItem, ProcessExit, LaunchResult, StartsCommitted, LaunchProgress>;
  struct PendingReply {
    BatchReply reply;
    Result<nlohmann::json> result;
  };
  // What waits for one pass's commit.
  struct Durable {
    std::vector<PendingReply> replies;
    std::vector<PendingStart> starts;
    std::function<void()> publish;                 // the pass's events
    std::vector<std::string> ended_attempt_files;  // no longer needed once the end is durable
  };

  void Post(WorkItem item) GLEANER_EXCLUDES(mutex_);
  // What Start() and StartStepped() share: the state and providers restored, lost attempts ended.
  Status Restore();
  void Run();
  // One turn of Run(): `batch` (taken from the queue) processed, a pass, a commit.
  void Turn(std::deque<WorkItem>& batch);
  void Process(WorkItem& item, std::vector<PendingReply>& replies);
  void CarryOut(const Decisions& decisions);
  // One pass: the provider catches up, the state decides, the provider adds what was asked for.
  void ScheduleAndCarryOut();
  // BatchState::Schedule, timed for options_.on_pass.
  Decisions Schedule();
  void Launch(const PendingStart& start);
  // What runs a local attempt of `job` (not yet knowing its pid).
  LaunchSpec LaunchSpecFor(const Job& job, bool own_network) const;
  // The network of its own a local attempt gets; nullopt: it shares this machine's.
  std::optional<AttemptNetworkRequest> NetworkRequestFor(const Job& job) const;
  // Completes a launch with the network Prepare gave it.
  static void UseNetwork(const AttemptNetwork& network, LaunchSpec& spec);
  // AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS for a node of a multi-node job.
  std::string MainNodeAddress(const Job& node) const;
  void OnStartsCommitted(const StartsCommitted& committed);
  bool IsStarting(const PendingStart& start) const;
  // Runs once everything up to a pass is durable (or failed to be): answers, events, launches.
  void OnDurable(Durable& durable, const Status& status);
  // The job's own variables (AWS_BATCH_*, its environment, GPUs, its instance's metadata).
  std::vector<std::string> AttemptVariables(const Job& job, bool own_network) const;
  // Whether the job's attempt runs on a host of remote_ rather than through launcher_.
  bool RunsRemotely(const Job& job) const;
  void OnLaunched(LaunchResult& result);
  void OnExit(const ProcessExit& exit);
  // A STARTING or RUNNING attempt on this machine that the restore kept: watched again, or ended.
  void RecoverLocalAttempt(const std::string& job_id);
  void Persist(std::vector<PendingReply> replies);

  const Clock& clock_;
  BatchState& state_;
  Store& store_;
  EngineOptions options_;
  Launcher* launcher_ = nullptr;
  std::vector<CapacityProvider*> providers_;
  RemoteAttempts* remote_ = nullptr;
  std::unique_ptr<LaunchWorker> launch_worker_;
  std::unique_ptr<LocalAttemptFiles> attempt_files_;  // when options_.attempt_directory is set
  std::unique_ptr<ReattachedAttempts>
      reattached_;  // made by Start() if it re-attached, gone at Stop()

  Mutex mutex_;
  std::condition_variable wake_;
  std::deque<WorkItem> queue_ GLEANER_GUARDED_BY(mutex_);
  bool stopping_ GLEANER_GUARDED_BY(mutex_) = false;
  std::thread thread_;
  // Commits handed to the store whose `done` has not run yet: while there are none, everything in
  // memory is durable and a read may be answered at once.
  std::atomic<int64_t> commits_in_flight_{0};

  // Scheduler-thread only.
  std::vector<PendingStart> starts_to_commit_;    // decided this pass; launched once durable
  std::vector<std::string> ended_attempt_files_;  // this pass's; removed once durable
  std::map<pid_t, std::string> job_by_pid_;
  // Exits that arrived before their launch result did (the reaper and the launch thread race).
  std::map<pid_t, ProcessExit> early_exits_;
};

}  // namespace gleaner
