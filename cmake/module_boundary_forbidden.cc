// Built by the ctest module_boundary_forbidden, in a target that links only gleaner_scheduler:
// the scheduler must not know the store (DESIGN.md), so this include must fail to compile.
#include "store/store.h"

int ModuleBoundaryForbidden() { return 0; }
