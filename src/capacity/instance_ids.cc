#include "capacity/instance_ids.h"

#include "common/ids.h"

namespace gleaner {

std::string InstanceIdGenerator::Next() { return "i-" + RandomHex(random_, 17); }

}  // namespace gleaner
