#include "agent/agent_daemon.h"
#include "common/steady_time.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "agent/agent_connection.h"
#include "agent/agent_inbox.h"
#include "agent/attempt_supervisor.h"
#include "agent/work_directory.h"

// Threads: the core thread (Run) owns the attempts: it registers, starts attempts, ships logs and
// reports. The poll thread only long-polls, on a connection of its own, and hands what it gets to
// the core through the inbox; the launcher's reaper hands exits the same way. So the attempts'
// state has one owner and needs no lock.

namespace gleaner {
namespace {

using namespace std::chrono_literals;

constexpr auto kRetryInterval = 1s;     // after a failed request
constexpr auto kShipInterval = 1s;      // logs of running attempts
constexpr auto kLivenessInterval = 1s;  // re-attached attempts: still alive?

// A run of failures is logged once, and so is the recovery.
class OutageLog {
 public:
  explicit OutageLog(std::string what) : what_(std::move(what)) {}
  void Failed(const Status& status) {
    if (!down_) spdlog::warn("{} failed: {}; retrying every second", what_, status.message());
    down_ = true;
  }
  void Succeeded() {
    if (down_) spdlog::info("{} works again", what_);
    down_ = false;
  }

 private:
  const std::string what_;
  bool down_ = false;
};

}  // namespace

class AgentDaemon::Core {
 public:
  explicit Core(AgentOptions options)
      : options_(std::move(options)),
        connection_(options_.server, options_.token, options_.ca_file),
        poll_connection_(options_.server, options_.token, options_.ca_file),
        work_directory_(options_.work_directory),
        launcher_(MakeLauncher()),
        supervisor_(work_directory_, *launcher_, inbox_,
                    {.shim_executable = options_.shim_executable,
                     .inherited_environment = options_.inherited_environment,
                     .run_containers = options_.container_engine.has_value()}) {}

  Status Run(const std::function<void(const AgentRegistered&)>& on_joined);

  void Stop() {
    inbox_.Stop();
    connection_.Interrupt();
    poll_connection_.Interrupt();
  }

 private:
  std::unique_ptr<Launcher> MakeLauncher();
  Status Register();
  Status ServeAttempts();
  void SendReport();
  void NoteFailure(const Status& failure);
  void PollLoop();

  const AgentOptions options_;
  AgentInbox inbox_;
  AgentConnection connection_;       // the core thread's: register, report, logs
  AgentConnection poll_connection_;  // the poll thread's
  WorkDirectory work_directory_;
  std::unique_ptr<Launcher> launcher_;  // after inbox_: its reaper is joined before inbox_ goes
  AttemptSupervisor supervisor_;

