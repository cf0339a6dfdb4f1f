#include "agent/attempt_supervisor.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "agent/agent_connection.h"
#include "agent/attempt_command.h"
#include "common/private_directory.h"
#include "runtime/container_arguments.h"
#include "runtime/process_launcher.h"
#include "runtime/run_as.h"

namespace gleaner {
namespace {

constexpr int64_t kMaxLogChunk = 256 * 1024;  // bytes per log upload
// Uploads per attempt per round, so one chatty attempt cannot hold up reports for long.
constexpr int kMaxChunksPerRound = 16;

std::string Describe(const AttemptKey& key) {
  return key.job_id + " attempt " + std::to_string(key.attempt);
}

int64_t FileSize(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 ? static_cast<int64_t>(info.st_size) : 0;
}

Result<std::string> ReadChunk(const std::string& path, int64_t offset, int64_t length) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Internal("cannot open " + path + ": " + std::strerror(errno));
  std::string bytes(static_cast<size_t>(length), '\0');
  size_t filled = 0;
  while (filled < bytes.size()) {
    ssize_t got = pread(fd, bytes.data() + filled, bytes.size() - filled,
                        static_cast<off_t>(offset) + static_cast<off_t>(filled));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    filled += static_cast<size_t>(got);
  }
  close(fd);
  bytes.resize(filled);
  return bytes;
}

bool IsAlive(const AttemptRecord& record) {
  return record.pid > 0 && IsProcessAlive(record.pid, record.start_ticks);
}

}  // namespace

AttemptSupervisor::AttemptSupervisor(const WorkDirectory& work_directory, Launcher& launcher,
                                     AgentInbox& inbox, AttemptSupervisorOptions options)
    : work_directory_(work_directory),
      launcher_(launcher),
      inbox_(inbox),
      options_(std::move(options)) {
  if (options_.run_containers) {
    // A pull can take minutes: several at a time, and never on the core thread.
    launch_worker_ = std::make_unique<LaunchWorker>(
        launcher_,
        [this](const std::string& id, Result<LaunchedProcess> launched) {
          inbox_.AddLaunched({id, std::move(launched)});
        },
        4);
  }
}

AttemptSupervisor::~AttemptSupervisor() {
  if (launch_worker_) launch_worker_->Stop();
}

void AttemptSupervisor::Recover() {
  std::vector<std::string> problems;
  for (AttemptRecord& record : work_directory_.LoadRecords(problems)) {
    HeldAttempt attempt;
    attempt.record = std::move(record);
    const AttemptKey& key = attempt.record.key;
    std::string exit_file = work_directory_.ExitFilePath(key);
    std::optional<CommandOutcome> ended = ReadAttemptOutcome(exit_file);
    bool alive = !ended && IsAlive(attempt.record);
    if (!ended && !alive) ended = ReadAttemptOutcome(exit_file);  // written as it ended
    std::optional<CommandOutcome> outcome = RecoveredOutcome(ended, alive);
    if (outcome) {
      attempt.outcome = outcome;
      attempt.final_log_size = FileSize(work_directory_.LogPath(attempt.record.log_stream_name));
      spdlog::info("{} ended while the agent was away (exit code {}, signal {}{})", Describe(key),
                   outcome->exit_code, outcome->term_signal,
                   ended ? "" : ", no exit file: counted as killed");
    } else {
      spdlog::info("{} still runs (pid {}): re-attached", Describe(key), attempt.record.pid);
      // Its signals go to its container again (before the first launch, whose sweep of
      // leftover containers spares the adopted ones).
      if (!attempt.record.container_name.empty()) {
        launcher_.Adopt(attempt.record.pid, AdoptionSpec(attempt.record));
      }
    }
    table_.Add(std::move(attempt));
  }
  for (const std::string& problem : problems) {
    spdlog::warn("ignoring an unreadable attempt record: {}", problem);
  }
}

LaunchSpec AttemptSupervisor::AdoptionSpec(const AttemptRecord& record) const {
  LaunchSpec spec;
  spec.log_path = work_directory_.LogPath(record.log_stream_name);
  spec.container = ContainerSpec();
  spec.container->name = record.container_name;
  spec.container->image = record.image;
  return spec;
}

