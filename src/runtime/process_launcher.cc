#include "runtime/process_launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "common/contain.h"
#include "common/mutex.h"
#include "common/private_directory.h"
#include "runtime/attempt_shim.h"
#include "runtime/run_as.h"
#include "runtime/spawn_attributes.h"

// How the reaper works, and why this way:
// - It must reap only processes this launcher started (other code may have children of its own),
//   so it never calls waitpid(-1) or waitid(P_ALL). Every launched pid gets a pidfd registered with
//   an epoll set; a pidfd turns readable when its process exits, and the reaper then calls
//   waitpid(pid, WNOHANG) for exactly that pid. An eventfd in the same epoll set wakes the reaper
//   for shutdown and for processes it has to poll.
// - A pid cannot be reused before we reap it, so waitpid(pid) always names our process.
// - Without a pidfd (old kernel, descriptor limit) a process is polled with waitpid(pid, WNOHANG)
//   every sweep_interval: slower to notice exits, but correct and only ever touching our pids.
// - If something else in the program reaps our child anyway (a stray waitpid(-1), or SIGCHLD set
//   to SIG_IGN), its status is lost; the exit is still reported, with exit_code -1, so the attempt
//   ends.
// - A process is handed to the reaper only at the end of Launch, so on_exit for it never runs
//   before Launch has read its start time; a caller holding its own lock across Launch (and
//   taking it in on_exit) sees the pid before its exit.

namespace gleaner {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kWakeTag = 0;     // epoll tag of the eventfd; process tags are pids, all > 0
constexpr int kExitStatusLost = -1;  // exit_code when someone else reaped our child
constexpr std::string_view kReason = "CannotStartContainerError: ";

std::string ErrorText(int error) { return std::system_category().message(error); }

std::string OwnExecutable() {
  std::error_code error;
  return fs::read_symlink("/proc/self/exe", error).string();
}

// gleaner-attempt-shim next to this executable (small: it starts in a fraction of the time the
// whole gleaner binary takes), else this executable's own `attempt-shim`.
std::string DefaultAttemptShimExecutable() {
  std::string own = OwnExecutable();
  fs::path sibling = fs::path(own).parent_path() / "gleaner-attempt-shim";
  if (access(sibling.c_str(), X_OK) == 0) return sibling.string();
  return own;
}

// A launcher that cannot work at all (no epoll, no thread) is an invariant violation: crash loudly.
[[noreturn]] void Fatal(const std::string& what) {
  std::fprintf(stderr, "gleaner: process launcher: %s\n", what.c_str());
  std::abort();
}

std::string Quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

int OpenPidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));  // always O_CLOEXEC
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

ProcessExit DecodeWaitStatus(pid_t pid, int status) {
  ProcessExit exit;
  exit.pid = pid;
  if (WIFSIGNALED(status)) {
    exit.term_signal = WTERMSIG(status);
    exit.exit_code = 128 + exit.term_signal;
  } else {
    exit.exit_code = WEXITSTATUS(status);
  }
  return exit;
}

// What the child does between fork and exec: stdin from /dev/null, stdout and stderr appended to
// the log, no other inherited descriptors, then the working directory. The log is opened before
// the chdir, so a relative log_path means the same file here and in the parent's checks.
class FileActions {
 public:
  FileActions() { posix_spawn_file_actions_init(&actions_); }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;

