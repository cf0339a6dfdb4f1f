// Built by the ctest module_boundary_allowed, in a target that links only gleaner_scheduler: the
// scheduler's own headers and those of the modules it depends on are found.
#include "model/job.h"
#include "scheduler/batch_state.h"

int ModuleBoundaryAllowed() { return sizeof(gleaner::Job) > 0 ? 0 : 1; }
