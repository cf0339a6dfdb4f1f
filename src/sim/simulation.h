#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>

#include "common/clock.h"
#include "scheduler/batch_state.h"
#include "sim/fake_store.h"
#include "sim/sim_random.h"

namespace gleaner::sim {

struct SimulationOptions {
  uint64_t seed = 1;
  // Workload ticks (each a few API calls) before the workload goes quiet; then the simulation
  // runs on until nothing runs and no timer is due.
  int steps = 150;
  // Every event, in virtual time, when replaying a seed.
  std::ostream* trace = nullptr;
};

struct SimulationReport {
  uint64_t seed = 0;
  int steps = 0;
  bool ok = true;
  std::string violation;       // the first invariant violated, naming the jobs involved
  int64_t step = 0;            // the simulation step it was found at (or the last step run)
  int64_t virtual_millis = 0;  // virtual time from the start of the run
  int64_t jobs = 0;            // jobs BatchState made, children included
  int64_t submitted = 0;       // SubmitJob calls
  int64_t launches = 0;
  int64_t launch_failures = 0;
  int64_t purged = 0;
  int64_t reloads = 0;       // fresh BatchStates built from the store and compared
  int64_t restarts = 0;      // of those, the ones the simulation went on with
  uint64_t fingerprint = 0;  // of the final store: one seed, one value
  // The whole server (server_sim/engine_simulation.h) rather than BatchState alone.
  bool engine = false;
  int64_t interruptions = 0;   // spot interruptions injected (the engine simulation)
  int64_t agents = 0;          // agents that joined (the engine simulation)
  int64_t agent_launches = 0;  // of the launches, those on agents
  int64_t agent_faults = 0;    // agent restarts, partitions and machines lost

  // Records the first violation (later ones follow from it), and traces it.
  void Violated(std::optional<std::string> found, const Trace& trace) {
    if (!found || !ok) return;
    ok = false;
    violation = std::move(*found);
    trace.Line("VIOLATION: " + violation);
  }

  // "build/gleaner_sim --seeds S..S --steps N"
  std::string ReplayCommand() const;
  // One line for a passing seed; for a failing one the violation and how to replay it.
  std::string Summary() const;
};

// One seeded run: a random workload against the real BatchState, with a fake clock, a fake
// executor and a fake store, checking every invariant after every step (see README.md).
SimulationReport RunSimulation(const SimulationOptions& options);

// How a run's BatchState is configured, drawn from its seed: the stop grace, and in some runs a
// short retention of finished jobs.
BatchStateOptions DrawStateOptions(uint64_t seed, SimRandom& random);

// An FNV-1a hash of the store's records: one seed, one value.
uint64_t FingerprintOf(const FakeStore& store);

}  // namespace gleaner::sim
