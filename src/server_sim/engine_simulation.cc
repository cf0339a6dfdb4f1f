#include "server_sim/engine_simulation.h"

#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "capacity/capacity_prices.h"
#include "capacity/instance_catalog.h"
#include "capacity/simulated_cloud.h"
#include "common/check.h"
#include "model/retry_strategy.h"
#include "server/agent_hub.h"
#include "server/engine.h"
#include "server_sim/agent_fleet.h"
#include "server_sim/sim_launcher.h"
#include "server_sim/sim_store.h"
#include "sim/invariants.h"
#include "sim/workload.h"

namespace gleaner::sim {
namespace {

constexpr int64_t kCheckEverythingEvery = 150;  // steps between full checks against the store
constexpr int kCrashPerMille = 3;               // chance per step of a crash, once set up
constexpr int kMaxCrashes = 3;                  // per run
constexpr int kInterruptPercent = 15;           // chance per tick of interrupting some instance
constexpr int64_t kMaxCommitMillis = 30;        // a commit's latency: 0 to this, in virtual time
constexpr int64_t kMaxSteps = 3'000'000;        // a run that never goes quiet is a failure
constexpr int64_t kMaxQuietMillis = 30LL * 24 * 3600 * 1000;  // likewise, in virtual time
// A process may outlive its instance by the turns its launch result and its SIGKILL take.
constexpr int64_t kKillTurns = 3;
constexpr int64_t kAgentLostAfterMillis = 30'000;  // the server's default
// Beyond that, before the server hears of an agent's attempt's end: a heartbeat, a restarted
// agent's wait, a retry, the commits.
constexpr int64_t kAgentSlackMillis = 10'000;

// This machine's and agents' prices per vCPU-hour in the simulation (not 0: a price of 0 would
// hide a wrong split).
constexpr CapacityPriceOptions kSimulatedPrices{0.05, 0.03};

const InstanceCatalog& Catalog() {
  static const InstanceCatalog catalog = InstanceCatalog::BuiltIn().value();
  return catalog;
}

// Where a status stands in a job's life: a crash may not move a job a client saw back.
int Progress(JobStatus status) {
  switch (status) {
    case JobStatus::kSubmitted:
      return 0;
    case JobStatus::kPending:
      return 1;
    case JobStatus::kRunnable:
      return 2;
    case JobStatus::kStarting:
      return 3;
    case JobStatus::kRunning:
      return 4;
    case JobStatus::kSucceeded:
    case JobStatus::kFailed:
      return 5;
  }
  return 0;
}

// What a client was answered about a job.
struct Seen {
  JobStatus status = JobStatus::kSubmitted;
  size_t ended_attempts = 0;
};

// The attempt a job has placed, as last seen after a turn.
struct Placed {
  std::string instance_id;
  int attempt = 0;
  bool interrupted = false;  // its host got an interruption notice
};

class EngineSimulation {
 public:
  explicit EngineSimulation(const SimulationOptions& options)
      : options_(options),
        random_(options.seed),
        trace_(clock_, options.trace),
        state_options_(DrawStateOptions(options.seed, random_)),
        launcher_(clock_, random_, trace_),
        fleet_(clock_, random_, trace_),
        workload_(std::in_place, random_, trace_) {
    clock_.Set(Trace::kStart);
    report_.seed = options.seed;
    report_.steps = options.steps;
    report_.engine = true;
    cloud_options_.seed = random_.Next();
    cloud_options_.boot_millis = random_.Pick<int64_t>({0, 5'000, 60'000});
    cloud_options_.signal_at_notice = random_.Percent(30);
  }

