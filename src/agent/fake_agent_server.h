#pragma once

// A fake gleaner server for the agent's tests: the agent protocol's four requests on a free port,
// answered from what the test queued, with everything the agent sent kept for the test to check.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/agent_protocol.h"
#include "api/http_server.h"
#include "common/mutex.h"

namespace gleaner {

class FakeAgentServer {
 public:
  // `port` 0: any free port.
  explicit FakeAgentServer(uint16_t port = 0);
  ~FakeAgentServer();

  std::string url() const;
  uint16_t port() const;

  // What the next polls answer.
  void Assign(AttemptAssignment assignment);
  void Signal(const AttemptKey& key, int signal);
  // Signals for the next report's reply.
  void SignalInReportReply(const AttemptKey& key, int signal);
  // Answers every request but registration with 404 AgentNotRegisteredException until the agent
  // registers again (as a restarted server would).
  void ForgetAgents();
  // Answers registrations with HTTP 400 ClientException `message`.
  void RejectRegistrations(std::string message);
  // Whether ended attempts are acknowledged (default true).
  void SetAcknowledgeEnded(bool acknowledge);

  // Waits (30 s at most) until `condition` holds; it is called with the server's lock held.
  bool WaitFor(const std::function<bool(const FakeAgentServer&)>& condition);

  // What the agent sent; read inside WaitFor, or once the agent is stopped. Written under mutex_,
  // but not GLEANER_GUARDED_BY: the analysis cannot see WaitFor's lock inside the condition.
  std::vector<AgentRegistration> registrations;
  std::vector<AgentReport> reports;
  std::map<std::string, std::string> logs;  // log stream name → bytes
  // The log a stream had when its attempt was first reported EXITED.
  std::map<std::string, std::string> logs_at_exit;
  std::vector<std::string> authorizations;  // each request's Authorization header ("" if none)
  // Each request's credential header ("" if none), with its path.
  std::vector<std::pair<std::string, std::string>> credentials;
  int requests_refused_as_unregistered = 0;

  // The last report's entry for `key`, if any.
  std::optional<AttemptReport> LastReportOf(const AttemptKey& key) const;
  // The first report entry for `key` in `state`, if any.
  std::optional<AttemptReport> FirstReportOf(const AttemptKey& key, AttemptState state) const;

  static constexpr int64_t kPollWaitMillis = 300;
  static constexpr int64_t kReportIntervalMillis = 300;
  static constexpr const char* kInstanceId = "i-0123456789abcdef0";
  static constexpr const char* kAgentCredential = "0f0f";
  static constexpr const char* kComputeEnvironmentArn =
      "arn:aws:batch:us-east-1:123456789012:compute-environment/agents";

 private:
  HttpResponse Handle(const HttpRequest& request);
  // The four run under mutex_ (Handle holds it).
  HttpResponse HandleRegister(const HttpRequest& request) GLEANER_REQUIRES(mutex_);
  HttpResponse HandlePoll(const HttpRequest& request, MutexLock& lock) GLEANER_REQUIRES(mutex_);
  HttpResponse HandleReport(const HttpRequest& request) GLEANER_REQUIRES(mutex_);
  HttpResponse HandleLogs(const HttpRequest& request) GLEANER_REQUIRES(mutex_);

  mutable Mutex mutex_;
  std::condition_variable changed_;
  AgentWork pending_work_ GLEANER_GUARDED_BY(mutex_);
  std::vector<AttemptSignal> report_reply_signals_ GLEANER_GUARDED_BY(mutex_);
  bool registered_ GLEANER_GUARDED_BY(mutex_) = false;
  std::string rejection_ GLEANER_GUARDED_BY(mutex_);
  bool acknowledge_ended_ GLEANER_GUARDED_BY(mutex_) = true;
  std::unique_ptr<HttpServer> server_;  // last: stopped before the rest goes
};

}  // namespace gleaner
