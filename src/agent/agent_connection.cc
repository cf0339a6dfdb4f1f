#include "agent/agent_connection.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>

#include "api/http_client.h"

namespace gleaner {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kConnectTimeout{5'000};
constexpr milliseconds kRequestTimeout{30'000};
// A long poll is answered after at most its wait; beyond that plus this margin, the connection
// is taken for dead.
constexpr milliseconds kPollMargin{15'000};

template <typename T>
Result<T> DecodeAnswer(Result<std::string> body, Result<T> (*decode)(std::string_view)) {
  if (!body.ok()) return body.status();
  Result<T> decoded = decode(*body);
  if (!decoded.ok()) {
    return Status::Internal("the server's answer is not understood: " + decoded.status().message());
  }
  return decoded;
}

}  // namespace

AgentConnection::AgentConnection(std::string server, std::string token, std::string ca_file)
    : server_(std::move(server)), token_(std::move(token)), ca_file_(std::move(ca_file)) {}

AgentConnection::~AgentConnection() = default;

Result<AgentRegistered> AgentConnection::Register(const AgentRegistration& registration) {
  return DecodeAnswer(Send(std::string(kAgentRegisterPath), EncodeAgentRegistration(registration),
                           "application/json", kRequestTimeout),
                      &DecodeAgentRegistered);
}

Result<AgentWork> AgentConnection::Poll(const AgentPoll& poll) {
  return DecodeAnswer(Send(std::string(kAgentPollPath), EncodeAgentPoll(poll), "application/json",
                           milliseconds(poll.wait_millis) + kPollMargin),
                      &DecodeAgentWork);
}

Result<AgentReportReply> AgentConnection::Report(const AgentReport& report) {
  return DecodeAnswer(Send(std::string(kAgentReportPath), EncodeAgentReport(report),
                           "application/json", kRequestTimeout),
                      &DecodeAgentReportReply);
}

Result<int64_t> AgentConnection::ShipLog(const std::string& instance_id,
                                         const std::string& log_stream_name, int64_t offset,
                                         const std::string& bytes) {
  std::string path = std::string(kAgentLogsPath) +
                     "?instanceId=" + PercentEncodeQueryValue(instance_id) +
                     "&logStreamName=" + PercentEncodeQueryValue(log_stream_name) +
                     "&offset=" + std::to_string(offset);
  Result<std::string> body = Send(path, bytes, "application/octet-stream", kRequestTimeout);
  if (!body.ok()) return body.status();
  nlohmann::json answer = nlohmann::json::parse(*body, nullptr, /*allow_exceptions=*/false);
  if (!answer.is_object() || !answer.contains("size") || !answer["size"].is_number_integer() ||
      answer["size"].get<int64_t>() < 0) {
    return Status::Internal("the server's answer to a log upload has no size: " + *body);
  }
  return answer["size"].get<int64_t>();
}

void AgentConnection::SetCredential(std::string credential) {
  MutexLock lock(mutex_);
  credential_ = std::move(credential);
}

void AgentConnection::Interrupt() {
  MutexLock lock(mutex_);
  interrupted_ = true;
  if (client_) client_->Interrupt();
}

Result<std::string> AgentConnection::Send(const std::string& path, const std::string& body,
                                          std::string_view content_type, milliseconds timeout) {
  HttpClient* client = nullptr;
  std::map<std::string, std::string> headers{{"Content-Type", std::string(content_type)}};
  {
    MutexLock lock(mutex_);
    if (interrupted_) return Status::Internal("the agent is stopping");
    client = client_.get();
    if (!credential_.empty()) headers[std::string(kAgentCredentialHeader)] = credential_;
  }
  if (client == nullptr) {
    // Connecting takes a while when the server is down: not under the lock Interrupt takes.
    Result<HttpClient> connected = HttpClient::Connect(server_, kConnectTimeout, ca_file_);
    if (!connected.ok()) return Status::Internal(connected.status().message());
    MutexLock lock(mutex_);
    if (interrupted_) return Status::Internal("the agent is stopping");
    client_ = std::make_unique<HttpClient>(std::move(*connected));
    client = client_.get();
  }
  if (!token_.empty()) headers["Authorization"] = "Bearer " + token_;
  Result<HttpClientResponse> response = client->Post(path, body, headers, timeout);
  if (!response.ok()) {
    MutexLock lock(mutex_);
    client_.reset();  // closed by the failure: the next request connects again
    return Status::Internal(response.status().message());
  }
  if (response->status != 200) return AgentErrorFromResponse(response->status, response->body);
  return std::move(response->body);
}

Status AgentErrorFromResponse(int http_status, std::string_view body) {
  nlohmann::json error = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  std::string type;
  std::string message(body);
  if (error.is_object()) {
    if (error.contains("__type") && error["__type"].is_string()) type = error["__type"];
    if (error.contains("message") && error["message"].is_string()) message = error["message"];
  }
  if (http_status == 404 && type == kAgentNotRegistered) {
    return Status::NotFound("the server does not know this agent: " + message);
  }
  if (http_status == 403 && type == kAgentIdentityRefused) {
    return Status(StatusCode::kPermissionDenied, message);
  }
  if (http_status >= 400 && http_status < 500) return Status::InvalidArgument(message);
  return Status::Internal("the server answered HTTP " + std::to_string(http_status) + ": " +
                          message);
}

std::string PercentEncodeQueryValue(std::string_view text) {
  std::string encoded;
  for (unsigned char byte : text) {
    bool unreserved = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
                      (byte >= '0' && byte <= '9') || byte == '-' || byte == '.' || byte == '_' ||
                      byte == '~';
    if (unreserved) {
      encoded += static_cast<char>(byte);
    } else {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", byte);
      encoded += escaped;
    }
  }
  return encoded;
}

}  // namespace gleaner
