#pragma once

#include "model/job_definition.h"
#include "scheduler/requests.h"

namespace gleaner {

// SubmitJob's containerOverrides (or a nodePropertyOverride's) applied to a definition's
// container: command replaced, environment merged by name, resourceRequirements replaced per
// type, legacy vcpus/memory and instanceType replaced when given.
void ApplyOverrides(ContainerProperties& container, const ContainerOverrides& overrides);

}  // namespace gleaner
