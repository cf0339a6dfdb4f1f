#pragma once

#include <string>

#include "common/status.h"

namespace gleaner {

// Creates `path` and whatever ancestors it lacks with mode 0700 (what is there already is left as
// it is): for directories holding job output and state, which can hold secrets. The error's
// message is "<directory>: <why>".
Status CreatePrivateDirectories(const std::string& path);

}  // namespace gleaner
