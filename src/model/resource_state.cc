#include "model/resource_state.h"

#include <array>
#include <utility>

#include "model/enum_names.h"

namespace gleaner {
namespace {

constexpr std::array<std::pair<ResourceState, std::string_view>, 2> kStates = {{
    {ResourceState::kEnabled, "ENABLED"},
    {ResourceState::kDisabled, "DISABLED"},
}};
constexpr std::array<std::pair<ResourceStatus, std::string_view>, 6> kStatuses = {{
    {ResourceStatus::kCreating, "CREATING"},
    {ResourceStatus::kUpdating, "UPDATING"},
    {ResourceStatus::kDeleting, "DELETING"},
    {ResourceStatus::kDeleted, "DELETED"},
    {ResourceStatus::kValid, "VALID"},
    {ResourceStatus::kInvalid, "INVALID"},
}};

}  // namespace

std::string_view ToString(ResourceState state) { return NameOf(kStates, state); }
std::string_view ToString(ResourceStatus status) { return NameOf(kStatuses, status); }
std::optional<ResourceState> ParseResourceState(std::string_view text) {
  return ValueOf(kStates, text);
}
std::optional<ResourceStatus> ParseResourceStatus(std::string_view text) {
  return ValueOf(kStatuses, text);
}

}  // namespace gleaner
