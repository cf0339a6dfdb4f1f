#include "sim/simulation.h"

#include <memory>
#include <optional>

#include "common/check.h"
#include "model/json_codec.h"
#include "scheduler/batch_state.h"
#include "sim/fake_executor.h"
#include "sim/fake_store.h"
#include "sim/invariants.h"
#include "sim/sim_random.h"
#include "sim/workload.h"

namespace gleaner::sim {
namespace {

constexpr int64_t kCheckEverythingEvery = 150;  // steps between full checks and reloads
constexpr int kRestartPerMille = 2;             // chance per step of a restart
constexpr int kMaxRestarts = 3;                 // per run
constexpr int64_t kMaxSteps = 3'000'000;        // a run that never goes quiet is a failure
constexpr int64_t kMaxQuietMillis = 30LL * 24 * 3600 * 1000;  // likewise, in virtual time

class Simulation {
 public:
  explicit Simulation(const SimulationOptions& options)
      : options_(options),
        random_(options.seed),
        trace_(clock_, options.trace),
        state_options_(DrawStateOptions(options.seed, random_)),
        executor_(clock_, random_, trace_),
        workload_(random_, trace_),
        checker_(state_options_.stop_grace_millis) {
    clock_.Set(Trace::kStart);
    report_.seed = options.seed;
    report_.steps = options.steps;
  }

  SimulationReport Run() {
    state_ = std::make_unique<BatchState>(clock_, state_options_);
    Expect(workload_.Setup(*state_));
    if (options_.steps == 0) Expect(workload_.Quiesce(*state_));
    if (report_.ok) EndStep();
    int ticks = 0;
    EpochMillis next_tick = clock_.NowMillis() + workload_.NextTickDelayMillis();
    EpochMillis quiet_since = 0;
    while (report_.ok) {
      std::optional<EpochMillis> next;
      auto consider = [&next](std::optional<EpochMillis> at) {
        if (at && (!next || *at < *next)) next = at;
      };
      if (ticks < options_.steps) consider(next_tick);
      consider(executor_.NextExit());
      consider(state_->NextTimer());
      if (!next) break;
      if (*next > clock_.NowMillis()) clock_.Set(*next);
      ++step_;
      if (ticks < options_.steps && next_tick <= clock_.NowMillis()) {
        trace_.Line("-- step " + std::to_string(step_) + ": workload tick " +
                    std::to_string(ticks + 1));
        Expect(workload_.Tick(*state_));
        if (++ticks == options_.steps) {
          Expect(workload_.Quiesce(*state_));
          quiet_since = clock_.NowMillis();
        }
        next_tick = clock_.NowMillis() + workload_.NextTickDelayMillis();
      } else {
        trace_.Line("-- step " + std::to_string(step_) + ": exits and timers");
        int64_t exits = random_.Between(1, 3);  // the engine takes exits in batches too
        for (int64_t i = 0; i < exits && executor_.ReportDueExit(*state_); ++i) {
        }
      }
      if (report_.ok) EndStep();
      if (step_ > kMaxSteps ||
          (quiet_since != 0 && clock_.NowMillis() - quiet_since > kMaxQuietMillis)) {
        Fail("the simulation did not go quiet: something keeps running or rescheduling");
      }
    }
    if (report_.ok) Fail(checker_.CheckQuiet(*state_));
    if (report_.ok) Fail(checker_.CheckEverything(*state_, store_));
    if (report_.ok) Reload(/*restart=*/false);
    return Finish();
  }

 private:
  void Fail(std::optional<std::string> violation) {
    report_.Violated(std::move(violation), trace_);
  }

  void Expect(const Status& status) {
    if (!status.ok()) Fail(status.message());
  }

  // What the engine does after each batch of commands and exits: schedule until a pass starts
  // nothing, carry the decisions out, persist the changes. Then the checks, and now and then a
  // reload from the store or a restart.
  void EndStep() {
    ScheduleAndPersist();
    if (!report_.ok) return;
    if (step_ % kCheckEverythingEvery == 0) {
      Fail(checker_.CheckEverything(*state_, store_));
      if (report_.ok) Reload(/*restart=*/false);
    }
    if (report_.ok && report_.restarts < kMaxRestarts &&
        random_.Between(0, 999) < kRestartPerMille) {
      Fail(checker_.CheckEverything(*state_, store_));
      if (report_.ok) Reload(/*restart=*/true);
      if (report_.ok) ScheduleAndPersist();
    }
  }