  // The core thread's.
  AgentRegistered registered_;
  uint64_t generation_ = 0;
  bool register_again_ = false;
  bool report_failed_ = false;
  SteadyTime next_report_;
  SteadyTime next_ship_;
  SteadyTime next_liveness_check_;
  OutageLog outage_{"reaching the server at " + options_.server};
};

std::unique_ptr<Launcher> AgentDaemon::Core::MakeLauncher() {
  auto on_exit = [this](const ProcessExit& exit) { inbox_.AddExit(exit); };
  if (!options_.container_engine) return MakeProcessLauncher(on_exit);
  ContainerLauncherOptions container;
  container.engine = *options_.container_engine;
  container.pull_policy = options_.image_pull_policy;
  container.scratch_directory = work_directory_.ContainersDirectory();
  container.processes.attempt_shim_executable = options_.shim_executable;
  return MakeContainerLauncher(on_exit, std::move(container));
}

Status AgentDaemon::Core::Run(const std::function<void(const AgentRegistered&)>& on_joined) {
  GLEANER_RETURN_IF_ERROR(work_directory_.Create());
  supervisor_.Recover();
  registered_.instance_id = work_directory_.LoadInstanceId();
  registered_.agent_credential = work_directory_.LoadAgentCredential();
  GLEANER_RETURN_IF_ERROR(Register());
  if (inbox_.stopping()) return Status::Ok();
  on_joined(registered_);
  std::thread poller([this] { PollLoop(); });
  Status result = ServeAttempts();
  inbox_.Stop();
  poll_connection_.Interrupt();
  poller.join();
  return result;
}

Status AgentDaemon::Core::Register() {
  AgentRegistration registration{.cluster = options_.cluster,
                                 .instance_id = registered_.instance_id,
                                 .hostname = options_.hostname,
                                 .private_ipv4_address = options_.private_ipv4_address,
                                 .resources = options_.resources,
                                 .attempts = supervisor_.HeldAttempts()};
  OutageLog outage("registering with the server at " + options_.server);
  connection_.SetCredential(registered_.agent_credential);
  while (!inbox_.stopping()) {
    Result<AgentRegistered> registered = connection_.Register(registration);
    if (registered.ok()) {
      outage.Succeeded();
      if (registered->instance_id != registration.instance_id ||
          registered->agent_credential != registered_.agent_credential) {
        Status saved = work_directory_.SaveInstanceId(registered->instance_id, options_.cluster,
                                                      registered->agent_credential);
        if (!saved.ok()) spdlog::error("{}", saved.message());
      }
      registered_ = std::move(*registered);
      connection_.SetCredential(registered_.agent_credential);
      // Guard against a busy loop (or a stall) on answers out of range.
      registered_.poll_wait_millis = std::clamp<int64_t>(registered_.poll_wait_millis, 100, 30'000);
      registered_.report_interval_millis =
          std::clamp<int64_t>(registered_.report_interval_millis, 100, 60'000);
      inbox_.SetSession({.instance_id = registered_.instance_id,
                         .credential = registered_.agent_credential,
                         .poll_wait_millis = registered_.poll_wait_millis,
                         .generation = ++generation_});
      spdlog::info("registered as {} in {} with {} attempts held", registered_.instance_id,
                   registered_.compute_environment_arn, registration.attempts.size());
      return Status::Ok();
    }
    if (registered.status().code() == StatusCode::kPermissionDenied) {
      // The id is not provably ours (the server's data directory is new, or the work directory
      // was copied from another agent): join as a new instance. Attempts held under the old id
      // are reported under the new one, and the server stops those it does not know.
      spdlog::warn("the server refused this agent's instance id {}: {}; joining as a new instance",
                   registration.instance_id, registered.status().message());
      registration.instance_id.clear();
      registered_.agent_credential.clear();
      connection_.SetCredential("");
      continue;
    }
    if (registered.status().code() == StatusCode::kInvalidArgument) {
      return Status::InvalidArgument("the server refused the registration: " +
                                     registered.status().message());
    }
    outage.Failed(registered.status());
    inbox_.SleepUntil(SteadyNow() + kRetryInterval);
  }
  return Status::Ok();
}

Status AgentDaemon::Core::ServeAttempts() {
  next_report_ = next_ship_ = next_liveness_check_ = SteadyNow();
  while (true) {
    SteadyTime deadline =
        register_again_ ? SteadyNow() : std::min({next_report_, next_ship_, next_liveness_check_});
    AgentInbox::Batch batch = inbox_.Take(deadline);
    if (batch.stopping) return Status::Ok();
    SteadyTime now = SteadyNow();
    // Assignments first: a signal may be for an attempt assigned in the same answer.
    for (const AttemptAssignment& assignment : batch.assignments) supervisor_.Start(assignment);
    for (AttemptLaunched& launched : batch.launches) supervisor_.OnLaunched(std::move(launched));
    for (const AttemptProgress& progress : batch.progress) supervisor_.OnProgress(progress);
    for (const AttemptSignal& signal : batch.signals) supervisor_.Signal(signal);
    for (const ProcessExit& exit : batch.exits) {
      if (supervisor_.OnProcessExit(exit)) next_ship_ = now;  // its last output, then EXITED
    }
    // Unless the core registered again meanwhile (a report was refused too).
    register_again_ |= batch.refused_generation >= generation_;
    if (now >= next_liveness_check_) {
      if (supervisor_.CheckReattached()) next_ship_ = now;
      next_liveness_check_ = now + kLivenessInterval;
    }
    if (register_again_) {
      spdlog::info("the server does not know this agent (any more): registering again");
      GLEANER_RETURN_IF_ERROR(Register());
      register_again_ = false;
      next_report_ = now;  // tell the new server everything at once
    }
    if (SteadyNow() >= next_ship_) {
      NoteFailure(supervisor_.ShipLogs(connection_, registered_.instance_id));
      next_ship_ = SteadyNow() + kShipInterval;
    }
    if (supervisor_.ReportChanged() && !report_failed_) next_report_ = now;
    if (!register_again_ && SteadyNow() >= next_report_) SendReport();
  }
}

void AgentDaemon::Core::SendReport() {
  AgentReport report = supervisor_.BuildReport(registered_.instance_id);
  Result<AgentReportReply> reply = connection_.Report(report);
  if (!reply.ok()) {
    NoteFailure(reply.status());
    report_failed_ = true;
    next_report_ = SteadyNow() + kRetryInterval;
    return;
  }
  outage_.Succeeded();
  report_failed_ = false;
  supervisor_.OnReportAnswered(report, *reply);
  next_report_ = SteadyNow() + std::chrono::milliseconds(registered_.report_interval_millis);
}

void AgentDaemon::Core::NoteFailure(const Status& failure) {
  switch (failure.code()) {
    case StatusCode::kOk:
      return;
    case StatusCode::kNotFound:
    case StatusCode::kPermissionDenied:  // the server no longer takes our credential
      register_again_ = true;
      return;
    case StatusCode::kInternal:
      if (!inbox_.stopping()) outage_.Failed(failure);
      return;
    default:
      spdlog::error("the server refused a request: {}", failure.message());
      return;
  }
}

void AgentDaemon::Core::PollLoop() {
  uint64_t stale_generation = 0;  // registrations up to this one the server no longer knows
  OutageLog outage("polling the server at " + options_.server);
  while (true) {
    std::optional<AgentSession> session = inbox_.WaitForSessionAfter(stale_generation);
    if (!session) return;
    poll_connection_.SetCredential(session->credential);
    Result<AgentWork> work = poll_connection_.Poll(
        {.instance_id = session->instance_id, .wait_millis = session->poll_wait_millis});
    if (inbox_.stopping()) return;
    if (work.ok()) {
      outage.Succeeded();
      if (!work->assignments.empty() || !work->signals.empty()) inbox_.AddWork(std::move(*work));
      continue;
    }
    if (work.status().code() == StatusCode::kNotFound ||
        work.status().code() == StatusCode::kPermissionDenied) {
      stale_generation = session->generation;
      inbox_.RequestRegistration(session->generation);
      continue;
    }
    if (work.status().code() == StatusCode::kInternal) {
      outage.Failed(work.status());
    } else {
      spdlog::error("the server refused a poll: {}", work.status().message());
    }
    if (!inbox_.SleepUntil(SteadyNow() + kRetryInterval)) return;
  }
}

AgentDaemon::AgentDaemon(AgentOptions options)
    : core_(std::make_unique<Core>(std::move(options))) {}
AgentDaemon::~AgentDaemon() = default;

Status AgentDaemon::Run(const std::function<void(const AgentRegistered&)>& on_joined) {
  return core_->Run(on_joined);
}

void AgentDaemon::Stop() { core_->Stop(); }

}  // namespace gleaner