  SimulationReport Run() {
    Boot();
    Command("setup", [this](BatchState& state) { return workload_->Setup(state); });
    if (options_.steps == 0) Quiesce();
    int ticks = 0;
    EpochMillis next_tick = clock_.NowMillis() + workload_->NextTickDelayMillis();
    EpochMillis quiet_since = 0;
    while (report_.ok) {
      std::optional<EpochMillis> next;
      auto consider = [&next](std::optional<EpochMillis> at) {
        if (at && (!next || *at < *next)) next = at;
      };
      if (ticks < options_.steps) consider(next_tick);
      consider(launcher_.processes().NextExit());
      consider(state_->NextTimer());
      consider(cloud_->NextEventAt());
      // An idle agent's heartbeat would keep the run from ever going quiet: agents count while
      // they have work, and so do the hub's deadlines while attempts are placed on agents.
      std::optional<EpochMillis> agents_busy = fleet_.NextBusyAt();
      consider(agents_busy);
      if (agents_busy || fleet_.AnyAttemptPlaced(*state_)) consider(hub_->NextEventAt());
      if (engine_->HasPostedWork()) consider(clock_.NowMillis());
      if (store_.pending() > 0) {
        if (!durable_at_) durable_at_ = clock_.NowMillis() + random_.Between(0, kMaxCommitMillis);
        consider(durable_at_);
      }
      if (!next) break;
      if (*next > clock_.NowMillis()) clock_.Set(*next);
      ++step_;
      if (durable_at_ && *durable_at_ <= clock_.NowMillis()) {
        store_.MakeDurable(static_cast<size_t>(random_.Between(1, store_.pending())));
        durable_at_.reset();
      }
      if (ticks < options_.steps && next_tick <= clock_.NowMillis()) {
        trace_.Line("-- step " + std::to_string(step_) + ": workload tick " +
                    std::to_string(ticks + 1));
        Command("tick", [this](BatchState& state) { return workload_->Tick(state); });
        if (random_.Percent(kInterruptPercent)) InterruptSomeInstance();
        // The operator's machines: agents join what the workload made, and fail.
        if (setup_answered_) fleet_.Tick(*state_);
        if (++ticks == options_.steps) {
          Quiesce();
          quiet_since = clock_.NowMillis();
        }
        next_tick = clock_.NowMillis() + workload_->NextTickDelayMillis();
      }
      int64_t exits = random_.Between(1, 3);  // the engine takes exits in batches
      for (int64_t i = 0; i < exits; ++i) {
        std::optional<SimProcesses::Exit> exit = launcher_.processes().TakeDueExit();
        if (!exit) break;
        engine_->OnProcessExit(
            {static_cast<pid_t>(exit->pid), exit->exit_code, exit->term_signal, ""});
      }
      if (setup_answered_ && report_.restarts < kMaxCrashes &&
          random_.Between(0, 999) < kCrashPerMille) {
        CrashAndRestart();
        if (!report_.ok) break;
      }
      hub_->AnswerExpiredPolls();
      fleet_.Step();
      engine_->Step();
      AfterTurn();
      if (report_.ok && step_ % kCheckEverythingEvery == 0) CheckAgainstStore();
      if (step_ > kMaxSteps ||
          (quiet_since != 0 && clock_.NowMillis() - quiet_since > kMaxQuietMillis)) {
        Fail("the simulation did not go quiet: something keeps running or rescheduling");
      }
    }
    if (report_.ok) Fail(checker_->CheckQuiet(*state_));
    if (report_.ok) Fail(CheckCosts());
    if (report_.ok) CheckAgainstStore();
    return Finish();
  }

  // Every ended attempt was priced for its host and says how it ended, and no instance's
  // attempts paid more than the whole instance cost: split cost allocation never hands out
  // more than 100 % of an instance at any moment, whatever crashes and restarts happened.
  std::optional<std::string> CheckCosts() const {
    std::map<std::string, double> paid;
    for (const auto& [id, job] : state_->jobs()) {
      for (size_t i = 0; i < job.attempts.size(); ++i) {
        const AttemptCost& cost = job.attempts[i].cost;
        std::string where = "job " + id + " attempt " + std::to_string(i + 1);
        if (cost.to < cost.from || cost.usd < 0 || cost.split_ratio < 0 ||
            cost.split_ratio > 1 + 1e-9 || cost.usd > cost.on_demand_usd + 1e-9) {
          return where + " has an impossible cost: " + std::to_string(cost.usd) + " USD (" +
                 std::to_string(cost.on_demand_usd) + " on demand), split " +
                 std::to_string(cost.split_ratio) + ", from " + std::to_string(cost.from) + " to " +
                 std::to_string(cost.to);
        }
        if (cost.lifecycle == CapacityLifecycle::kUnpriced) {
          return where + " on " + cost.instance_id + " was not priced";
        }
        paid[cost.instance_id] += cost.usd;
      }
    }
    for (const InstanceBill& bill : prices_->Bills(0, clock_.NowMillis())) {
      auto found = paid.find(bill.instance_id);
      if (found != paid.end() && found->second > bill.usd * (1 + 1e-9) + 1e-12) {
        return "the attempts on " + bill.instance_id + " paid " + std::to_string(found->second) +
               " USD, more than the whole instance cost (" + std::to_string(bill.usd) + ")";
      }
    }
    return std::nullopt;
  }

