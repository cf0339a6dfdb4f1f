#pragma once

// The parts RegisterJobDefinition and SubmitJob share: retryStrategy, timeout and the pieces of a
// container (command, environment, resourceRequirements, legacy vcpus/memory).

#include <optional>
#include <string_view>
#include <vector>

#include "api/requests/json_fields.h"
#include "common/status.h"
#include "model/job_definition.h"

namespace gleaner::fields {

// Whether a VCPU requirement may be a fraction: Fargate takes "0.25"; EC2 wants whole vCPUs.
// Overrides in SubmitJob do not know the platform yet and allow fractions; BatchState checks the
// merged container against the definition's platform.
enum class VcpuPrecision { kWhole, kFractional };

// "retryStrategy": attempts 1-10; evaluateOnExit at most 5 rules, each with an action RETRY or
// EXIT (any case) and optional patterns of at most 512 characters (onStatusReason and onReason:
// letters, digits, '.', ':' and white space; onExitCode: digits; each may end in one '*').
Status ReadRetryStrategy(const ObjectFields& parent, std::optional<RetryStrategy>* out);

// "timeout": attemptDurationSeconds at least 60.
Status ReadJobTimeout(const ObjectFields& parent, std::optional<JobTimeout>* out);

// "command": a list of strings (no NUL characters: they cannot reach a process's argv).
Status ReadCommand(const ObjectFields& container, std::optional<std::vector<std::string>>* out);

// "environment": [{name, value}]; names are required, hold no '=' or NUL, and may not start
// with AWS_BATCH (reserved for the variables Batch sets).
Status ReadEnvironment(const ObjectFields& container, std::vector<KeyValuePair>* out);

// "resourceRequirements": [{type, value}], each type at most once. VCPU is a positive number
// (whole for EC2), MEMORY a whole number of MiB above 0, GPU a whole number.
Status ReadResourceRequirements(const ObjectFields& container, VcpuPrecision precision,
                                std::vector<ResourceRequirement>* out);

// The legacy "vcpus" and "memory" (MiB): at least 1 when given.
Status ReadLegacyResources(const ObjectFields& container, std::optional<int>* vcpus,
                           std::optional<int>* memory);

}  // namespace gleaner::fields
