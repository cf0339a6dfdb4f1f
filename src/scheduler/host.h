#pragma once

#include <string>

#include "model/resources.h"

namespace gleaner {

// A machine attempts run on. Local capacity is one host that serves every compute environment.
struct Host {
  std::string instance_id;
  std::string container_instance_arn;
  Resources total;
  Resources used;
  bool accepting = true;  // false while draining (e.g. after an interruption notice)

  Resources Free() const { return total - used; }
};

}  // namespace gleaner
