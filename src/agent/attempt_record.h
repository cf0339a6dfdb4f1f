#pragma once

// What the agent keeps on disk about each attempt it holds, so that a restarted agent can find
// its attempts again: one small JSON file per attempt under <work-dir>/attempts/.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "api/agent_protocol.h"
#include "common/status.h"

namespace gleaner {

struct AttemptRecord {
  AttemptKey key;
  pid_t pid = 0;            // the attempt shim, leader of the attempt's process group; 0 before
                            // the launch completed
  int64_t start_ticks = 0;  // the shim's start time (/proc/<pid>/stat), to recognise it later
  std::string log_stream_name;
  int64_t log_offset = 0;  // bytes of the log the server holds, as far as the agent knows
  // Set when the attempt runs in a container (`gleaner agent --runtime container`): its name and
  // image, so that a restarted agent can signal it and conclude it again.
  std::string container_name;
  std::string image;
  bool operator==(const AttemptRecord&) const = default;
};

std::string EncodeAttemptRecord(const AttemptRecord& record);
Result<AttemptRecord> DecodeAttemptRecord(std::string_view text);

// A file name (without extension) that names `key` and nothing else: job ids may contain ':' and
// '#' (array and multi-node children), so every byte outside [A-Za-z0-9_-] is written %XX, and the
// attempt number follows a '.'. Never "." or "..", never a '/'.
std::string AttemptFileName(const AttemptKey& key);

// Whether `name` (from the server) can be used as a path under the logs directory: relative,
// no empty, "." or ".." segments.
bool IsSafeLogStreamName(std::string_view name);

}  // namespace gleaner
