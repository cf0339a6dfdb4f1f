#include "api/request_metrics.h"

#include <algorithm>
#include <cctype>

#include "api/batch_operations.h"
#include "api/ec2_api.h"
#include "api/s3_api.h"

namespace gleaner {
namespace {

// The text of `name` when it looks like an operation (letters and digits, at most 64), else "".
std::string OperationName(std::string_view name) {
  if (name.empty() || name.size() > 64 ||
      !std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isalnum(c); })) {
    return "";
  }
  return std::string(name);
}

std::string FirstSegment(std::string_view path) {
  size_t end = path.find('/');
  return OperationName(path.substr(0, end));
}

std::string FormAction(const std::string& text) {
  size_t at = text.rfind("Action=", 0) == 0 ? 0 : text.find("&Action=");
  if (at == std::string::npos) return "";
  size_t start = text.find('=', at) + 1;
  size_t end = text.find('&', start);
  return OperationName(
      std::string_view(text).substr(start, end == std::string::npos ? end : end - start));
}

}  // namespace

RequestKind ClassifyRequest(const HttpRequest& request) {
  const std::string& path = request.path;
  if (auto target = request.headers.find("x-amz-target"); target != request.headers.end()) {
    const std::string& value = target->second;
    size_t dot = value.rfind('.');
    std::string operation = dot == std::string::npos ? "" : OperationName(value.substr(dot + 1));
    if (value.starts_with("Logs_")) return {"logs", operation};
    if (value.starts_with("AmazonEC2ContainerService")) return {"ecs", operation};
    if (value.starts_with("AWSEvents.")) return {"events", operation};
    return {"other", ""};
  }
  if (path == "/healthz") return {"gleaner", "healthz"};
  if (path.starts_with("/gleaner/v1/")) return {"gleaner", FirstSegment(path.substr(12))};
  if (path.starts_with("/imds/")) return {"imds", ""};
  if (path.starts_with("/v1/tags/")) return {"batch", "Tags"};
  if (path.starts_with("/v1/")) {
    const BatchOperation* operation = FindBatchOperation(path.substr(4));
    return {"batch", operation == nullptr ? "" : std::string(operation->name)};
  }
  if (IsEc2Request(request)) {
    std::string action = FormAction(request.body);
    return {"ec2", action.empty() ? FormAction(request.query) : action};
  }
  if (S3Api::IsS3Request(request) || request.method != "POST") return {"s3", request.method};
  return {"other", ""};
}

}  // namespace gleaner