void AttemptSupervisor::Start(const AttemptAssignment& assignment) {
  if (table_.Holds(assignment.key)) return;
  HeldAttempt attempt;
  attempt.record.key = assignment.key;
  attempt.record.log_stream_name = assignment.log_stream_name;
  if (!IsSafeLogStreamName(assignment.log_stream_name)) {
    return HoldLaunchFailure(std::move(attempt), "CannotStartContainerError: log stream name \"" +
                                                     assignment.log_stream_name +
                                                     "\" is not a relative path");
  }
  if (options_.run_containers && assignment.container) {
    return StartContainer(assignment, std::move(attempt));
  }
  if (assignment.argv.empty()) {
    return HoldLaunchFailure(
        std::move(attempt),
        "CannotStartContainerError: the job has no command, and the agent on this instance runs "
        "commands as processes (gleaner agent --runtime process), not images; set "
        "containerProperties.command, or run the agent with --runtime container");
  }
  StartProcess(assignment, std::move(attempt));
}

void AttemptSupervisor::StartProcess(const AttemptAssignment& assignment, HeldAttempt attempt) {
  std::string working_directory = work_directory_.WorkingDirectory(assignment.key);
  std::vector<std::string> environment =
      AttemptEnvironment(options_.inherited_environment, assignment.environment);
  LaunchSpec check;
  check.argv = assignment.argv;
  check.environment = environment;
  check.working_directory = working_directory;
  Status runnable = CheckProgram(check);
  if (!runnable.ok()) return HoldLaunchFailure(std::move(attempt), runnable.message());
  std::vector<std::string> argv = assignment.argv;
  if (!assignment.user.empty()) {  // the shim runs `gleaner run-as USER -- argv`
    Result<JobUser> user = ResolveJobUser(assignment.user);
    if (!user.ok()) return HoldLaunchFailure(std::move(attempt), user.status().message());
    argv = RunAsArgv(options_.shim_executable, assignment.user, argv);
  }

  // Recorded before the launch, so a crash right after it leaves a record (pid 0) rather than
  // an attempt nobody knows of.
  std::string exit_file = work_directory_.ExitFilePath(assignment.key);
  std::error_code ignored;
  std::filesystem::remove(exit_file, ignored);  // a stale one would end the attempt at once
  if (Status saved = work_directory_.SaveRecord(attempt.record, true); !saved.ok()) {
    return HoldLaunchFailure(std::move(attempt), "CannotStartContainerError: " + saved.message());
  }
  if (Status made = CreatePrivateDirectories(working_directory); !made.ok()) {
    work_directory_.ForgetAttempt(assignment.key);
    return HoldLaunchFailure(std::move(attempt), "CannotStartContainerError: " + made.message());
  }
  LaunchSpec spec;
  spec.argv = AttemptShimArgv(options_.shim_executable, exit_file, argv);
  spec.environment = std::move(environment);
  spec.working_directory = working_directory;
  spec.log_path = work_directory_.LogPath(assignment.log_stream_name);
  Result<LaunchedProcess> launched = launcher_.Launch(spec);
  if (!launched.ok()) {
    work_directory_.ForgetAttempt(assignment.key);
    return HoldLaunchFailure(std::move(attempt), launched.status().message());
  }
  attempt.record.pid = launched->pid;
  attempt.record.start_ticks = launched->start_ticks;
  attempt.watched_by_launcher = true;
  if (Status saved = work_directory_.SaveRecord(attempt.record, true); !saved.ok()) {
    spdlog::error("{}: {} (a restarted agent will count it as killed)", Describe(assignment.key),
                  saved.message());
  }
  spdlog::info("started {} (pid {})", Describe(assignment.key), launched->pid);
  table_.Add(std::move(attempt));
}

