#pragma once

#include <string>

namespace gleaner {

struct LogsCommandOptions {
  std::string endpoint;
  std::string job_id;
  int attempt = 0;  // 1-based; 0: the latest attempt
  bool follow = false;
};

// `gleaner logs`: prints an attempt's output (stdout and stderr) through the CloudWatch Logs API
// the server speaks; with follow, keeps printing until the attempt has ended. Returns the exit
// code. An array parent's log is its children's (array_logs.h).
int RunLogsCommand(const LogsCommandOptions& options);

}  // namespace gleaner
