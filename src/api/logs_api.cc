#include "api/logs_api.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>

#include "api/aws_errors.h"
#include "model/json_text.h"

namespace gleaner {
namespace {

using nlohmann::json;

constexpr char kBatchLogGroup[] = "/aws/batch/job";
constexpr char kContentType[] = "application/x-amz-json-1.1";
constexpr int kDefaultLimit = 10000;
constexpr int64_t kMaxResponseBytes = 1 << 20;  // CloudWatch Logs answers at most 1 MB

// Stream names come from clients: only names gleaner could have made may touch the disk.
bool IsSafeStreamName(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.size() > 512) return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    std::string part =
        name.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return name.find('\0') == std::string::npos;
}

// Tokens are byte offsets into the stream: "f/<offset>" forward, "b/<offset>" backward.
bool ParseToken(const std::string& token, int64_t* offset) {
  if (token.size() < 3 || (token[0] != 'f' && token[0] != 'b') || token[1] != '/') return false;
  int64_t value = 0;
  for (size_t i = 2; i < token.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(token[i])) || i > 20) return false;
    value = value * 10 + (token[i] - '0');
  }
  *offset = value;
  return true;
}

}  // namespace

HttpResponse LogsApi::Handle(const std::string& operation, const HttpRequest& request) const {
  if (operation == "GetLogEvents") return GetLogEvents(request);
  return JsonProtocolError(
      "UnknownOperationException",
      "gleaner's CloudWatch Logs subset serves GetLogEvents only, not " + operation);
}

HttpResponse LogsApi::GetLogEvents(const HttpRequest& request) const {
  Result<json> parsed = request.body.empty() ? json::object() : ParseJsonText(request.body);
  json body = parsed.ok() ? std::move(*parsed) : json();
  if (!body.is_object()) {
    return JsonProtocolError("InvalidParameterException", "The request body is not a JSON object");
  }
  auto string_member = [&body](const char* name) {
    auto it = body.find(name);
    return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::string group = string_member("logGroupName");
  std::string stream = string_member("logStreamName");
  if (group != kBatchLogGroup) {
    return JsonProtocolError("ResourceNotFoundException",
                             "The specified log group does not exist: gleaner keeps job logs in "
                             "/aws/batch/job");
  }
  if (!IsSafeStreamName(stream)) {
    return JsonProtocolError("InvalidParameterException",
                             "logStreamName \"" + stream + "\" is not a valid log stream name");
  }
  int64_t offset = 0;
  std::string token = string_member("nextToken");
  if (!token.empty() && !ParseToken(token, &offset)) {
    return JsonProtocolError("InvalidParameterException", "nextToken \"" + token + "\" is invalid");
  }
  int limit = kDefaultLimit;
  if (auto it = body.find("limit"); it != body.end() && it->is_number_integer()) {
    limit = std::clamp(it->get<int>(), 1, kDefaultLimit);
  }
  std::string path = log_directory_ + "/" + stream;
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) {
    return JsonProtocolError("ResourceNotFoundException",
                             "The specified log stream does not exist.");
  }
  int64_t timestamp =
      static_cast<int64_t>(info.st_mtim.tv_sec) * 1000 + info.st_mtim.tv_nsec / 1000000;
  std::ifstream file(path, std::ios::binary);
  file.seekg(offset);
  json events = json::array();
  std::string line;
  int64_t position = offset;
  int64_t bytes = 0;
  while (static_cast<int>(events.size()) < limit && bytes < kMaxResponseBytes &&
         std::getline(file, line)) {
    // A last line without its newline is returned as it is; a follower sees the rest later.
    position += static_cast<int64_t>(line.size()) + (file.eof() ? 0 : 1);
    bytes += static_cast<int64_t>(line.size());
    events.push_back({{"timestamp", timestamp}, {"message", line}, {"ingestionTime", timestamp}});
  }
  json response{{"events", std::move(events)},
                {"nextForwardToken", "f/" + std::to_string(position)},
                {"nextBackwardToken", "b/" + std::to_string(offset)}};
  return JsonResponse(response.dump(-1, ' ', false, json::error_handler_t::replace), kContentType);
}

}  // namespace gleaner
