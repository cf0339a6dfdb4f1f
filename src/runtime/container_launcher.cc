#include "runtime/container_launcher.h"
#include "common/steady_time.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iterator>

#include <condition_variable>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

#include "common/contain.h"
#include "common/mutex.h"
#include "common/private_directory.h"
#include "runtime/command_runner.h"
#include "runtime/container_arguments.h"

namespace gleaner {
namespace {

constexpr const char* kOutOfMemory = "OutOfMemoryError: Container killed due to memory usage";
constexpr int kKilledExitCode = 128 + SIGKILL;
constexpr std::chrono::seconds kKillTimeout{10};

// Whether the process `pgid` is the engine command that runs container `name` (the shim's
// command line holds the engine's after its own).
bool RunsContainer(pid_t pgid, const std::string& name) {
  std::ifstream file("/proc/" + std::to_string(pgid) + "/cmdline", std::ios::binary);
  std::string cmdline((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::string needle = std::string(1, '\0') + "--name=" + name + '\0';
  return cmdline.find(needle) != std::string::npos;
}

// Tasks run on threads of their own, in order when there is one: engine commands take tens of
// milliseconds and must not hold up the scheduler or the reaper.
class TaskThreads {
 public:
  explicit TaskThreads(int threads) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
  }
  ~TaskThreads() {
    {
      MutexLock lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& thread : threads_) thread.join();
  }
  void Post(std::function<void()> task) {
    {
      MutexLock lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
  }

 private:
  void Run() {
    while (true) {
      std::function<void()> task;
      {
        MutexLock lock(mutex_);
        wake_.wait(lock.native(),
                   [this]() GLEANER_REQUIRES(mutex_) { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      (void)Contain(task);
    }
  }

  Mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_ GLEANER_GUARDED_BY(mutex_);
  bool stopping_ GLEANER_GUARDED_BY(mutex_) = false;
  std::vector<std::thread> threads_;  // last: they start once everything above exists
};

// What the engine's stderr says last, without podman's "Error: " in front.
std::string EngineError(const CommandOutput& output) {
  std::string line = LastLine(output.err.empty() ? output.out : output.err);
  if (line.rfind("Error: ", 0) == 0) line = line.substr(7);
  return line.empty() ? "exit code " + std::to_string(output.exit_code) : line;
}

// The last "Error: ..." the engine's `run` wrote into the attempt's log.
std::string StartErrorFromLog(const std::string& log_path) {
  std::ifstream log(log_path, std::ios::binary);
  log.seekg(0, std::ios::end);
  std::streamoff size = log.tellg();
  log.seekg(std::max<std::streamoff>(0, size - 4096));
  std::string line;
  std::string error;
  while (std::getline(log, line)) {
    if (line.rfind("Error: ", 0) == 0) error = line.substr(7);
  }
  return error.empty() ? "the container did not start" : error;
}

bool IsImageMissing(const std::string& message) {
  return message.find("image not known") != std::string::npos ||  // podman
         message.find("No such image") != std::string::npos;      // docker
}

struct ContainerAttempt {
  std::string name;
  std::string image;
  std::string log_path;
  bool killed = false;  // gleaner sent SIGKILL: a kill that is not the memory limit's, whatever
                        // the engine says
};

class ImagePuller {
 public:
  ImagePuller(const ContainerLauncherOptions& options) : options_(options) {}

  // The image is in the local store when this returns Ok.
  // `on_progress` (when set) hears of a pull before it starts.
  Status Ensure(const std::string& image, const std::vector<std::string>& environment,
                const std::function<void(const std::string&)>& on_progress) {
    bool pull_due = ShouldPull(image);
    if (!pull_due && KnownPresent(image)) return Status::Ok();
    bool cached = Exists(image, environment);
    if (cached) MarkPresent(image);
    if (cached && !pull_due) return Status::Ok();
    if (on_progress) on_progress("Pulling image " + image);
    Result<CommandOutput> pulled =
        RunCommand(PullArguments(options_.engine, image), environment, options_.pull_timeout);
    Remember(image);
    if (pulled.ok() && pulled->exit_code == 0) {
      MarkPresent(image);
      return Status::Ok();
    }
    if (cached && options_.pull_policy != ImagePullPolicy::kAlways) return Status::Ok();
    std::string why = pulled.ok() ? EngineError(*pulled) : pulled.status().message();
    return Status::FailedPrecondition("CannotPullContainerError: " + why);
  }

  // The image was removed from the store behind gleaner's back: look again next time.
  void Forget(const std::string& image) {
    MutexLock lock(mutex_);
    present_.erase(image);
  }

 private:
  bool KnownPresent(const std::string& image) {
    MutexLock lock(mutex_);
    return present_.count(image) > 0;
  }

  void MarkPresent(const std::string& image) {
    MutexLock lock(mutex_);
    present_.insert(image);
  }

  bool Exists(const std::string& image, const std::vector<std::string>& environment) {
    Result<CommandOutput> found = RunCommand(ImageExistsArguments(options_.engine, image),
                                             environment, options_.command_timeout);
    return found.ok() && found->exit_code == 0;
  }

  bool ShouldPull(const std::string& image) {
    MutexLock lock(mutex_);
    auto last = last_pull_.find(image);
    switch (options_.pull_policy) {
      case ImagePullPolicy::kAlways:
        return true;
      case ImagePullPolicy::kPreferCached:
        return false;
      case ImagePullPolicy::kOnce:
        return last == last_pull_.end();
      case ImagePullPolicy::kDefault:
        return last == last_pull_.end() || SteadyNow() - last->second >= options_.repull_after;
    }
    return true;
  }

  void Remember(const std::string& image) {
    MutexLock lock(mutex_);
    last_pull_[image] = SteadyNow();
  }

  const ContainerLauncherOptions& options_;
  Mutex mutex_;
  std::map<std::string, SteadyTime> last_pull_ GLEANER_GUARDED_BY(mutex_);
  // seen in the local store (podman image inspect) or pulled
  std::set<std::string> present_ GLEANER_GUARDED_BY(mutex_);
};

class ContainerLauncher final : public Launcher {
 public:
  ContainerLauncher(std::function<void(const ProcessExit&)> on_exit,
                    ContainerLauncherOptions options)
      : on_exit_(std::move(on_exit)), options_(std::move(options)), puller_(options_) {
    own_environment_ = OwnEnvironmentWith(options_.engine.environment);
    if (options_.scratch_directory.empty()) {
      options_.scratch_directory = std::filesystem::temp_directory_path().string();
    }
    processes_ = MakeProcessLauncher([this](const ProcessExit& exit) { OnProcessExit(exit); },
                                     options_.processes);
  }
  ~ContainerLauncher() override { processes_.reset(); }  // no exit arrives after this

  Result<LaunchedProcess> Launch(const LaunchSpec& spec) override {
    if (!spec.container) return processes_->Launch(spec);
    const ContainerSpec& container = *spec.container;
    Status usable = CheckContainerSpec(container);
    if (!usable.ok())
      return Status::InvalidArgument("CannotCreateContainerError: " + usable.message());
    std::call_once(leftovers_removed_, [this] { RemoveLeftovers(); });
    // The engine runs with gleaner's own environment (its storage and registry settings); the
    // job's variables reach the container through an env file only.
    GLEANER_RETURN_IF_ERROR(puller_.Ensure(container.image, own_environment_, spec.on_progress));
    // The attempt's directory: its env file, and the working directory of `run`, where conmon
    // leaves its "oom" mark.
    std::string directory = AttemptDirectory(container.name);
    std::error_code stale;
    std::filesystem::remove_all(directory, stale);
    GLEANER_RETURN_IF_ERROR(CreatePrivateDirectories(directory));
    Result<std::string> env_file = WriteEnvFile(directory, container);
    if (!env_file.ok()) return env_file.status();
    LaunchSpec run = spec;
    run.argv = RunArguments(options_.engine, container, spec.argv, *env_file);
    run.environment = own_environment_;
    run.user.clear();  // the container switches to its user itself
    run.working_directory = directory;
    run.container.reset();
    // The engine runs in the attempt's network with the machine's files (its storage mounts
    // must be the machine's); the container gets its resolver through ContainerSpec::dns_servers.
    run.resolv_conf.clear();
    Result<LaunchedProcess> launched = Status::Internal("not launched");
    {
      // Held across the launch: the exit, reported on the reaper thread, finds the attempt.
      MutexLock lock(mutex_);
      launched = processes_->Launch(run);
      if (launched.ok()) {
        attempts_[launched->pid] = {container.name, container.image, spec.log_path};
      }
    }
    if (!launched.ok()) Remove(container.name);
    return launched;
  }

  void SignalGroup(pid_t pgid, int signal) override {
    std::string name;
    {
      MutexLock lock(mutex_);
      if (concluding_.count(pgid) > 0) return;  // ended; the engine hears of it shortly
      auto it = attempts_.find(pgid);
      if (it == attempts_.end()) return processes_->SignalGroup(pgid, signal);
      if (signal == SIGKILL) it->second.killed = true;
      name = it->second.name;
    }
    signals_.Post([this, pgid, name, signal] { Kill(pgid, name, signal); });
  }

  void Adopt(pid_t pgid, const LaunchSpec& spec) override {
    // Only an attempt that runs its container (gleaner may have run processes before a restart).
    if (!spec.container || !RunsContainer(pgid, spec.container->name)) return;
    MutexLock lock(mutex_);
    attempts_[pgid] = {spec.container->name, spec.container->image, spec.log_path};
  }

  void ConcludeAdopted(const ProcessExit& exit,
                       const std::function<void(const ProcessExit&)>& done) override {
    std::optional<ContainerAttempt> attempt = TakeAttempt(exit.pid);
    if (!attempt) return done(exit);
    conclusions_.Post([this, exit, attempt = *attempt, done] { done(Concluded(exit, attempt)); });
  }

 private:
  // The variables, in a file only this user can read, removed with the attempt's directory.
  Result<std::string> WriteEnvFile(const std::string& directory,
                                   const ContainerSpec& container) const {
    std::string path = directory + "/env";
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      return Status::Internal("CannotCreateContainerError: could not write " + path + ": " +
                              std::strerror(errno));
    }
    std::string text = EnvFileText(container);
    bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    close(fd);
    if (!written) {
      unlink(path.c_str());
      return Status::Internal("CannotCreateContainerError: could not write " + path);
    }
    return path;
  }

  void Kill(pid_t pgid, const std::string& name, int signal) {
    // A container still being started cannot be signalled yet: try again (for 5 s) until it runs
    // or its attempt ends.
    for (int tries = 0; tries < 100; ++tries) {
      Result<CommandOutput> killed =
          RunCommand(KillArguments(options_.engine, name, signal), own_environment_, kKillTimeout);
      if (!killed.ok() || killed->exit_code == 0) return;
      {
        MutexLock lock(mutex_);
        if (attempts_.count(pgid) == 0) return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  void OnProcessExit(const ProcessExit& exit) {
    std::optional<ContainerAttempt> attempt = TakeAttempt(exit.pid);
    if (!attempt) return on_exit_(exit);
    conclusions_.Post([this, exit, attempt = *attempt] { on_exit_(Concluded(exit, attempt)); });
  }

  // The attempt's exit is being concluded: signals to its (reaped) group are dropped until the
  // engine knows it ended.
  std::optional<ContainerAttempt> TakeAttempt(pid_t pid) {
    MutexLock lock(mutex_);
    auto it = attempts_.find(pid);
    if (it == attempts_.end()) return std::nullopt;
    ContainerAttempt attempt = std::move(it->second);
    attempts_.erase(it);
    concluding_[pid] = attempt.name;
    return attempt;
  }

  ProcessExit Concluded(const ProcessExit& exit, const ContainerAttempt& attempt) {
    ProcessExit concluded = Conclude(exit, attempt);
    MutexLock lock(mutex_);
    concluding_.erase(exit.pid);
    return concluded;
  }

  // How the container ended, then removes it.
  ProcessExit Conclude(ProcessExit exit, const ContainerAttempt& attempt) {
    if (exit.exit_code == 0 && exit.term_signal == 0) {
      // It ran and ended well: neither a memory kill nor a start that failed.
      Remove(attempt.name);
      return exit;
    }
    Result<CommandOutput> inspected = RunCommand(InspectArguments(options_.engine, attempt.name),
                                                 own_environment_, options_.command_timeout);
    std::string exit_code;
    std::string oom_killed;
    std::string status;
    if (inspected.ok() && inspected->exit_code == 0) {
      std::istringstream(inspected->out) >> exit_code >> oom_killed >> status;
    }
    if (status == "exited" && !exit_code.empty() &&
        exit_code.find_first_not_of("0123456789") == std::string::npos) {
      // The container's own code, even when its watcher died with it (no exit file: 137).
      exit.exit_code = std::stoi(exit_code);
      exit.term_signal = 0;
    }
    if (status.empty()) {
      // `run` failed before the container existed (an option the engine refused, an image gone).
      std::string error = StartErrorFromLog(attempt.log_path);
      if (IsImageMissing(error)) puller_.Forget(attempt.image);  // look again next time
      exit.reason = "CannotCreateContainerError: " + error;
    } else if (status == "created" || status == "configured") {
      exit.reason = "CannotStartContainerError: " + StartErrorFromLog(attempt.log_path);
    } else if (exit.exit_code == kKilledExitCode && !attempt.killed &&
               (oom_killed == "true" || ConmonSawOutOfMemory(attempt))) {
      exit.reason = kOutOfMemory;
    }
    Remove(attempt.name);
    return exit;
  }

  // Before the first launch (once adopting is over, and while no other launch runs): containers
  // the previous run left that no re-attached attempt owns -- attempts lost with it, or created
  // but never started.
  void RemoveLeftovers() {
    if (options_.engine.owner.empty()) return;
    Result<CommandOutput> listed =
        RunCommand(ListOwnedArguments(options_.engine), own_environment_, options_.command_timeout);
    if (!listed.ok() || listed->exit_code != 0) return;
    std::set<std::string> adopted;  // and those that ended while no gleaner ran, being concluded
    {
      MutexLock lock(mutex_);
      for (const auto& [pid, attempt] : attempts_) adopted.insert(attempt.name);
      for (const auto& [pid, name] : concluding_) adopted.insert(name);
    }
    std::istringstream names(listed->out);
    for (std::string name; std::getline(names, name);) {
      if (!name.empty() && adopted.count(name) == 0) Remove(name);
    }
  }

  std::string AttemptDirectory(const std::string& name) const {
    return options_.scratch_directory + "/" + name + ".d";
  }

  // conmon notices the memory cgroup's OOM kill even where podman's OOMKilled stays false (cgroup
  // v1 hybrid): it writes "oom" (and "oomKilled") into its working directory.
  bool ConmonSawOutOfMemory(const ContainerAttempt& attempt) const {
    std::error_code error;
    std::string directory = AttemptDirectory(attempt.name);
    return std::filesystem::exists(directory + "/oom", error) ||
           std::filesystem::exists(directory + "/oomKilled", error);
  }

  void Remove(const std::string& name) {
    (void)RunCommand(RemoveArguments(options_.engine, name), own_environment_,
                     options_.command_timeout);
    std::error_code error;
    std::filesystem::remove_all(AttemptDirectory(name), error);
  }

  std::function<void(const ProcessExit&)> on_exit_;
  ContainerLauncherOptions options_;
  ImagePuller puller_;
  std::vector<std::string> own_environment_;  // for engine commands outside an attempt's launch
  Mutex mutex_;
  std::map<pid_t, ContainerAttempt> attempts_ GLEANER_GUARDED_BY(mutex_);
  // ended, being inspected and removed: their names
  std::map<pid_t, std::string> concluding_ GLEANER_GUARDED_BY(mutex_);
  std::once_flag leftovers_removed_;
  std::unique_ptr<Launcher> processes_;
  // Last: their threads end before the members they use. Signals in order, on one thread;
  // attempts that ended are concluded (inspect, rm) several at a time.
  TaskThreads signals_{1};
  TaskThreads conclusions_{4};
};

}  // namespace

Result<ImagePullPolicy> ParseImagePullPolicy(const std::string& text) {
  if (text == "default") return ImagePullPolicy::kDefault;
  if (text == "always") return ImagePullPolicy::kAlways;
  if (text == "once") return ImagePullPolicy::kOnce;
  if (text == "prefer-cached") return ImagePullPolicy::kPreferCached;
  return Status::InvalidArgument("image pull policy \"" + text +
                                 "\": must be default, always, once or prefer-cached");
}

std::unique_ptr<Launcher> MakeContainerLauncher(std::function<void(const ProcessExit&)> on_exit,
                                                ContainerLauncherOptions options) {
  return std::make_unique<ContainerLauncher>(std::move(on_exit), std::move(options));
}

}  // namespace gleaner