void AttemptSupervisor::StartContainer(const AttemptAssignment& assignment, HeldAttempt attempt) {
  const AttemptKey& key = assignment.key;
  attempt.record.container_name = ContainerNameFor(key.job_id, key.attempt);  // the agent's own
  attempt.record.image = assignment.container->image;
  std::string exit_file = work_directory_.ExitFilePath(key);
  std::error_code ignored;
  std::filesystem::remove(exit_file, ignored);  // a stale one would end the attempt at once
  if (Status saved = work_directory_.SaveRecord(attempt.record, true); !saved.ok()) {
    return HoldLaunchFailure(std::move(attempt), "CannotStartContainerError: " + saved.message());
  }
  LaunchSpec spec;
  spec.argv = assignment.argv;
  spec.log_path = work_directory_.LogPath(assignment.log_stream_name);
  spec.exit_file = exit_file;  // the launcher runs `<engine> run` under the attempt shim
  spec.container = *assignment.container;
  spec.container->name = attempt.record.container_name;
  spec.on_progress = [this, key](const std::string& reason) { inbox_.AddProgress({key, reason}); };
  attempt.launching = true;
  spdlog::info("starting {} in a container of {}", Describe(key), attempt.record.image);
  table_.Add(std::move(attempt));
  launch_worker_->Submit(AttemptFileName(key), std::move(spec));
}

void AttemptSupervisor::OnLaunched(AttemptLaunched launched) {
  HeldAttempt* attempt = nullptr;
  for (auto& [key, held] : table_.attempts()) {
    if (held.launching && AttemptFileName(key) == launched.id) attempt = &held;
  }
  if (attempt == nullptr) return;
  attempt->launching = false;
  attempt->progress.clear();
  const AttemptKey key = attempt->record.key;
  if (!launched.launched.ok()) {
    work_directory_.ForgetAttempt(key);
    attempt->launch_failure = launched.launched.status().message();
    spdlog::warn("cannot start {}: {}", Describe(key), attempt->launch_failure);
    return;
  }
  attempt->record.pid = launched.launched->pid;
  attempt->record.start_ticks = launched.launched->start_ticks;
  attempt->watched_by_launcher = true;
  if (Status saved = work_directory_.SaveRecord(attempt->record, true); !saved.ok()) {
    spdlog::error("{}: {} (a restarted agent will count it as killed)", Describe(key),
                  saved.message());
  }
  spdlog::info("started {} (pid {})", Describe(key), attempt->record.pid);
  auto early = early_exits_.find(attempt->record.pid);
  if (early != early_exits_.end()) {
    ProcessExit exit = early->second;
    early_exits_.erase(early);
    OnProcessExit(exit);
  }
}

void AttemptSupervisor::OnProgress(const AttemptProgress& progress) {
  HeldAttempt* attempt = table_.Find(progress.key);
  if (attempt != nullptr && attempt->launching) attempt->progress = progress.reason;
}

void AttemptSupervisor::HoldLaunchFailure(HeldAttempt attempt, const std::string& reason) {
  spdlog::warn("cannot start {}: {}", Describe(attempt.record.key), reason);
  attempt.launch_failure = reason;
  table_.Add(std::move(attempt));
}

void AttemptSupervisor::Signal(const AttemptSignal& signal) {
  HeldAttempt* attempt = table_.Find(signal.key);
  if (attempt == nullptr || !attempt->Running()) return;
  // A re-attached process may have ended since the last check and its pid been reused.
  if (!IsAlive(attempt->record)) return;
  spdlog::info("signal {} to {} (process group {})", signal.signal, Describe(signal.key),
               attempt->record.pid);
  launcher_.SignalGroup(attempt->record.pid, signal.signal);
}

bool AttemptSupervisor::OnProcessExit(const ProcessExit& exit) {
  HeldAttempt* attempt = table_.FindRunning(exit.pid);
  if (attempt == nullptr) {
    bool launching = false;
    for (const auto& [key, held] : table_.attempts()) launching |= held.launching;
    if (launching) early_exits_[exit.pid] = exit;  // its launch's result is on its way
    return false;
  }
  // The shim's exit file, when there is one, is the command's outcome; the shim's own status
  // mirrors it anyway (and without a file the shim was killed, by SIGKILL in practice).
  std::optional<CommandOutcome> outcome =
      ReadAttemptOutcome(work_directory_.ExitFilePath(attempt->record.key));
  if (!outcome) {
    outcome = CommandOutcome();
    outcome->exit_code = exit.exit_code;
    outcome->term_signal = exit.term_signal;
  }
  attempt->exit_reason = exit.reason;
  EndAttempt(*attempt, *outcome);
  return true;
}