  // Returns 0 or an errno value (only ENOMEM in practice).
  int Build(const LaunchSpec& spec) {
    const char* log = spec.log_path.empty() ? "/dev/null" : spec.log_path.c_str();
    int error = posix_spawn_file_actions_addopen(&actions_, 0, "/dev/null", O_RDONLY, 0);
    if (error == 0) {
      error =
          posix_spawn_file_actions_addopen(&actions_, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    }
    if (error == 0) error = posix_spawn_file_actions_adddup2(&actions_, 1, 2);
    // Descriptors the program forgot to mark O_CLOEXEC (sockets, files) must not leak into jobs.
    if (error == 0) error = posix_spawn_file_actions_addclosefrom_np(&actions_, 3);
    if (error == 0 && !spec.working_directory.empty()) {
      error = posix_spawn_file_actions_addchdir_np(&actions_, spec.working_directory.c_str());
    }
    return error;
  }

  const posix_spawn_file_actions_t* get() const { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

// The program to exec: a path for posix_spawn, or a name posix_spawnp looks up on our own PATH.
struct Program {
  std::string path;
  bool search_launcher_path = false;
};

std::optional<std::string_view> FindVariable(const std::vector<std::string>& environment,
                                             std::string_view name) {
  for (const std::string& entry : environment) {  // the first definition wins, as in getenv
    std::string_view variable = entry;
    if (variable.size() > name.size() && variable.starts_with(name) &&
        variable[name.size()] == '=') {
      return variable.substr(name.size() + 1);
    }
  }
  return std::nullopt;
}

std::string NotFoundMessage(const std::string& command) {
  return std::string(kReason) + "command " + Quoted(command) + " not found";
}

std::string PermissionDeniedMessage(const std::string& command) {
  return std::string(kReason) + "command " + Quoted(command) +
         " is not executable (permission denied)";
}

bool IsRegularFile(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

// Looks `command` up on the job's own PATH, the way execvp would after the child's chdir: the
// job's environment, not the launcher's, decides which programs it can name.
Result<Program> SearchJobPath(const LaunchSpec& spec, const std::string_view job_path) {
  const std::string& command = spec.argv.front();
  bool denied = false;
  std::string_view path = job_path;
  while (true) {
    size_t colon = path.find(':');
    std::string_view directory = path.substr(0, colon);
    std::string candidate = (directory.empty() ? "." : std::string(directory)) + "/" + command;
    std::string checked = candidate.front() != '/' && !spec.working_directory.empty()
                              ? spec.working_directory + "/" + candidate
                              : candidate;
    if (IsRegularFile(checked)) {
      if (access(checked.c_str(), X_OK) == 0) return Program{.path = candidate};
      denied = true;
    }
    if (colon == std::string_view::npos) break;
    path.remove_prefix(colon + 1);
  }
  if (denied) return Status::InvalidArgument(PermissionDeniedMessage(command));
  return Status::InvalidArgument(NotFoundMessage(command) + " in PATH " + Quoted(job_path));
}

Result<Program> ResolveProgram(const LaunchSpec& spec) {
  const std::string& command = spec.argv.front();
  if (command.find('/') != std::string::npos) return Program{.path = command};
  std::optional<std::string_view> path = FindVariable(spec.environment, "PATH");
  if (!path.has_value()) return Program{.path = command, .search_launcher_path = true};
  return SearchJobPath(spec, *path);
}

Status CreateLogDirectory(const std::string& log_path) {
  if (log_path.empty()) return Status::Ok();
  fs::path parent = fs::path(log_path).parent_path();
  if (parent.empty()) return Status::Ok();
  Status created = CreatePrivateDirectories(parent.string());
  if (!created.ok()) {
    return Status::Internal(std::string(kReason) + "cannot create log directory " +
                            created.message());
  }
  return Status::Ok();
}

// Returns 0 or the errno of opening the log as the child would.
int TryOpenLog(const std::string& log_path) {
  if (log_path.empty()) return 0;
  int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return errno;
  close(fd);
  return 0;
}

bool IsUsableDirectory(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode) && access(path.c_str(), X_OK) == 0;
}

// posix_spawn reports a failed open, chdir or exec in the child with one errno; work out which
// step it was (only on this slow path) so the job's status reason says what to fix.
Status DescribeSpawnFailure(const LaunchSpec& spec, int error) {
  if (int log_error = TryOpenLog(spec.log_path); log_error != 0) {
    return Status::Internal(std::string(kReason) + "cannot open log file " + Quoted(spec.log_path) +
                            ": " + ErrorText(log_error));
  }
  const std::string& command = spec.argv.front();
  switch (error) {
    case ENOENT:
    case ENOTDIR:
    case EACCES:
      if (!spec.working_directory.empty() && !IsUsableDirectory(spec.working_directory)) {
        return Status::InvalidArgument(std::string(kReason) + "working directory " +
                                       Quoted(spec.working_directory) +
                                       " does not exist or is not accessible");
      }
      return Status::InvalidArgument(error == EACCES ? PermissionDeniedMessage(command)
                                                     : NotFoundMessage(command));
    case ENOEXEC:
      return Status::InvalidArgument(std::string(kReason) + "command " + Quoted(command) +
                                     " is not a program this host can run (exec format error; "
                                     "a script needs a #! line)");
    case E2BIG:
      return Status::InvalidArgument(std::string(kReason) +
                                     "the command and environment are too long");
    default:
      return Status::Internal(std::string(kReason) + "cannot start command " + Quoted(command) +
                              ": " + ErrorText(error));
  }
}

// NULL-terminated views of `strings` for exec; valid while `strings` is.
std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (const std::string& text : strings) pointers.push_back(const_cast<char*>(text.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

// Returns 0 or the errno of the failed step. glibc's posix_spawn runs the child on a vfork-like
// clone and reports a failed exec (and failed file actions) as its return value, having already
// reaped that child, so a failure leaves nothing behind to report.
int Spawn(const Program& program, const LaunchSpec& spec, const CleanSpawnAttributes& attributes,
          const FileActions& actions, pid_t* pid) {
  std::vector<char*> argv = CStrings(spec.argv);
  std::vector<char*> envp = CStrings(spec.environment);
  auto* spawn = program.search_launcher_path ? &posix_spawnp : &posix_spawn;
  return spawn(pid, program.path.c_str(), actions.get(), attributes.get(), argv.data(),
               envp.data());
}

class ProcessLauncher final : public Launcher {
 public:
  ProcessLauncher(std::function<void(const ProcessExit&)> on_exit,
                  const ProcessLauncherOptions& options);
  ~ProcessLauncher() override;
  ProcessLauncher(const ProcessLauncher&) = delete;
  ProcessLauncher& operator=(const ProcessLauncher&) = delete;

  Result<LaunchedProcess> Launch(const LaunchSpec& spec) override;
  void SignalGroup(pid_t pgid, int signal) override;

 private:
  void Watch(pid_t pid);
  void Wake();
  void DrainWakeups();
  int SweepTimeoutMillis();
  void ReaperLoop();
  // Both require mutex_.
  void ReapIfExited(pid_t pid, std::vector<ProcessExit>& exits) GLEANER_REQUIRES(mutex_);
  void SweepUnwatched(std::vector<ProcessExit>& exits) GLEANER_REQUIRES(mutex_);

  const std::function<void(const ProcessExit&)> on_exit_;
  const ProcessLauncherOptions options_;
  const std::string run_as_executable_;
  const std::string attempt_shim_executable_;
  // Each attempt leads a process group of its own.
  const CleanSpawnAttributes attributes_{/*new_process_group=*/true};
  const int epoll_fd_;
  const int wake_fd_;

  Mutex mutex_;
  // launched, not yet reaped: pid → pidfd, or -1 when polled
  std::map<pid_t, int> children_ GLEANER_GUARDED_BY(mutex_);
  std::set<pid_t> unwatched_ GLEANER_GUARDED_BY(mutex_);  // the children without a pidfd
  bool stopping_ GLEANER_GUARDED_BY(mutex_) = false;

  std::thread reaper_;  // last: starts once everything above exists
};

ProcessLauncher::ProcessLauncher(std::function<void(const ProcessExit&)> on_exit,
                                 const ProcessLauncherOptions& options)
    : on_exit_(std::move(on_exit)),
      options_(options),
      run_as_executable_(options.run_as_executable.empty() ? OwnExecutable()
                                                           : options.run_as_executable),
      attempt_shim_executable_(options.attempt_shim_executable.empty()
                                   ? DefaultAttemptShimExecutable()
                                   : options.attempt_shim_executable),
      epoll_fd_(epoll_create1(EPOLL_CLOEXEC)),
      wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!attributes_.ok()) Fatal("cannot set spawn attributes");
  if (epoll_fd_ < 0 || wake_fd_ < 0) Fatal("cannot create epoll/eventfd: " + ErrorText(errno));
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = kWakeTag;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event) != 0) {
    Fatal("cannot watch eventfd: " + ErrorText(errno));
  }
  reaper_ = std::thread([this] { ReaperLoop(); });
}

// Running children are left running (an agent restart re-attaches to them by pid + start time);
// those that exit afterwards stay unreaped until this program ends.
ProcessLauncher::~ProcessLauncher() {
  if (std::this_thread::get_id() == reaper_.get_id()) {
    Fatal("destroyed from its own on_exit callback");
  }
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  Wake();
  reaper_.join();
  {
    MutexLock lock(mutex_);  // uncontended: the reaper is joined and no Launch may run now
    for (const auto& [pid, pidfd] : children_) {
      if (pidfd >= 0) close(pidfd);
    }
  }
  close(wake_fd_);
  close(epoll_fd_);
}

Result<LaunchedProcess> ProcessLauncher::Launch(const LaunchSpec& spec) {
  if (spec.argv.empty() || spec.argv.front().empty()) {
    return Status::InvalidArgument(std::string(kReason) + "the command is empty");
  }
  GLEANER_RETURN_IF_ERROR(CreateLogDirectory(spec.log_path));
  Result<Program> program = ResolveProgram(spec);
  if (!program.ok()) return program.status();
  // What is spawned instead when the command runs as its user (`gleaner run-as`) or under the
  // attempt shim, which then starts the run-as, which starts the command.
  std::optional<LaunchSpec> wrapped;
  if (!spec.user.empty()) {
    Result<JobUser> user = ResolveJobUser(spec.user);
    if (!user.ok()) return user.status();
    wrapped = spec;
    wrapped->argv = RunAsArgv(run_as_executable_, spec.user, spec.argv);
    program = Program{.path = run_as_executable_};
  }
  if (!spec.exit_file.empty()) {
    // The shim's own spawn of the command would find out too late to say why it cannot start:
    // check here what this launcher's spawn would have found.
    GLEANER_RETURN_IF_ERROR(CheckProgram(spec));
    if (program->search_launcher_path) {
      const char* launcher_path = std::getenv("PATH");
      Result<Program> found = SearchJobPath(spec, launcher_path ? launcher_path : "/bin:/usr/bin");
      if (!found.ok()) return found.status();
    }
    if (!wrapped) wrapped = spec;
    wrapped->argv = AttemptShimArgv(attempt_shim_executable_, spec.exit_file, wrapped->argv,
                                    spec.pid_file, {spec.network_namespace, spec.resolv_conf});
    program = Program{.path = attempt_shim_executable_};
  }
  const LaunchSpec& spawned = wrapped ? *wrapped : spec;
  FileActions actions;
  if (int error = actions.Build(spawned); error != 0) {
    return Status::Internal(std::string(kReason) + "cannot prepare spawn: " + ErrorText(error));
  }
  pid_t pid = 0;
  if (int error = Spawn(*program, spawned, attributes_, actions, &pid); error != 0) {
    return DescribeSpawnFailure(spec, error);
  }
  // Not reaped before Watch, so /proc/<pid> exists here even if the process already exited.
  LaunchedProcess process{.pid = pid, .start_ticks = ReadProcessStartTicks(pid)};
  Watch(pid);
  return process;
}

void ProcessLauncher::SignalGroup(pid_t pgid, int signal) {
  // kill(0, …) would signal our own group and kill(-1, …) every process we may signal: never.
  if (pgid <= 1) return;
  // ESRCH (group gone) and EPERM (pgid reused by someone else's group) both mean "not ours".
  (void)kill(-pgid, signal);
}

void ProcessLauncher::Watch(pid_t pid) {
  int pidfd = options_.use_pidfd ? OpenPidfd(pid) : -1;
  MutexLock lock(mutex_);
  if (pidfd >= 0) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = static_cast<uint64_t>(pid);
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, pidfd, &event) == 0) {
      children_.emplace(pid, pidfd);
      return;
    }
    close(pidfd);  // ENOMEM/ENOSPC (max_user_watches): poll this one instead
  }
  children_.emplace(pid, -1);
  unwatched_.insert(pid);
  Wake();  // the reaper may be waiting without a timeout
}

