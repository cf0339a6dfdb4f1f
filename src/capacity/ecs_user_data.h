#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/base64.h"  // user data is base64: Base64DecodeLenient

namespace gleaner {

// The ECS cluster an instance's user data joins, the way the ECS agent learns it: the last
// `ECS_CLUSTER=<name>` in the decoded user data, however it gets into /etc/ecs/ecs.config
// (`echo ECS_CLUSTER=name >> /etc/ecs/ecs.config`, `ECS_CLUSTER="name"`, a MIME part, ...). A
// cluster ARN gives its name. Empty when there is none: the agent then joins the "default"
// cluster, which serves no compute environment.
std::string EcsClusterFromUserData(std::string_view decoded_user_data);

}  // namespace gleaner
