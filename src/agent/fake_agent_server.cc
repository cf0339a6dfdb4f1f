#include "agent/fake_agent_server.h"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <iostream>

namespace gleaner {
namespace {

HttpResponse Json(int status, const std::string& body) {
  HttpResponse response;
  response.status = status;
  response.body = body;
  return response;
}

HttpResponse Error(int status, const std::string& type, const std::string& message) {
  return Json(status, nlohmann::json{{"__type", type}, {"message", message}}.dump());
}

}  // namespace

FakeAgentServer::FakeAgentServer(uint16_t port) {
  HttpServerOptions options;
  options.port = port;
  options.threads = 4;  // a held long poll must not keep the agent's other requests waiting
  auto server = StartHttpServer(
      options, [this](HttpRequest&& request, Responder respond) { respond(Handle(request)); });
  if (!server.ok()) {
    std::cerr << "fake agent server: " << server.status().message() << "\n";
    std::abort();
  }
  server_ = std::move(*server);
}

FakeAgentServer::~FakeAgentServer() {
  {
    MutexLock lock(mutex_);
    registered_ = false;  // ends held polls
    changed_.notify_all();
  }
  server_->Stop();
}

std::string FakeAgentServer::url() const { return "http://127.0.0.1:" + std::to_string(port()); }
uint16_t FakeAgentServer::port() const { return server_->port(); }

void FakeAgentServer::Assign(AttemptAssignment assignment) {
  MutexLock lock(mutex_);
  pending_work_.assignments.push_back(std::move(assignment));
  changed_.notify_all();
}

void FakeAgentServer::Signal(const AttemptKey& key, int signal) {
  MutexLock lock(mutex_);
  pending_work_.signals.push_back({.key = key, .signal = signal});
  changed_.notify_all();
}

void FakeAgentServer::SignalInReportReply(const AttemptKey& key, int signal) {
  MutexLock lock(mutex_);
  report_reply_signals_.push_back({.key = key, .signal = signal});
}

void FakeAgentServer::ForgetAgents() {
  MutexLock lock(mutex_);
  registered_ = false;
  changed_.notify_all();
}

void FakeAgentServer::RejectRegistrations(std::string message) {
  MutexLock lock(mutex_);
  rejection_ = std::move(message);
}

void FakeAgentServer::SetAcknowledgeEnded(bool acknowledge) {
  MutexLock lock(mutex_);
  acknowledge_ended_ = acknowledge;
}

bool FakeAgentServer::WaitFor(const std::function<bool(const FakeAgentServer&)>& condition) {
  MutexLock lock(mutex_);
  return changed_.wait_for(lock.native(), std::chrono::seconds(30),
                           [&] { return condition(*this); });
}

std::optional<AttemptReport> FakeAgentServer::LastReportOf(const AttemptKey& key) const {
  for (auto report = reports.rbegin(); report != reports.rend(); ++report) {
    for (const AttemptReport& attempt : report->attempts) {
      if (attempt.key == key) return attempt;
    }
  }
  return std::nullopt;
}

std::optional<AttemptReport> FakeAgentServer::FirstReportOf(const AttemptKey& key,
                                                            AttemptState state) const {
  for (const AgentReport& report : reports) {
    for (const AttemptReport& attempt : report.attempts) {
      if (attempt.key == key && attempt.state == state) return attempt;
    }
  }
  return std::nullopt;
}

HttpResponse FakeAgentServer::Handle(const HttpRequest& request) {
  MutexLock lock(mutex_);
  auto authorization = request.headers.find("authorization");
  authorizations.push_back(authorization == request.headers.end() ? "" : authorization->second);
  auto credential = request.headers.find("x-gleaner-agent-credential");
  credentials.emplace_back(request.path,
                           credential == request.headers.end() ? "" : credential->second);
  HttpResponse response;
  if (request.path == kAgentRegisterPath) {
    response = HandleRegister(request);
  } else if (!registered_) {
    ++requests_refused_as_unregistered;
    response = Error(404, std::string(kAgentNotRegistered), "unknown agent");
  } else if (request.path == kAgentPollPath) {
    response = HandlePoll(request, lock);
  } else if (request.path == kAgentReportPath) {
    response = HandleReport(request);
  } else if (request.path == kAgentLogsPath) {
    response = HandleLogs(request);
  } else {
    response = Error(404, "ClientException", "no such path");
  }
  changed_.notify_all();
  return response;
}

HttpResponse FakeAgentServer::HandleRegister(const HttpRequest& request) {
  Result<AgentRegistration> registration = DecodeAgentRegistration(request.body);
  if (!registration.ok()) return Error(400, "ClientException", registration.status().message());
  if (!rejection_.empty()) return Error(400, "ClientException", rejection_);
  registrations.push_back(*registration);
  registered_ = true;
  return Json(200, EncodeAgentRegistered({.instance_id = kInstanceId,
                                          .agent_credential = kAgentCredential,
                                          .container_instance_arn = "arn:container-instance",
                                          .compute_environment_arn = kComputeEnvironmentArn,
                                          .poll_wait_millis = kPollWaitMillis,
                                          .report_interval_millis = kReportIntervalMillis}));
}

HttpResponse FakeAgentServer::HandlePoll(const HttpRequest& request, MutexLock& lock) {
  Result<AgentPoll> poll = DecodeAgentPoll(request.body);
  if (!poll.ok()) return Error(400, "ClientException", poll.status().message());
  changed_.wait_for(lock.native(), std::chrono::milliseconds(poll->wait_millis),
                    [this]() GLEANER_REQUIRES(mutex_) {
                      return !registered_ || !pending_work_.assignments.empty() ||
                             !pending_work_.signals.empty();
                    });
  if (!registered_) {
    ++requests_refused_as_unregistered;
    return Error(404, std::string(kAgentNotRegistered), "unknown agent");
  }
  AgentWork work = std::move(pending_work_);
  pending_work_ = AgentWork{};
  return Json(200, EncodeAgentWork(work));
}

HttpResponse FakeAgentServer::HandleReport(const HttpRequest& request) {
  Result<AgentReport> report = DecodeAgentReport(request.body);
  if (!report.ok()) return Error(400, "ClientException", report.status().message());
  reports.push_back(*report);
  AgentReportReply reply;
  for (const AttemptReport& attempt : report->attempts) {
    if (attempt.state == AttemptState::kRunning || attempt.state == AttemptState::kStarting) {
      continue;
    }
    if (attempt.state == AttemptState::kExited) {
      for (const auto& [stream, bytes] : logs) {
        if (stream.ends_with("/" + attempt.key.job_id)) logs_at_exit.try_emplace(stream, bytes);
      }
    }
    if (acknowledge_ended_) reply.acknowledged.push_back(attempt.key);
  }
  reply.signals = std::move(report_reply_signals_);
  report_reply_signals_.clear();
  return Json(200, EncodeAgentReportReply(reply));
}

HttpResponse FakeAgentServer::HandleLogs(const HttpRequest& request) {
  std::map<std::string, std::vector<std::string>> query = ParseQuery(request.query);
  if (query["instanceId"] != std::vector<std::string>{kInstanceId} ||
      query["logStreamName"].size() != 1 || query["offset"].size() != 1) {
    return Error(400, "ClientException", "bad log upload " + request.query);
  }
  std::string& log = logs[query["logStreamName"][0]];
  size_t offset = std::stoul(query["offset"][0]);
  // As the real server: bytes it already has are skipped, a gap is not accepted.
  if (offset <= log.size() && offset + request.body.size() > log.size()) {
    log += request.body.substr(log.size() - offset);
  }
  return Json(200, nlohmann::json{{"size", log.size()}}.dump());
}

}  // namespace gleaner
