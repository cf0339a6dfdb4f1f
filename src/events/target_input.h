#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace gleaner {

// What a rule's target receives for an event, as EventBridge builds it: the target's `Input`
// (constant JSON text), or the part of the event its `InputPath` selects ("$.detail.jobId"), or
// its `InputTransformer`'s `InputTemplate` with each <name> of `InputPathsMap` replaced by the
// value that path selects (a string as its text, anything else as JSON; a path that selects
// nothing as an empty text), or else the whole event.
std::string TargetInput(const nlohmann::json& target, const nlohmann::json& event);

// Checks a target's Input, InputPath and InputTransformer as PutTargets does: at most one of
// them; Input is JSON; paths are "$" or "$.field.field...".
Status CheckTargetInput(const nlohmann::json& target);

}  // namespace gleaner