 private:
  void Fail(std::optional<std::string> violation) {
    report_.Violated(std::move(violation), trace_);
  }

  // ---- the server ----

  // A server starts on the store: a fresh BatchState with this machine's hosts, the simulated
  // cloud restored from its records, the engine restoring the rest.
  void Boot() {
    BatchStateOptions options = state_options_;
    options.seed = random_.Next();
    cloud_ = std::make_unique<SimulatedCloud>(clock_, Catalog(), cloud_options_);
    prices_ = std::make_unique<CapacityPrices>(cloud_.get(), kSimulatedPrices);
    options.pricing = prices_.get();
    state_ = std::make_unique<BatchState>(clock_, options);
    for (Host host : workload_->hosts()) state_->AddHost(std::move(host));
    std::map<std::string, JobStatus> purged;
    if (checker_) purged = checker_->purged_jobs();
    checker_.emplace(state_options_.stop_grace_millis, kAgentLostAfterMillis + kAgentSlackMillis);
    placed_.clear();
    EngineOptions engine_options;
    engine_options.observe_changes = [this](const BatchState& state, const StateChanges& changes) {
      if (!booting_) OnChanges(state, changes);
      return std::function<void()>();
    };
    engine_options.on_pass = [this](double /*seconds*/, const Decisions& decisions) {
      if (!booting_) Fail(checker_->CheckStarts(*state_, decisions));
    };
    engine_ = std::make_unique<Engine>(clock_, *state_, store_, std::move(engine_options));
    engine_->SetLauncher(&launcher_, /*launch_threads=*/0);
    engine_->AddCapacityProvider(cloud_.get());
    AgentHubOptions hub_options;
    hub_options.identity_key = "the data directory's agent identity key";
    hub_options.lost_after_millis = kAgentLostAfterMillis;
    hub_options.poll_timer_thread = false;
    hub_options.instance_id_seed = random_.Next();
    hub_ = std::make_unique<AgentHub>(clock_, *engine_, std::move(hub_options));
    engine_->AddCapacityProvider(hub_.get());
    engine_->SetRemoteAttempts(hub_.get());
    fleet_.Connect(hub_.get());
    booting_ = true;
    Status started = engine_->StartStepped();
    booting_ = false;
    if (!started.ok()) return Fail("the engine did not start: " + started.message());
    // The checker starts from what the restore left: every job is new to it, and the purges
    // that were durable are remembered.
    for (const auto& [id, status] : purged) {
      if (state_->FindJob(id) == nullptr) checker_->RememberPurged(id, status);
    }
    StateChanges everything;
    for (const auto& [id, record] : store_.durable().jobs()) everything.jobs.insert(id);
    OnChanges(*state_, everything);
  }

  // The server dies between two turns: commits not durable yet are lost, its processes are
  // killed by the restarted server, and the client forgets what it was never answered.
  void CrashAndRestart() {
    ++report_.restarts;
    trace_.Line("CRASH: " + std::to_string(store_.pending()) + " commit(s) not durable are lost");
    store_.Crash();
    durable_at_.reset();
    engine_.reset();  // nothing pending: its Stop() flushes nothing
    fleet_.Connect(nullptr);
    hub_.reset();
    state_.reset();
    prices_.reset();
    cloud_.reset();
    CheckNothingObservedLost();
    if (!report_.ok) return;
    launcher_.processes().LoseAll();
    workload_.emplace(*answered_workload_);
    Boot();
    // The client never heard back from its last call: it makes it again (the workload's ticks
    // are over, so nothing else would enable what the lost call enabled).
    if (quiesce_sent_ && !quiesce_answered_) Quiesce();
  }

