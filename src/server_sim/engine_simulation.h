#pragma once

#include "sim/simulation.h"

namespace gleaner::sim {

// One seeded run of the whole server in virtual time, in one thread: the real Engine (stepped,
// server/engine.h) over the real BatchState, with the real SimulatedCloud as its capacity
// provider (scale-out, scale-in, background spot reclaims, and interruptions injected through the
// same Interrupt call as `gleaner interrupt`), a launcher and a store whose latency and crashes
// the simulation controls. The random user of sim/workload.h drives it through
// Engine::Execute, as the API does. Every invariant of sim/invariants.h is checked after every
// turn, and more (see README.md):
// - no attempt is launched while an earlier process of its job still runs;
// - an attempt on an instance that got an interruption notice ends with the host's reason (or
//   its own clean exit) and is retried or failed as its retry strategy says;
// - no process outlives its instance's termination;
// - nothing a client was answered and no attempt that was launched is taken back by a crash.
SimulationReport RunEngineSimulation(const SimulationOptions& options);

}  // namespace gleaner::sim
