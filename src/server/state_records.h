#pragma once

#include <vector>

#include "common/status.h"
#include "scheduler/batch_state.h"
#include "server/parallel_decode.h"
#include "store/store.h"

namespace gleaner {

// The one translation between BatchState and the store, used by the engine and by the simulator
// (so the simulator checks exactly what the server persists).

// The puts and deletes that make the store match `state` for what `changes` names: within a kind,
// puts before deletes (jobs: purges first); a record named but no longer in memory is not written.
std::vector<Mutation> MutationsFor(const BatchState& state, const StateChanges& changes);

// Restore*() every record into `state` in store order (catalog first, then jobs); the caller
// decides when to call FinishRestore(). A record that is not JSON or does not decode is an error:
// the first such record in store order, with every record before it restored. Records are parsed
// and decoded on worker threads (parallel_decode.h); Restore*() runs on the calling thread.
// `stats`, when given, learns where the time went.
Status RestoreFromRecords(const StoreSnapshot& snapshot, BatchState& state,
                          ParallelDecodeStats* stats = nullptr);

}  // namespace gleaner