  // A client call through the engine, as the API makes it: the reply comes once durable. The
  // client learns the jobs the call made and a sample of others' statuses (a DescribeJobs).
  void Command(const std::string& name, std::function<Status(BatchState&)> call) {
    engine_->Execute(
        [this, name, call](BatchState& state) -> Result<nlohmann::json> {
          size_t known = workload_->job_ids().size();
          GLEANER_RETURN_IF_ERROR(call(state));
          std::vector<std::string> ids(workload_->job_ids().begin() + known,
                                       workload_->job_ids().end());
          for (int i = 0; i < 8 && !workload_->job_ids().empty(); ++i) {
            ids.push_back(random_.Pick(workload_->job_ids()));
          }
          nlohmann::json seen = nlohmann::json::array();
          for (const std::string& id : ids) {
            const Job* job = state.FindJob(id);
            if (job == nullptr) continue;
            seen.push_back({id, static_cast<int>(job->status), job->attempts.size()});
          }
          pending_workloads_[++commands_] = std::make_shared<Workload>(*workload_);
          return nlohmann::json{{"command", commands_}, {"seen", std::move(seen)}};
        },
        [this, name](Result<nlohmann::json> reply) {
          if (!reply.ok()) return Fail(name + " failed: " + reply.status().message());
          int64_t command = (*reply)["command"].get<int64_t>();
          answered_workload_ = pending_workloads_.at(command);
          pending_workloads_.erase(pending_workloads_.begin(),
                                   pending_workloads_.upper_bound(command));
          if (name == "setup") setup_answered_ = true;
          if (name == "quiesce") quiesce_answered_ = true;
          for (const nlohmann::json& entry : (*reply)["seen"]) {
            seen_[entry[0].get<std::string>()] = {static_cast<JobStatus>(entry[1].get<int>()),
                                                  entry[2].get<size_t>()};
          }
        });
  }

  void Quiesce() {
    quiesce_sent_ = true;
    Command("quiesce", [this](BatchState& state) { return workload_->Quiesce(state); });
  }

