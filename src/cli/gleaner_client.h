#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "api/http_client.h"
#include "common/status.h"

namespace gleaner {

// The client commands' calls to gleaner, each error one line a user can act on: the server is
// not there ("cannot reach gleaner at URL: ..."), refused the credentials, or refused the request
// (its message).
class GleanerClient {
 public:
  static Result<GleanerClient> Connect(const std::string& endpoint);

  // An AWS Batch operation: POST /v1/<lower-case operation>.
  Result<nlohmann::json> Batch(const std::string& operation, const nlohmann::json& body);
  // A json-1.1 operation (CloudWatch Logs, ECS, EventBridge): POST / with X-Amz-Target.
  Result<nlohmann::json> Target(const std::string& target, const nlohmann::json& body);
  // GET of one of gleaner's own routes ("/gleaner/v1/queues").
  Result<nlohmann::json> Get(const std::string& path);

 private:
  GleanerClient(HttpClient client, std::string endpoint)
      : client_(std::move(client)), endpoint_(std::move(endpoint)) {}
  Result<nlohmann::json> Answer(Result<HttpClientResponse> response);

  HttpClient client_;
  std::string endpoint_;
};

}  // namespace gleaner
