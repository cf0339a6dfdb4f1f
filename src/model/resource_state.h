#pragma once

#include <nlohmann/json.hpp>

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

// In JSON, AWS's spelling wherever one is put into a document (never the enum's number).
NLOHMANN_JSON_SERIALIZE_ENUM(ResourceState, {{ResourceState::kEnabled, "ENABLED"},
                                             {ResourceState::kDisabled, "DISABLED"}})
NLOHMANN_JSON_SERIALIZE_ENUM(ResourceStatus, {{ResourceStatus::kCreating, "CREATING"},
                                              {ResourceStatus::kUpdating, "UPDATING"},
                                              {ResourceStatus::kDeleting, "DELETING"},
                                              {ResourceStatus::kDeleted, "DELETED"},
                                              {ResourceStatus::kValid, "VALID"},
                                              {ResourceStatus::kInvalid, "INVALID"}})

}  // namespace gleaner
