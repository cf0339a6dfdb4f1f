#pragma once

#include <cstdint>

#include "common/status.h"
#include "model/arn.h"
#include "scheduler/host.h"

namespace gleaner {

// This machine as one host: its online vCPUs and physical memory, unless overridden (> 0).
Result<Host> DescribeLocalHost(const ArnScope& scope, double vcpus_override,
                               int64_t memory_mib_override);

}  // namespace gleaner