  void ScheduleAndPersist() {
    for (int pass = 0; report_.ok; ++pass) {
      Decisions decisions = state_->Schedule();
      Fail(checker_.CheckStarts(*state_, decisions));
      if (!report_.ok) return;
      Fail(executor_.CarryOut(*state_, decisions));
      if (decisions.starts.empty()) break;
      if (pass > 100'000) Fail("Schedule() keeps starting attempts that end at once");
    }
    StateChanges changes = state_->TakeChanges();
    store_.Apply(*state_, changes);
    if (trace_.on()) TraceChanges(changes);
    Fail(checker_.CheckStep(*state_, changes, clock_.NowMillis()));
  }

  void TraceChanges(const StateChanges& changes) {
    for (const std::string& id : changes.jobs) {
      const Job* job = state_->FindJob(id);
      auto known = checker_.statuses().find(id);
      if (job == nullptr || (known != checker_.statuses().end() && known->second == job->status)) {
        continue;
      }
      trace_.Line("  " + id +
                  (known == checker_.statuses().end()
                       ? std::string(" new")
                       : " " + std::string(ToString(known->second))) +
                  " -> " + std::string(ToString(job->status)) +
                  (job->status_reason.empty() ? "" : " (" + job->status_reason + ")"));
    }
    for (const auto& [id, attempts] : changes.deleted_jobs) trace_.Line("  " + id + " purged");
  }

  // A fresh BatchState from the store must hold what memory holds. When nothing is placed it can
  // also finish its restore, and must then change nothing and want to start nothing. A restart
  // goes on with the fresh state, as a restarted server would: placed attempts are lost.
  void Reload(bool restart) {
    ++report_.reloads;
    BatchStateOptions fresh_options = state_options_;
    fresh_options.seed = random_.Next();
    auto fresh = std::make_unique<BatchState>(clock_, fresh_options);
    Expect(store_.RestoreInto(*fresh));
    if (!report_.ok) return;
    if (fresh->job_count() != state_->job_count()) {
      return Fail("a reload from the store holds " + std::to_string(fresh->job_count()) +
                  " jobs, memory " + std::to_string(state_->job_count()));
    }
    for (const auto& [id, status] : checker_.statuses()) {
      const Job* reloaded = fresh->FindJob(id);
      const Job* live = state_->FindJob(id);
      if (reloaded == nullptr) return Fail("a reload from the store lacks job " + id);
      if (ToRecord(*reloaded) != ToRecord(*live)) {
        return Fail("job " + id + " reloaded from the store differs from memory:\n  reloaded " +
                    ToRecord(*reloaded).dump().substr(0, 600) + "\n  memory   " +
                    ToRecord(*live).dump().substr(0, 600));
      }
    }
    for (const auto& [instance_id, host] : state_->hosts()) {
      Host empty = host;
      empty.used = Resources{};
      fresh->AddHost(std::move(empty));
    }
    size_t placed = checker_.placed().size();
    if (placed == 0) {
      std::vector<AttemptPlacement> lost = fresh->FinishRestore();
      StateChanges changes = fresh->TakeChanges();
      if (!lost.empty() || !changes.empty()) {
        return Fail("FinishRestore() changed a state with nothing running" +
                    (changes.jobs.empty() ? std::string() : ": job " + *changes.jobs.begin()));
      }
      CompareQueries(*fresh);
      if (!report_.ok) return;
      Decisions decisions = fresh->Schedule();
      if (!decisions.starts.empty()) {
        const std::string& id = decisions.starts.front().job_id;
        std::optional<JobStatus> live = state_->StatusOf(id);
        return Fail("a reloaded state starts job " + id + ", which memory leaves " +
                    (live ? std::string(ToString(*live)) : std::string("unknown")));
      }
    }
    if (!restart) return;
    ++report_.restarts;
    if (placed != 0) {
      std::vector<AttemptPlacement> lost = fresh->FinishRestore();
      if (lost.size() != placed) {
        return Fail("FinishRestore() ended " + std::to_string(lost.size()) + " attempts but " +
                    std::to_string(placed) + " were placed");
      }
    }
    trace_.Line("restart: " + std::to_string(placed) + " attempt(s) lost");
    executor_.LoseAll();
    state_ = std::move(fresh);
  }

  // What the API derives rather than stores: child statuses and array summaries.
  void CompareQueries(const BatchState& fresh) {
    for (const auto& [id, status] : checker_.statuses()) {
      const Job* live = state_->FindJob(id);
      if (!live->IsArrayParent()) continue;
      if (fresh.ArrayStatusSummary(*fresh.FindJob(id)) != state_->ArrayStatusSummary(*live)) {
        return Fail("array " + id + ": a reload gives a different statusSummary");
      }
      for (int index = 0; index < *live->array_size; ++index) {
        std::string child = id + ":" + std::to_string(index);
        if (fresh.StatusOf(child) != state_->StatusOf(child)) {
          return Fail("array child " + child + " has another status after a reload");
        }
      }
    }
  }

  SimulationReport Finish() {
    report_.step = step_;
    report_.virtual_millis = clock_.NowMillis() - Trace::kStart;
    report_.jobs = static_cast<int64_t>(checker_.statuses().size()) + checker_.purged();
    report_.submitted = workload_.submitted();
    report_.launches = executor_.launches();
    report_.launch_failures = executor_.launch_failures();
    report_.purged = checker_.purged();
    report_.fingerprint = FingerprintOf(store_);
    return report_;
  }

  SimulationOptions options_;
  FakeClock clock_;
  SimRandom random_;
  Trace trace_;
  BatchStateOptions state_options_;
  std::unique_ptr<BatchState> state_;
  FakeStore store_;
  FakeExecutor executor_;
  Workload workload_;
  InvariantChecker checker_;
  int64_t step_ = 0;
  SimulationReport report_;
};

uint64_t Fnv1a(uint64_t hash, const std::string& text) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

BatchStateOptions DrawStateOptions(uint64_t seed, SimRandom& random) {
  BatchStateOptions options;
  options.seed = seed;
  options.stop_grace_millis = random.Pick<int64_t>({1'000, 30'000, 90'000});
  // Some runs keep finished jobs only briefly, so purging happens while dependents still run.
  if (random.Percent(30)) options.job_retention_millis = random.Between(60'000, 7'200'000);
  return options;
}

uint64_t FingerprintOf(const FakeStore& store) {
  uint64_t hash = 14695981039346656037ull;
  for (const auto* records :
       {&store.compute_environments(), &store.job_queues(), &store.scheduling_policies(),
        &store.job_definitions(), &store.jobs()}) {
    for (const auto& [key, document] : *records) hash = Fnv1a(Fnv1a(hash, key), document);
  }
  return hash;
}

std::string SimulationReport::ReplayCommand() const {
  return "build/gleaner_sim --seeds " + std::to_string(seed) + ".." + std::to_string(seed) +
         " --steps " + std::to_string(steps) + (engine ? " --engine" : "");
}

std::string SimulationReport::Summary() const {
  std::string counts =
      std::to_string(jobs) + " jobs, " + std::to_string(launches) + " launches, " +
      std::to_string(restarts) + (engine ? " crashes, " : " restarts, ") +
      (engine ? std::to_string(interruptions) + " interruptions, " + std::to_string(agents) +
                    " agents, " + std::to_string(agent_faults) + " agent faults, "
              : "") +
      std::to_string(step) + " steps, " + std::to_string(virtual_millis / 1000) + " s virtual";
  if (ok) return "seed " + std::to_string(seed) + " ok: " + counts;
  return "seed " + std::to_string(seed) + " FAILED at step " + std::to_string(step) + " (" +
         std::to_string(virtual_millis) + " ms virtual): " + violation +
         "\nreplay: " + ReplayCommand();
}

SimulationReport RunSimulation(const SimulationOptions& options) {
  try {
    return Simulation(options).Run();
  } catch (const CheckFailure& failure) {  // BatchState's own invariant, thrown out of a step
    SimulationReport report;
    report.seed = options.seed;
    report.steps = options.steps;
    report.ok = false;
    report.violation = failure.what();
    return report;
  }
}

}  // namespace gleaner::sim
