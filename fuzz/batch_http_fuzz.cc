// The Batch HTTP handler's parsing and routing: up to 8 requests (fuzz_request.h's text form)
// against a fresh BatchState and simulated cloud, 15 s of virtual time apart, so that one input
// can create a compute environment, a queue and a definition and then submit, update, terminate.
// "$JOB" and "$ARN" in a request's path, query or body stand for the last jobId and the last ARN
// an answer gave (ids are not guessable). Every answer must be 2xx or the protocol's 4xx
// (api_world.h).
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz/api_world.h"
#include "fuzz/fuzz_request.h"
#include "model/json_text.h"

namespace {

std::string* log_directory = nullptr;

void ReplaceAll(std::string& text, std::string_view from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// Remembers the ids an answer names, for the next requests' "$JOB" and "$ARN".
void Remember(const gleaner::HttpResponse& response, std::map<std::string, std::string>& names) {
  if (response.body.find("jobId") == std::string::npos &&
      response.body.find("Arn\"") == std::string::npos) {
    return;  // most answers name nothing to remember: no need to parse them
  }
  gleaner::Result<nlohmann::json> body = gleaner::ParseJsonText(response.body);
  if (!body.ok() || !body->is_object()) return;
  for (const auto& [key, value] : body->items()) {
    if (!value.is_string()) continue;
    if (key == "jobId") names["$JOB"] = value.get<std::string>();
    if (key.ends_with("Arn")) names["$ARN"] = value.get<std::string>();
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  log_directory = new std::string(gleaner::fuzz::MakeLogDirectory());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  gleaner::fuzz::ApiWorld world({*log_directory, 15'000});
  std::map<std::string, std::string> names;
  for (gleaner::HttpRequest& request : gleaner::fuzz::ParseFuzzRequests(text, 8)) {
    for (const auto& [name, value] : names) {
      ReplaceAll(request.path, name, value);
      ReplaceAll(request.query, name, value);
      ReplaceAll(request.body, name, value);
    }
    Remember(world.Serve(std::move(request)), names);
  }
  return 0;
}
