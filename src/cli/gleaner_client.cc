#include "cli/gleaner_client.h"

#include <algorithm>
#include <cctype>

namespace gleaner {

using nlohmann::json;

Result<GleanerClient> GleanerClient::Connect(const std::string& endpoint) {
  Result<HttpClient> client = ConnectWithAwsCredentials(endpoint);
  if (!client.ok()) {
    return Status::FailedPrecondition("cannot reach gleaner at " + endpoint + ": " +
                                      client.status().message());
  }
  return GleanerClient(std::move(*client), endpoint);
}

Result<json> GleanerClient::Batch(const std::string& operation, const json& body) {
  std::string path = "/v1/" + operation;
  std::transform(path.begin(), path.end(), path.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return Answer(client_.Post(path, body.dump(), {{"Content-Type", "application/json"}}));
}

Result<json> GleanerClient::Target(const std::string& target, const json& body) {
  return Answer(
      client_.Post("/", body.dump(),
                   {{"Content-Type", "application/x-amz-json-1.1"}, {"X-Amz-Target", target}}));
}

Result<json> GleanerClient::Get(const std::string& path) { return Answer(client_.Get(path)); }

Result<json> GleanerClient::Answer(Result<HttpClientResponse> response) {
  if (!response.ok()) {
    return Status::FailedPrecondition("cannot reach gleaner at " + endpoint_ + ": " +
                                      response.status().message());
  }
  json parsed = json::parse(response->body, nullptr, false);
  if (response->status != 200) {
    std::string message =
        parsed.is_object() && parsed.contains("message") && parsed["message"].is_string()
            ? parsed["message"].get<std::string>()
            : "HTTP " + std::to_string(response->status);
    if (response->status == 403 || response->status == 401) {
      message +=
          " (check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the shared credentials "
          "file, against gleaner's credentials)";
    }
    return Status::InvalidArgument(message);
  }
  if (parsed.is_discarded()) {
    return Status::Internal("gleaner at " + endpoint_ + " answered something that is not JSON");
  }
  return parsed;
}

}  // namespace gleaner
