#pragma once

// The container an agent runs an attempt in (runtime/container_spec.h), as the agent protocol
// carries it in an assignment's "container" member. Internal to agent_protocol.cc.

#include <nlohmann/json.hpp>

#include "model/json_members.h"
#include "runtime/container_spec.h"

namespace gleaner {

nlohmann::json ContainerSpecJson(const ContainerSpec& spec);
void ReadContainerSpec(JsonObjectReader& in, ContainerSpec& spec);

}  // namespace gleaner
