#include "server_sim/sim_agent.h"

#include <algorithm>
#include <csignal>

#include "server/agent_hub.h"

namespace gleaner::sim {
namespace {

constexpr int64_t kRetryMillis = 1'000;  // after a failed request, as the daemon
// The agents' simulated pids: above the launcher's, 100,000 per agent.
constexpr int64_t kFirstPid = 6'000'000;
constexpr int64_t kPidsPerAgent = 100'000;

// What a report says of each attempt: a report is due at once when this changes.
std::string StatesOf(const AgentReport& report) {
  std::string states;
  for (const AttemptReport& attempt : report.attempts) {
    states += attempt.key.job_id + "#" + std::to_string(attempt.key.attempt) + "=" +
              std::string(ToString(attempt.state)) + ";";
  }
  return states;
}

}  // namespace

SimAgent::SimAgent(int index, std::string cluster, Resources resources, const Clock& clock,
                   SimRandom& random, const Trace& trace)
    : name_("agent-" + std::to_string(index)),
      cluster_(std::move(cluster)),
      resources_(resources),
      clock_(clock),
      random_(random),
      trace_(trace),
      processes_(clock, random, trace, kFirstPid + index * kPidsPerAgent) {}

void SimAgent::Connect(AgentHub* hub) {
  hub_ = hub;
  ResetConnections();
}

void SimAgent::ResetConnections() {
  ++connection_;
  answers_.clear();
  register_in_flight_ = poll_in_flight_ = report_in_flight_ = false;
}

void SimAgent::Restart() {
  if (gone_) return;
  trace_.Line(name_ + " (" + instance_id_ + ") restarts");
  ResetConnections();
  registered_ = false;
  last_reported_.clear();
  retry_at_ = clock_.NowMillis() + random_.Between(0, 5'000);
}

void SimAgent::Partition(int64_t millis) {
  if (gone_) return;
  trace_.Line(name_ + " (" + instance_id_ + ") is cut off for " + std::to_string(millis) + " ms");
  ResetConnections();
  partitioned_until_ = clock_.NowMillis() + millis;
  last_partition_at_ = clock_.NowMillis();
}

void SimAgent::LoseMachine() {
  if (gone_) return;
  trace_.Line(name_ + " (" + instance_id_ + ") loses its machine");
  ResetConnections();
  processes_.LoseAll();
  held_.clear();
  gone_ = true;
}

std::optional<EpochMillis> SimAgent::NextBusyAt() const {
  if (gone_) return std::nullopt;
  EpochMillis now = clock_.NowMillis();
  if (!answers_.empty()) return now;
  std::optional<EpochMillis> next = processes_.NextExit();
  auto consider = [&next](EpochMillis at) {
    if (!next || at < *next) next = at;
  };
  bool idle = registered_ && held_.empty() && !report_in_flight_ && !register_in_flight_;
  if (idle) return next;
  if (partitioned()) {
    consider(partitioned_until_);
  } else if (!registered_) {
    if (!register_in_flight_ && hub_ != nullptr) consider(std::max(now, retry_at_));
  } else if (!report_in_flight_) {
    consider(std::max(next_report_at_, retry_at_));
  }
  return next;
}

void SimAgent::Step() {
  if (gone_) return;
  TakeExits();
  while (!answers_.empty()) {
    Answer answer = std::move(answers_.front());
    answers_.pop_front();
    if (answer.connection == connection_) Take(answer);
  }
  if (hub_ == nullptr || partitioned() || gone_) return;
  EpochMillis now = clock_.NowMillis();
  if (!registered_) {
    if (register_in_flight_ || now < retry_at_) return;
    AgentRegistration registration{.cluster = cluster_,
                                   .instance_id = instance_id_,
                                   .hostname = name_,
                                   .private_ipv4_address = "",
                                   .resources = resources_,
                                   .attempts = {}};
    for (const auto& [key, held] : held_) registration.attempts.push_back(key);
    register_in_flight_ = true;
    Send(Kind::kRegister, kAgentRegisterPath, EncodeAgentRegistration(registration));
    return;
  }
  if (!poll_in_flight_) {
    poll_in_flight_ = true;
    Send(Kind::kPoll, kAgentPollPath,
         EncodeAgentPoll({.instance_id = instance_id_, .wait_millis = poll_wait_millis_}));
  }
  if (!registered_ || report_in_flight_ || now < retry_at_) return;
  AgentReport report = BuildReport();
  if (now < next_report_at_ && StatesOf(report) == last_reported_) return;
  report_in_flight_ = true;
  std::string body = EncodeAgentReport(report);
  Send(Kind::kReport, kAgentReportPath, std::move(body), std::move(report));
}

void SimAgent::Send(Kind kind, std::string_view path, std::string body, AgentReport report) {
  HttpRequest request;
  request.method = "POST";
  request.path = std::string(path);
  request.body = std::move(body);
  if (!credential_.empty()) request.headers["x-gleaner-agent-credential"] = credential_;
  uint64_t connection = connection_;
  uint64_t registration = registration_;
  auto respond = [this, kind, connection, registration,
                  report = std::move(report)](HttpResponse response) {
    answers_.push_back({kind, connection, registration, std::move(response), report});
  };
  hub_->Handle(std::move(request), std::move(respond));
}

void SimAgent::Take(const Answer& answer) {
  switch (answer.kind) {
    case Kind::kRegister:
      register_in_flight_ = false;
      return OnRegistered(answer.response);
    case Kind::kPoll:
      poll_in_flight_ = false;
      if (answer.registration != registration_) return;  // sent before it registered again
      return OnWork(answer.response);
    case Kind::kReport:
      report_in_flight_ = false;
      if (answer.registration != registration_) return;
      return OnReportReply(answer.response, answer.report);
  }
}

void SimAgent::OnRegistered(const HttpResponse& response) {
  if (response.status == 403) {
    // The id is not provably ours: join as a new instance, reporting what we hold under it.
    trace_.Line(name_ + ": instance id " + instance_id_ + " refused; joining as a new instance");
    instance_id_.clear();
    credential_.clear();
    return;
  }
  if (response.status != 200) {
    if (response.status == 400) {
      // The cluster is gone (its compute environment was deleted): the daemon exits, and the
      // operator takes the machine away.
      trace_.Line(name_ + ": registration refused: " + response.body);
      return LoseMachine();
    }
    retry_at_ = clock_.NowMillis() + kRetryMillis;
    return;
  }
  Result<AgentRegistered> registered = DecodeAgentRegistered(response.body);
  if (!registered.ok()) {
    retry_at_ = clock_.NowMillis() + kRetryMillis;
    return;
  }
  instance_id_ = registered->instance_id;
  credential_ = registered->agent_credential;
  poll_wait_millis_ = std::clamp<int64_t>(registered->poll_wait_millis, 100, 30'000);
  report_interval_millis_ = std::clamp<int64_t>(registered->report_interval_millis, 100, 60'000);
  registered_ = true;
  ++registration_;
  next_report_at_ = clock_.NowMillis();  // tell the server everything at once
  last_reported_.clear();
  trace_.Line(name_ + " registered as " + instance_id_ + " holding " +
              std::to_string(held_.size()) + " attempt(s)");
}

void SimAgent::OnWork(const HttpResponse& response) {
  if (response.status != 200) return OnFailure(response);
  Result<AgentWork> work = DecodeAgentWork(response.body);
  if (!work.ok()) return;
  // Assignments first: a signal may be for an attempt assigned in the same answer.
  for (const AttemptAssignment& assignment : work->assignments) StartAttempt(assignment);
  for (const AttemptSignal& signal : work->signals) Deliver(signal);
}

void SimAgent::OnReportReply(const HttpResponse& response, const AgentReport& report) {
  if (response.status != 200) return OnFailure(response);
  Result<AgentReportReply> reply = DecodeAgentReportReply(response.body);
  if (!reply.ok()) return;
  ++reports_answered_;
  for (const AttemptKey& key : reply->acknowledged) {
    auto held = held_.find(key);
    if (held != held_.end() && held->second.state != AttemptState::kRunning) held_.erase(held);
  }
  for (const AttemptSignal& signal : reply->signals) Deliver(signal);
  last_reported_ = StatesOf(report);
  next_report_at_ = clock_.NowMillis() + report_interval_millis_;
}

void SimAgent::OnFailure(const HttpResponse& response) {
  if (response.status == 404 || response.status == 403) {
    registered_ = false;
    retry_at_ = 0;
    return;
  }
  retry_at_ = clock_.NowMillis() + kRetryMillis;
}

void SimAgent::StartAttempt(const AttemptAssignment& assignment) {
  if (held_.count(assignment.key) != 0) return;  // sent again: already started
  if (on_launch_) on_launch_(*this, assignment.key);
  SimProcesses::Started started = processes_.Start(assignment.key.job_id, assignment.key.attempt);
  Held held;
  if (started.pid == 0) {
    held.state = AttemptState::kLaunchFailed;
    held.reason = started.failure;
  } else {
    held.pid = started.pid;
  }
  held_[assignment.key] = held;
}

void SimAgent::Deliver(const AttemptSignal& signal) {
  auto held = held_.find(signal.key);
  if (held == held_.end() || held->second.state != AttemptState::kRunning) {
    trace_.Line(name_ + ": signal " + std::to_string(signal.signal) + " for " + signal.key.job_id +
                " attempt " + std::to_string(signal.key.attempt) + ", which it does not run");
    return;
  }
  processes_.Signal(held->second.pid, signal.signal);
}

void SimAgent::TakeExits() {
  while (std::optional<SimProcesses::Exit> exit = processes_.TakeDueExit()) {
    for (auto& [key, held] : held_) {
      if (held.state != AttemptState::kRunning || held.pid != exit->pid) continue;
      held.state = AttemptState::kExited;
      held.exit_code = exit->exit_code;
      held.signal = exit->term_signal;
    }
  }
}

AgentReport SimAgent::BuildReport() const {
  AgentReport report;
  report.instance_id = instance_id_;
  for (const auto& [key, held] : held_) {
    AttemptReport attempt;
    attempt.key = key;
    attempt.state = held.state;
    attempt.pid = held.pid;
    attempt.start_ticks = held.pid == 0 ? 0 : 1;
    attempt.exit_code = held.exit_code;
    attempt.signal = held.signal;
    attempt.reason = held.reason;
    report.attempts.push_back(std::move(attempt));
  }
  return report;
}

}  // namespace gleaner::sim
