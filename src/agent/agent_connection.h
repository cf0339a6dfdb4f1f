#pragma once

// The agent's side of the wire: the agent protocol's requests over one HTTP connection to the
// server (made again after any failure), and the server's answers turned into values.
//
// Errors, as Status codes:
//   kNotFound         AgentNotRegisteredException: register again, then go on
//   kPermissionDenied  AgentIdentityException: the instance id is not this agent's (any more)
//   kInvalidArgument  the server refused the request (HTTP 4xx); the message is the server's
//   kInternal         the server could not be reached, timed out or failed: try again later

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "api/agent_protocol.h"
#include "common/mutex.h"
#include "common/status.h"

namespace gleaner {

class HttpClient;

class AgentConnection {
 public:
  // `server` like "http://10.0.0.1:8686" (or https://, verified against `ca_file`, or the
  // system's roots when empty); `token` empty when the server wants none.
  AgentConnection(std::string server, std::string token, std::string ca_file = "");
  ~AgentConnection();
  AgentConnection(const AgentConnection&) = delete;
  AgentConnection& operator=(const AgentConnection&) = delete;

  Result<AgentRegistered> Register(const AgentRegistration& registration);
  // Waits up to poll.wait_millis on the server, plus a margin.
  Result<AgentWork> Poll(const AgentPoll& poll);
  Result<AgentReportReply> Report(const AgentReport& report);
  // Sends `bytes`, the log from byte `offset`; returns how many bytes the server now holds.
  Result<int64_t> ShipLog(const std::string& instance_id, const std::string& log_stream_name,
                          int64_t offset, const std::string& bytes);

  // The credential the server gave with the instance id, sent with every later request.
  void SetCredential(std::string credential);

  // Makes the request in progress fail at once, and every later one (shutdown). May be called
  // from another thread.
  void Interrupt();

 private:
  Result<std::string> Send(const std::string& path, const std::string& body,
                           std::string_view content_type, std::chrono::milliseconds timeout);

  const std::string server_;
  const std::string token_;
  const std::string ca_file_;
  Mutex mutex_;  // guards client_ (replaced only by the calling thread), credential_ and
                 // interrupted_
  std::string credential_ GLEANER_GUARDED_BY(mutex_);
  std::unique_ptr<HttpClient> client_ GLEANER_GUARDED_BY(mutex_);
  bool interrupted_ GLEANER_GUARDED_BY(mutex_) = false;
};

// The Status for a non-200 answer (see the error codes above).
Status AgentErrorFromResponse(int http_status, std::string_view body);

// `text` percent-encoded for a query value: every byte but A-Z a-z 0-9 - . _ ~ as %XX.
std::string PercentEncodeQueryValue(std::string_view text);

}  // namespace gleaner
