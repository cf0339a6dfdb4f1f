#pragma once

#include <functional>
#include <string>

#include "api/http_server.h"

namespace gleaner {

// The service and operation a request names, for metrics: ("batch", "SubmitJob"),
// ("events", "PutRule"), ("ec2", "DescribeInstances"), ("s3", "GET"), ("gleaner", "events"),
// ("imds", "") ... Operation names come from the request, so a client can make up any number of
// them: callers bound the series they keep (MetricsRegistry does).
struct RequestKind {
  std::string service;
  std::string operation;
};
RequestKind ClassifyRequest(const HttpRequest& request);

// Told of every answer: its request's kind, its HTTP status and how long it took, in seconds.
using RequestObserver = std::function<void(const RequestKind& kind, int status, double seconds)>;

}  // namespace gleaner
