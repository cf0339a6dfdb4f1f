#pragma once

#include <string>

#include "common/status.h"

namespace gleaner {

// A token kept in a file (`--agent-token-file`, `--token-file`), so it need not appear on a
// command line every user of the machine can read: the file's first line, trailing whitespace
// removed. An empty or unreadable file is an error naming it.
Result<std::string> ReadSecretFile(const std::string& path);

}  // namespace gleaner