void ProcessLauncher::Wake() {
  uint64_t one = 1;
  // Fails only when the counter is saturated, in which case the reaper is due to wake anyway.
  (void)!write(wake_fd_, &one, sizeof(one));
}

void ProcessLauncher::DrainWakeups() {
  uint64_t count = 0;
  (void)!read(wake_fd_, &count, sizeof(count));
}

int ProcessLauncher::SweepTimeoutMillis() {
  MutexLock lock(mutex_);
  return unwatched_.empty() ? -1 : static_cast<int>(options_.sweep_interval.count());
}

void ProcessLauncher::ReaperLoop() {
  std::array<epoll_event, 64> events{};
  while (true) {
    int ready =
        epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), SweepTimeoutMillis());
    if (ready < 0) {
      if (errno == EINTR) continue;
      Fatal("epoll_wait: " + ErrorText(errno));
    }
    std::vector<ProcessExit> exits;
    bool stopping = false;
    {
      MutexLock lock(mutex_);
      for (int i = 0; i < ready; ++i) {
        if (events[i].data.u64 == kWakeTag) {
          DrainWakeups();
        } else {
          ReapIfExited(static_cast<pid_t>(events[i].data.u64), exits);
        }
      }
      SweepUnwatched(exits);
      stopping = stopping_;
    }
    // Outside the lock, so on_exit may call Launch or SignalGroup.
    for (const ProcessExit& exit : exits) {
      Status reported = Contain([&] { on_exit_(exit); });
      if (!reported.ok()) {
        std::fprintf(stderr, "gleaner: process launcher: reporting an exit failed: %s\n",
                     reported.message().c_str());
      }
    }
    if (stopping) return;
  }
}