  // `gleaner interrupt --job-id`: a notice for the spot instance some attempt runs on.
  void InterruptSomeInstance() {
    std::vector<std::string> candidates;
    for (const auto& [job_id, placed] : placed_) {
      const SimulatedInstance* instance = cloud_->FindInstance(placed.instance_id);
      if (instance != nullptr && instance->purchase == PurchaseOption::kSpot &&
          !instance->notice_at) {
        candidates.push_back(job_id);
      }
    }
    if (candidates.empty()) return;
    InterruptRequest request;
    request.job_id = random_.Pick(candidates);
    if (random_.Percent(50)) request.notice_millis = random_.Between(0, 120'000);
    trace_.Line("interrupt the instance of " + request.job_id);
    engine_->Execute(
        [this, request](BatchState& state) -> Result<nlohmann::json> {
          // The job may have ended, or its instance gone, since: as for a client, an error.
          Result<std::vector<InterruptedInstance>> interrupted = cloud_->Interrupt(state, request);
          if (interrupted.ok()) report_.interruptions += static_cast<int64_t>(interrupted->size());
          return nlohmann::json::object();
        },
        [](Result<nlohmann::json>) {});
  }

  // ---- checks ----

  // After every pass (observe_changes), with what it changed.
  void OnChanges(const BatchState& state, const StateChanges& changes) {
    Fail(checker_->CheckStep(state, changes, clock_.NowMillis()));
    for (const std::string& id : changes.jobs) {
      const Job* job = state.FindJob(id);
      if (job == nullptr) continue;
      auto placed = placed_.find(id);
      if (placed != placed_.end() && job->AttemptNumber() > placed->second.attempt) {
        CheckInterruptedAttempt(*job, placed->second);
        placed_.erase(placed);
      }
      if (job->placement) {
        Placed& now = placed_[id];
        now.instance_id = job->placement->instance_id;
        now.attempt = job->AttemptNumber();
        now.interrupted = !job->placement->interruption_reason.empty();
      }
    }
    for (const auto& [id, attempts] : changes.deleted_jobs) {
      placed_.erase(id);
      purged_.insert(id);
    }
  }

  // An attempt that ended on an instance under notice: the host's reason unless it exited
  // cleanly (never the job's own failure), and the retry strategy decides on that reason.
  void CheckInterruptedAttempt(const Job& job, const Placed& placed) {
    if (!placed.interrupted || job.attempts.size() < static_cast<size_t>(placed.attempt)) return;
    const AttemptDetail& ended = job.attempts[placed.attempt - 1];
    if (ended.container.exit_code == 0) return;  // its own clean exit counts as its own
    std::string host_reason = "Host EC2 (instance " + placed.instance_id + ") terminated.";
    if (ended.status_reason == "Essential container in task exited") {
      return Fail("job " + job.job_id + " attempt " + std::to_string(placed.attempt) +
                  " ended on interrupted instance " + placed.instance_id +
                  " as the job's own failure, not with \"" + host_reason + "\"");
    }
    if (ended.status_reason != host_reason) return;  // terminated by the user or a timeout
    AttemptOutcome outcome{ended.status_reason, ended.container.reason, ended.container.exit_code};
    RetryAction action =
        EvaluateRetry(job.retry_strategy, static_cast<int>(job.attempts.size()), outcome);
    bool failed_for_it = job.status == JobStatus::kFailed && job.status_reason == host_reason;
    if (action == RetryAction::kExit && job.status != JobStatus::kFailed) {
      return Fail("job " + job.job_id + " is " + std::string(ToString(job.status)) +
                  " although its retry strategy exits on \"" + host_reason + "\"");
    }
    if (action == RetryAction::kRetry && failed_for_it) {
      return Fail("job " + job.job_id + " FAILED on \"" + host_reason +
                  "\" although its retry strategy retries it (" +
                  std::to_string(job.attempts.size()) + " attempt(s) made)");
    }
  }

  void AfterTurn() {
    if (!report_.ok) return;
    // The engine contains a failed GLEANER_CHECK (the pass or request fails, the server goes on):
    // here it is a violation.
    if (CheckFailures() != check_failures_) {
      return Fail("a GLEANER_CHECK failed in the engine: " + LastCheckFailure());
    }
    Fail(launcher_.violation());
    Fail(fleet_.Check(*state_, launcher_.processes()));
    // No process outlives its instance (beyond the turns its launch and SIGKILL take).
    for (const auto& [pid, process] : launcher_.processes().running()) {
      auto placed = placed_.find(process.job_id);
      if (placed == placed_.end() || process.killed) continue;
      const SimulatedInstance* instance = cloud_->FindInstance(placed->second.instance_id);
      if (instance == nullptr || !instance->terminated_at) continue;
      auto [first, inserted] = terminated_seen_.emplace(instance->instance_id, step_);
      if (step_ - first->second > kKillTurns) {
        return Fail("pid " + std::to_string(pid) + " of job " + process.job_id +
                    " still runs on instance " + instance->instance_id + ", terminated " +
                    std::to_string(step_ - first->second) + " turns ago");
      }
    }
  }

  // Memory against the durable store (once every commit is durable).
  void CheckAgainstStore() {
    store_.Flush();
    durable_at_.reset();
    Fail(checker_->CheckEverything(*state_, store_.durable()));
  }

  // What survived the crash includes everything a client was answered and every launch.
  void CheckNothingObservedLost() {
    BatchState restored(clock_, state_options_);
    Status loaded = store_.durable().RestoreInto(restored);
    if (!loaded.ok()) return Fail("the store does not load after a crash: " + loaded.message());
    for (const auto& [id, seen] : seen_) {
      const Job* job = restored.FindJob(id);
      if (job == nullptr) {
        if (purged_.count(id) != 0) continue;  // finished since, then purged
        return Fail("a crash lost job " + id + ", which a client saw " +
                    std::string(ToString(seen.status)));
      }
      bool moved_back = job->attempts.size() < seen.ended_attempts ||
                        (job->attempts.size() == seen.ended_attempts &&
                         Progress(job->status) < Progress(seen.status));
      bool changed_end = Progress(seen.status) == 5 && job->status != seen.status;
      if (moved_back || changed_end) {
        return Fail("a crash took back what a client saw of job " + id + ": " +
                    std::string(ToString(seen.status)) + " after " +
                    std::to_string(seen.ended_attempts) + " attempt(s), now " +
                    std::string(ToString(job->status)) + " after " +
                    std::to_string(job->attempts.size()));
      }
    }
    std::set<std::pair<std::string, int>> launched = launcher_.launched();
    launched.insert(fleet_.launched().begin(), fleet_.launched().end());
    for (const auto& [id, attempt] : launched) {
      const Job* job = restored.FindJob(id);
      if (job == nullptr && purged_.count(id) != 0) continue;  // started, finished, purged
      if (job == nullptr || (job->AttemptNumber() < attempt)) {
        return Fail("a crash took back attempt " + std::to_string(attempt) + " of job " + id +
                    ", which was launched");
      }
      if (job->AttemptNumber() == attempt && !job->placement) {
        return Fail("after a crash, launched attempt " + std::to_string(attempt) + " of job " + id +
                    " is " + std::string(ToString(job->status)) + " without a placement");
      }
    }
  }

  SimulationReport Finish() {
    // The engine stops cleanly: what it still holds becomes durable.
    engine_.reset();
    fleet_.Connect(nullptr);
    hub_.reset();
    report_.step = step_;
    report_.virtual_millis = clock_.NowMillis() - Trace::kStart;
    if (checker_) {
      report_.jobs = static_cast<int64_t>(checker_->statuses().size()) + checker_->purged();
      report_.purged = checker_->purged();
    }
    report_.submitted = workload_->submitted();
    report_.launches = launcher_.processes().launches() + fleet_.launches();
    report_.launch_failures = launcher_.processes().launch_failures() + fleet_.launch_failures();
    report_.agents = fleet_.joins();
    report_.agent_launches = fleet_.launches();
    report_.agent_faults = fleet_.faults();
    report_.fingerprint = FingerprintOf(store_.durable());
    return report_;
  }

  SimulationOptions options_;
  FakeClock clock_;
  SimRandom random_;
  Trace trace_;
  BatchStateOptions state_options_;
  SimulatedCloudOptions cloud_options_;
  SimStore store_;
  SimLauncher launcher_;
  AgentFleet fleet_;  // the operator's machines running `gleaner agent`: they outlive a crash
  // The client: its model of what it made, and that model as of the last answer it got (what
  // it goes on from after a crash; a call it was never answered for, it does not know happened).
  std::optional<Workload> workload_;
  std::shared_ptr<Workload> answered_workload_;
  std::map<int64_t, std::shared_ptr<Workload>> pending_workloads_;  // by command number
  int64_t commands_ = 0;
  bool setup_answered_ = false;
  bool quiesce_sent_ = false;
  bool quiesce_answered_ = false;
  std::map<std::string, Seen> seen_;  // by job id
  std::set<std::string> purged_;      // jobs a pass purged (a crash may have taken that back)

  // The server, rebuilt at every crash.
  std::unique_ptr<BatchState> state_;
  std::unique_ptr<SimulatedCloud> cloud_;
  std::unique_ptr<CapacityPrices> prices_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<AgentHub> hub_;
  std::optional<InvariantChecker> checker_;
  bool booting_ = false;
  std::map<std::string, Placed> placed_;            // by job id
  std::map<std::string, int64_t> terminated_seen_;  // instance id -> step first seen gone
  std::optional<EpochMillis> durable_at_;           // when the next commits become durable
  int64_t step_ = 0;
  const int64_t check_failures_ = CheckFailures();  // before the run
  SimulationReport report_;                         // restarts: the crashes
};

}  // namespace

SimulationReport RunEngineSimulation(const SimulationOptions& options) {
  spdlog::level::level_enum level = spdlog::get_level();
  spdlog::set_level(spdlog::level::off);  // the engine's log of lost attempts, 1000s of times
  SimulationReport report = EngineSimulation(options).Run();
  spdlog::set_level(level);
  return report;
}

}  // namespace gleaner::sim
