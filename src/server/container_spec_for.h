#pragma once

#include <string>
#include <vector>

#include "model/job.h"
#include "runtime/container_spec.h"

namespace gleaner {

// The container an attempt of `job` runs in, from its container properties (image, user,
// volumes and mount points, ulimits, linuxParameters, ...) and its placement (the resources and
// GPUs it holds). `variables` are the attempt's own ("NAME=value").
ContainerSpec ContainerSpecFor(const Job& job, const std::vector<std::string>& variables);

}  // namespace gleaner