void ProcessLauncher::ReapIfExited(pid_t pid, std::vector<ProcessExit>& exits) {
  auto child = children_.find(pid);
  if (child == children_.end()) return;
  int status = 0;
  pid_t reaped = waitpid(pid, &status, WNOHANG);
  if (reaped == 0 || (reaped < 0 && errno == EINTR)) return;  // still running; or try again
  if (reaped == pid) {
    exits.push_back(DecodeWaitStatus(pid, status));
  } else {  // ECHILD: reaped by someone else, the status is lost
    ProcessExit lost;
    lost.pid = pid;
    lost.exit_code = kExitStatusLost;
    exits.push_back(lost);
  }
  if (child->second >= 0) {
    // Deregister explicitly: close() alone leaves the pidfd in the epoll set while a child spawned
    // meanwhile still holds a copy of the descriptor (until its exec), and a reaped pidfd stays
    // readable, which would make the reaper spin.
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, child->second, nullptr);
    close(child->second);
  } else {
    unwatched_.erase(pid);
  }
  children_.erase(child);
}

void ProcessLauncher::SweepUnwatched(std::vector<ProcessExit>& exits) {
  if (unwatched_.empty()) return;
  std::vector<pid_t> pids(unwatched_.begin(), unwatched_.end());
  for (pid_t pid : pids) ReapIfExited(pid, exits);
}

}  // namespace

