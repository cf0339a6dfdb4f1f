#pragma once

#include <sys/types.h>

#include <string>

#include "common/status.h"

namespace gleaner {

// Writes `text` to PATH.tmp (created with `mode`), optionally fsyncs it, and renames it over
// `path` (then fsyncs the directory when `durable`): readers see the old file or the new one,
// never half of one.
Status WriteFileAtomically(const std::string& path, const std::string& text, bool durable,
                           mode_t mode = 0600);

}  // namespace gleaner