bool AttemptSupervisor::CheckReattached() {
  bool ended_any = false;
  for (auto& [key, attempt] : table_.attempts()) {
    if (!attempt.Running() || attempt.watched_by_launcher || attempt.concluding) continue;
    std::string exit_file = work_directory_.ExitFilePath(key);
    std::optional<CommandOutcome> ended = ReadAttemptOutcome(exit_file);
    bool alive = !ended && IsAlive(attempt.record);
    if (!ended && !alive) ended = ReadAttemptOutcome(exit_file);
    std::optional<CommandOutcome> outcome = RecoveredOutcome(ended, alive);
    if (!outcome) continue;
    if (!attempt.record.container_name.empty()) {
      // Why its container ended (and its removal) is the launcher's to tell: the exit comes
      // back through the inbox, as a launched attempt's does.
      attempt.concluding = true;
      ProcessExit exit{.pid = attempt.record.pid,
                       .exit_code = outcome->exit_code,
                       .term_signal = outcome->term_signal,
                       .reason = ""};
      launcher_.ConcludeAdopted(
          exit, [this](const ProcessExit& concluded) { inbox_.AddExit(concluded); });
      continue;
    }
    EndAttempt(attempt, *outcome);
    ended_any = true;
  }
  return ended_any;
}

void AttemptSupervisor::EndAttempt(HeldAttempt& attempt, CommandOutcome outcome) {
  spdlog::info("{} ended: exit code {}, signal {}", Describe(attempt.record.key), outcome.exit_code,
               outcome.term_signal);
  int64_t log_size = FileSize(work_directory_.LogPath(attempt.record.log_stream_name));
  (void)table_.End(attempt.record.key, std::move(outcome), log_size);
}

Status AttemptSupervisor::ShipLogs(AgentConnection& connection, const std::string& instance_id) {
  for (auto& [key, attempt] : table_.attempts()) {
    if (!attempt.launch_failure.empty() || attempt.log_rejected) continue;
    AttemptRecord& record = attempt.record;
    std::string path = work_directory_.LogPath(record.log_stream_name);
    int64_t size = FileSize(path);
    int64_t shipped_before = record.log_offset;
    Status failure;
    for (int chunk = 0; chunk < kMaxChunksPerRound && record.log_offset < size; ++chunk) {
      Result<std::string> bytes =
          ReadChunk(path, record.log_offset, std::min(kMaxLogChunk, size - record.log_offset));
      if (!bytes.ok() || bytes->empty()) break;  // truncated or gone: nothing more to send
      Result<int64_t> held =
          connection.ShipLog(instance_id, record.log_stream_name, record.log_offset, *bytes);
      if (held.ok()) {
        record.log_offset = *held;
      } else if (held.status().code() == StatusCode::kInvalidArgument) {
        spdlog::warn("the server refuses the log of {}: {}; not sending it any more", Describe(key),
                     held.status().message());
        attempt.log_rejected = true;
        break;
      } else {
        failure = held.status();
        break;
      }
    }
    if (record.log_offset != shipped_before) (void)work_directory_.SaveRecord(record, false);
    if (!failure.ok()) return failure;
  }
  return Status::Ok();
}

AgentReport AttemptSupervisor::BuildReport(const std::string& instance_id) const {
  return table_.BuildReport(instance_id);
}

bool AttemptSupervisor::ReportChanged() const { return table_.ReportedStates() != last_reported_; }

void AttemptSupervisor::OnReportAnswered(const AgentReport& report, const AgentReportReply& reply) {
  last_reported_.clear();
  for (const AttemptReport& attempt : report.attempts) {
    last_reported_.emplace_back(attempt.key, attempt.state);
  }
  for (const AttemptKey& key : table_.Acknowledge(reply.acknowledged)) {
    work_directory_.ForgetAttempt(key);
    std::erase_if(last_reported_, [&key](const auto& reported) { return reported.first == key; });
    spdlog::info("{} acknowledged by the server: forgotten", Describe(key));
  }
  for (const AttemptSignal& signal : reply.signals) Signal(signal);
}

}  // namespace gleaner