std::unique_ptr<Launcher> MakeProcessLauncher(std::function<void(const ProcessExit&)> on_exit,
                                              const ProcessLauncherOptions& options) {
  return std::make_unique<ProcessLauncher>(std::move(on_exit), options);
}

std::unique_ptr<Launcher> MakeProcessLauncher(std::function<void(const ProcessExit&)> on_exit) {
  return MakeProcessLauncher(std::move(on_exit), ProcessLauncherOptions{});
}

bool KillOrphanedGroup(pid_t pgid, int64_t start_ticks) {
  if (pgid <= 1 || start_ticks == 0) return false;
  if (ReadProcessStartTicks(pgid) != start_ticks) return false;  // gone, or the pid was reused
  return kill(-pgid, SIGKILL) == 0;
}

Status CheckProgram(const LaunchSpec& spec) {
  if (spec.argv.empty() || spec.argv.front().empty()) {
    return Status::InvalidArgument(std::string(kReason) + "the command is empty");
  }
  Result<Program> program = ResolveProgram(spec);
  if (!program.ok()) return program.status();
  if (program->search_launcher_path) return Status::Ok();
  const std::string& command = spec.argv.front();
  std::string checked = program->path.front() != '/' && !spec.working_directory.empty()
                            ? spec.working_directory + "/" + program->path
                            : program->path;
  if (!IsRegularFile(checked)) return Status::InvalidArgument(NotFoundMessage(command));
  if (access(checked.c_str(), X_OK) != 0) {
    return Status::InvalidArgument(PermissionDeniedMessage(command));
  }
  return Status::Ok();
}

}  // namespace gleaner
