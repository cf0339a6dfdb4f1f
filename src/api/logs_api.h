#pragma once

#include <string>

#include "api/http_server.h"

namespace gleaner {

// The CloudWatch Logs subset jobs' logs are read with (json-1.1, X-Amz-Target Logs_20140328.*):
// GetLogEvents on log group /aws/batch/job, where each attempt's stdout and stderr are one log
// stream named as the job's container.logStreamName. Reads the files the runtime writes.
class LogsApi {
 public:
  explicit LogsApi(std::string log_directory) : log_directory_(std::move(log_directory)) {}

  // `operation` is the part of X-Amz-Target after "Logs_20140328.".
  HttpResponse Handle(const std::string& operation, const HttpRequest& request) const;

 private:
  HttpResponse GetLogEvents(const HttpRequest& request) const;

  std::string log_directory_;
};

}  // namespace gleaner
