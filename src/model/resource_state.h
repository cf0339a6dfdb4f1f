#pragma once

#include <optional>
#include <string_view>

namespace gleaner {

// Whether a compute environment or job queue takes new work (AWS's `state`).
enum class ResourceState { kEnabled, kDisabled };
// Whether it is usable as configured (AWS's `status`).
enum class ResourceStatus { kCreating, kUpdating, kDeleting, kDeleted, kValid, kInvalid };

// AWS's spelling: "ENABLED", "VALID", ...
std::string_view ToString(ResourceState state);
std::string_view ToString(ResourceStatus status);
std::optional<ResourceState> ParseResourceState(std::string_view text);
std::optional<ResourceStatus> ParseResourceStatus(std::string_view text);

}  // namespace gleaner
