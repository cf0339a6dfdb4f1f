#include "runtime/process_launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/mutex.h"
#include "runtime/attempt_shim.h"
#include "runtime/reattached_attempts.h"

namespace gleaner {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Waits are for events that do happen; the timeout only turns a bug into a failure, not a hang.
constexpr auto kSafetyTimeout = 30s;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "gleaner-runtime-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = fs::canonical(pattern);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const fs::path& path, const std::string& text, fs::perms permissions) {
  std::ofstream(path) << text;
  fs::permissions(path, permissions);
}

// Collects on_exit reports and lets the test thread wait for them.
class ExitRecorder {
 public:
  std::function<void(const ProcessExit&)> Callback() {
    return [this](const ProcessExit& exit) {
      MutexLock lock(mutex_);
      exits_.push_back(exit);
      changed_.notify_all();
    };
  }

  std::optional<ProcessExit> WaitFor(pid_t pid) {
    MutexLock lock(mutex_);
    std::optional<ProcessExit> found;
    changed_.wait_for(lock.native(), kSafetyTimeout, [&]() GLEANER_REQUIRES(mutex_) {
      auto it = std::find_if(exits_.begin(), exits_.end(),
                             [pid](const ProcessExit& exit) { return exit.pid == pid; });
      if (it != exits_.end()) found = *it;
      return found.has_value();
    });
    return found;
  }

  bool WaitForCount(size_t count) {
    MutexLock lock(mutex_);
    return changed_.wait_for(lock.native(), kSafetyTimeout,
                             [&]() GLEANER_REQUIRES(mutex_) { return exits_.size() >= count; });
  }

  std::vector<ProcessExit> All() {
    MutexLock lock(mutex_);
    return exits_;
  }

 private:
  Mutex mutex_;
  std::condition_variable changed_;
  std::vector<ProcessExit> exits_ GLEANER_GUARDED_BY(mutex_);
};

// Runs every test against both ways of noticing exits: pidfds and the waitpid sweep fallback.
class ProcessLauncherTest : public ::testing::TestWithParam<bool> {
 protected:
  ProcessLauncherTest()
      : launcher_(MakeProcessLauncher(exits_.Callback(), {.use_pidfd = GetParam(),
                                                          .sweep_interval = 5ms,
                                                          .run_as_executable = "",
                                                          .attempt_shim_executable = ""})) {}

  LaunchSpec Spec(std::vector<std::string> argv) const {
    LaunchSpec spec;
    spec.argv = std::move(argv);
    spec.log_path = (dir_.path() / "logs" / "attempt.log").string();
    return spec;
  }

  std::string Log() const { return ReadFile(dir_.path() / "logs" / "attempt.log"); }

  LaunchedProcess LaunchOrDie(const LaunchSpec& spec) {
    Result<LaunchedProcess> process = launcher_->Launch(spec);
    if (!process.ok()) {
      ADD_FAILURE() << "launch failed: " << process.status().message();
      return {};
    }
    return *process;
  }

  // Launches `spec` and waits for its exit; a failure is reported and yields exit_code -999.
  ProcessExit Run(const LaunchSpec& spec) {
    LaunchedProcess process = LaunchOrDie(spec);
    if (process.pid == 0) return {.pid = 0, .exit_code = -999, .term_signal = 0, .reason = ""};
    return Wait(process.pid);
  }

  ProcessExit Wait(pid_t pid) {
    std::optional<ProcessExit> exit = exits_.WaitFor(pid);
    if (!exit.has_value()) {
      ADD_FAILURE() << "no exit reported for pid " << pid;
      return {.pid = pid, .exit_code = -999, .term_signal = 0, .reason = ""};
    }
    return *exit;
  }

  Status LaunchError(const LaunchSpec& spec) {
    Result<LaunchedProcess> process = launcher_->Launch(spec);
    if (process.ok()) {
      ADD_FAILURE() << "launch unexpectedly succeeded";
      launcher_->SignalGroup(process->pid, SIGKILL);
      return Status::Ok();
    }
    return process.status();
  }

  TempDir dir_;
  ExitRecorder exits_;  // outlives the launcher that calls it
  std::unique_ptr<Launcher> launcher_;
};

INSTANTIATE_TEST_SUITE_P(ExitNotification, ProcessLauncherTest, ::testing::Values(true, false),
                         [](const auto& test) { return test.param ? "Pidfd" : "Sweep"; });

TEST_P(ProcessLauncherTest, ReportsExitCode) {
  LaunchedProcess process = LaunchOrDie(Spec({"sh", "-c", "exit 3"}));
  ProcessExit exit = Wait(process.pid);
  EXPECT_EQ(exit.pid, process.pid);
  EXPECT_EQ(exit.exit_code, 3);
  EXPECT_EQ(exit.term_signal, 0);
}

TEST_P(ProcessLauncherTest, WritesStdoutAndStderrToTheLogInOrder) {
  EXPECT_FALSE(fs::exists(dir_.path() / "logs"));  // the launcher creates the directory
  EXPECT_EQ(Run(Spec({"sh", "-c", "echo out; echo err >&2; echo more"})).exit_code, 0);
  EXPECT_EQ(Log(), "out\nerr\nmore\n");
}

// Job output can hold secrets: the log is its owner's alone.
TEST_P(ProcessLauncherTest, AppendsToAnExistingPrivateLog) {
  EXPECT_EQ(Run(Spec({"echo", "first attempt"})).exit_code, 0);
  EXPECT_EQ(Run(Spec({"echo", "second attempt"})).exit_code, 0);
  EXPECT_EQ(Log(), "first attempt\nsecond attempt\n");
  EXPECT_EQ(fs::status(dir_.path() / "logs" / "attempt.log").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST_P(ProcessLauncherTest, StdinIsDevNullAndNoOtherDescriptorLeaks) {
  int leaked = open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(leaked, 3);
  std::string script = "readlink /proc/self/fd/0; [ -e /proc/$$/fd/" + std::to_string(leaked) +
                       " ] && echo leaked || echo closed";
  ProcessExit exit = Run(Spec({"sh", "-c", script}));
  close(leaked);
  EXPECT_EQ(exit.exit_code, 0);
  EXPECT_EQ(Log(), "/dev/null\nclosed\n");
}

TEST_P(ProcessLauncherTest, PassesExactlyTheGivenEnvironment) {
  LaunchSpec spec = Spec({"env"});
  spec.environment = {"A=1", "B=two words", "EMPTY="};
  EXPECT_EQ(Run(spec).exit_code, 0);
  EXPECT_EQ(Log(), "A=1\nB=two words\nEMPTY=\n");
}

TEST_P(ProcessLauncherTest, LooksTheCommandUpOnTheJobsPath) {
  fs::create_directories(dir_.path() / "bin");
  WriteFile(dir_.path() / "bin" / "hello", "#!/bin/sh\necho hello \"$GREETING\"\n",
            fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  LaunchSpec spec = Spec({"hello"});
  spec.environment = {"PATH=/nonexistent:" + (dir_.path() / "bin").string(), "GREETING=world"};
  EXPECT_EQ(Run(spec).exit_code, 0);
  EXPECT_EQ(Log(), "hello world\n");
}

TEST_P(ProcessLauncherTest, HonoursTheWorkingDirectory) {
  fs::create_directories(dir_.path() / "work");
  LaunchSpec spec = Spec({"pwd", "-P"});
  spec.working_directory = (dir_.path() / "work").string();
  EXPECT_EQ(Run(spec).exit_code, 0);
  EXPECT_EQ(Log(), (dir_.path() / "work").string() + "\n");
}

TEST_P(ProcessLauncherTest, CommandNotFoundIsAnErrorAndNoExitIsReported) {
  Status status = LaunchError(Spec({"gleaner-no-such-command", "arg"}));
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "CannotStartContainerError: command \"gleaner-no-such-command\" not found");

  LaunchSpec on_job_path = Spec({"gleaner-no-such-command"});
  on_job_path.environment = {"PATH=/nonexistent"};
  status = LaunchError(on_job_path);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "CannotStartContainerError: command \"gleaner-no-such-command\" not found in PATH "
            "\"/nonexistent\"");

  // A process launched afterwards is the only one ever reported.
  LaunchedProcess sentinel = LaunchOrDie(Spec({"true"}));
  Wait(sentinel.pid);
  launcher_.reset();  // joins the reaper: nothing can be reported after this
  std::vector<ProcessExit> all = exits_.All();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].pid, sentinel.pid);
}

// These fail at execve in the child; glibc's posix_spawn returns that errno to the parent.
TEST_P(ProcessLauncherTest, ExecFailuresInTheChildAreReturned) {
  fs::path missing = dir_.path() / "missing";
  Status status = LaunchError(Spec({missing.string()}));
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "CannotStartContainerError: command \"" + missing.string() + "\" not found");

  fs::path not_executable = dir_.path() / "data.txt";
  WriteFile(not_executable, "hello\n", fs::perms::owner_read | fs::perms::owner_write);
  status = LaunchError(Spec({not_executable.string()}));
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("is not executable (permission denied)"), std::string::npos)
      << status.message();

  fs::path garbage = dir_.path() / "garbage";
  WriteFile(garbage, std::string("\x7f\x01\x02 not a program\n"), fs::perms::owner_all);
  status = LaunchError(Spec({garbage.string()}));
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("exec format error"), std::string::npos) << status.message();
  EXPECT_TRUE(exits_.All().empty());
}

TEST_P(ProcessLauncherTest, MissingWorkingDirectoryIsAnError) {
  LaunchSpec spec = Spec({"true"});
  spec.working_directory = (dir_.path() / "nowhere").string();
  Status status = LaunchError(spec);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "CannotStartContainerError: working directory \"" +
                                  spec.working_directory +
                                  "\" does not exist or is not accessible");
}

TEST_P(ProcessLauncherTest, UnusableLogPathIsAnInternalError) {
  LaunchSpec spec = Spec({"true"});
  spec.log_path = dir_.path().string();  // a directory
  Status status = LaunchError(spec);
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_NE(status.message().find("cannot open log file"), std::string::npos) << status.message();

  WriteFile(dir_.path() / "file", "", fs::perms::owner_read | fs::perms::owner_write);
  spec.log_path = (dir_.path() / "file" / "attempt.log").string();
  status = LaunchError(spec);
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_NE(status.message().find("cannot create log directory"), std::string::npos)
      << status.message();
}

TEST_P(ProcessLauncherTest, EmptyCommandIsAnError) {
  EXPECT_EQ(LaunchError(Spec({})).code(), StatusCode::kInvalidArgument);
}

TEST_P(ProcessLauncherTest, SigtermViaSignalGroupIsReportedAsSignal15) {
  LaunchedProcess process = LaunchOrDie(Spec({"sleep", "100"}));
  launcher_->SignalGroup(process.pid, SIGTERM);
  ProcessExit exit = Wait(process.pid);
  EXPECT_EQ(exit.term_signal, SIGTERM);
  EXPECT_EQ(exit.exit_code, 143);
}

// Restores this thread's signal mask and SIGPIPE's disposition when the test ends.
class BlockedAndIgnoredSignals {
 public:
  BlockedAndIgnoredSignals() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &saved_mask_);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, &saved_pipe_);
  }
  ~BlockedAndIgnoredSignals() {
    sigaction(SIGPIPE, &saved_pipe_, nullptr);
    pthread_sigmask(SIG_SETMASK, &saved_mask_, nullptr);
  }

 private:
  sigset_t saved_mask_;
  struct sigaction saved_pipe_ {};
};

TEST_P(ProcessLauncherTest, ChildStartsWithDefaultSignalsWhateverTheLauncherBlocksOrIgnores) {
  LaunchedProcess sleeper;
  LaunchedProcess piper;
  {
    BlockedAndIgnoredSignals launcher_state;
    sleeper = LaunchOrDie(Spec({"sleep", "100"}));
    // Dies of SIGPIPE only if it is not ignored (an ignored signal is inherited through exec).
    piper = LaunchOrDie(Spec({"sh", "-c", "kill -PIPE $$; echo survived"}));
  }
  EXPECT_EQ(Wait(piper.pid).term_signal, SIGPIPE);
  launcher_->SignalGroup(sleeper.pid, SIGTERM);  // blocked in the launcher, not in the child
  EXPECT_EQ(Wait(sleeper.pid).term_signal, SIGTERM);
  EXPECT_EQ(Log(), "");
}

int OpenPidfdForTest(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

// Blocks until `fd` is readable or hung up; false after the safety timeout.
bool WaitReadable(int fd) {
  pollfd entry{.fd = fd, .events = POLLIN, .revents = 0};
  auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kSafetyTimeout);
  return poll(&entry, 1, static_cast<int>(timeout.count())) == 1;
}

TEST_P(ProcessLauncherTest, SignalGroupReachesGrandchildren) {
  fs::path fifo = dir_.path() / "grandchild.pid";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  int reader = open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  LaunchedProcess shell =
      LaunchOrDie(Spec({"sh", "-c", "sleep 100 & echo $! >" + fifo.string() + "; wait"}));
  ASSERT_TRUE(WaitReadable(reader));  // the grandchild exists once its pid is written
  std::array<char, 32> text{};
  ASSERT_GT(read(reader, text.data(), text.size() - 1), 0);
  close(reader);
  pid_t grandchild = static_cast<pid_t>(std::atoi(text.data()));
  ASSERT_GT(grandchild, 0);
  int grandchild_fd = OpenPidfdForTest(grandchild);
  if (grandchild_fd < 0) {
    launcher_->SignalGroup(shell.pid, SIGKILL);
    Wait(shell.pid);
    GTEST_SKIP() << "pidfd_open unavailable";
  }

  // Orphans are re-parented to us rather than to an init that may never reap them.
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  launcher_->SignalGroup(shell.pid, SIGTERM);
  EXPECT_EQ(Wait(shell.pid).term_signal, SIGTERM);
  EXPECT_TRUE(WaitReadable(grandchild_fd)) << "grandchild " << grandchild << " survived";
  close(grandchild_fd);
  (void)waitpid(grandchild, nullptr, WNOHANG);  // unless the shell reaped it first
  prctl(PR_SET_CHILD_SUBREAPER, 0);
}

TEST_P(ProcessLauncherTest, ManyConcurrentLaunchesAreEachReportedOnce) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::vector<std::vector<pid_t>> pids(kThreads);
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) pids[t].push_back(LaunchOrDie(Spec({"true"})).pid);
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_TRUE(exits_.WaitForCount(kThreads * kPerThread));
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  std::cout << "[ info     ] " << kThreads * kPerThread << " launches and exits in "
            << elapsed.count() << " s\n";

  launcher_.reset();  // nothing more can be reported
  std::map<pid_t, int> reports;
  for (const ProcessExit& exit : exits_.All()) {
    EXPECT_EQ(exit.exit_code, 0);
    ++reports[exit.pid];
  }
  for (const std::vector<pid_t>& launched : pids) {
    for (pid_t pid : launched) EXPECT_EQ(reports[pid], 1) << "pid " << pid;
  }
  EXPECT_EQ(reports.size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST_P(ProcessLauncherTest, LeavesChildrenItDidNotLaunchAlone) {
  pid_t own = 0;
  char* argv[] = {const_cast<char*>("true"), nullptr};
  char* envp[] = {nullptr};
  ASSERT_EQ(posix_spawnp(&own, "true", nullptr, nullptr, argv, envp), 0);
  siginfo_t info{};
  ASSERT_EQ(waitid(P_PID, static_cast<id_t>(own), &info, WEXITED | WNOWAIT), 0);  // a zombie now

  Run(Spec({"sh", "-c", "exit 0"}));  // the reaper has been busy meanwhile
  int status = -1;
  EXPECT_EQ(waitpid(own, &status, WNOHANG), own);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  for (const ProcessExit& exit : exits_.All()) EXPECT_NE(exit.pid, own);
}

TEST_P(ProcessLauncherTest, DestroyingTheLauncherLeavesChildrenRunning) {
  LaunchedProcess process = LaunchOrDie(Spec({"sleep", "100"}));
  launcher_.reset();
  EXPECT_EQ(ReadProcessStartTicks(process.pid), process.start_ticks);
  ASSERT_EQ(kill(process.pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(process.pid, &status, 0), process.pid);         // ours to reap now
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);  // killed by us, not before
  EXPECT_TRUE(exits_.All().empty());
}

// Clock ticks since boot now, an upper bound for any start time.
int64_t UptimeTicks() {
  double seconds = 0;
  std::ifstream("/proc/uptime") >> seconds;
  return static_cast<int64_t>(seconds * static_cast<double>(sysconf(_SC_CLK_TCK))) + 1;
}

TEST_P(ProcessLauncherTest, StartTicksIdentifyALiveProcessEvenWithAStrangeName) {
  fs::path strange = dir_.path() / "we) ird (x";  // becomes the process's comm
  fs::create_symlink("/bin/sleep", strange);
  LaunchedProcess process = LaunchOrDie(Spec({strange.string(), "100"}));
  EXPECT_EQ(ReadFile("/proc/" + std::to_string(process.pid) + "/comm"), "we) ird (x\n");
  EXPECT_GE(process.start_ticks, ReadProcessStartTicks(getpid()));
  EXPECT_LE(process.start_ticks, UptimeTicks());
  EXPECT_EQ(ReadProcessStartTicks(process.pid), process.start_ticks);
  launcher_->SignalGroup(process.pid, SIGKILL);
  Wait(process.pid);
}

TEST_P(ProcessLauncherTest, KillOrphanedGroupSparesAProcessWithOtherStartTicks) {
  LaunchedProcess process = LaunchOrDie(Spec({"sleep", "100"}));
  EXPECT_FALSE(KillOrphanedGroup(process.pid, process.start_ticks + 1));
  EXPECT_FALSE(KillOrphanedGroup(process.pid, 0));
  launcher_->SignalGroup(process.pid, SIGTERM);
  EXPECT_EQ(Wait(process.pid).term_signal, SIGTERM);  // it was still alive for this signal
}

TEST_P(ProcessLauncherTest, KillOrphanedGroupKillsTheProcessWithMatchingStartTicks) {
  LaunchedProcess process = LaunchOrDie(Spec({"sleep", "100"}));
  EXPECT_TRUE(KillOrphanedGroup(process.pid, process.start_ticks));
  EXPECT_EQ(Wait(process.pid).term_signal, SIGKILL);
}

TEST(ReadProcessStartTicks, IsZeroWithoutSuchProcess) {
  EXPECT_EQ(ReadProcessStartTicks(std::numeric_limits<pid_t>::max()), 0);
  EXPECT_EQ(ReadProcessStartTicks(0), 0);
  EXPECT_EQ(ReadProcessStartTicks(-1), 0);
  EXPECT_GT(ReadProcessStartTicks(getpid()), 0);
  EXPECT_FALSE(KillOrphanedGroup(std::numeric_limits<pid_t>::max(), 12345));
}

TEST(ParseProcStatStartTicks, CountsFieldsFromTheLastParenthesis) {
  const std::string tail = " S 1 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 50\n";
  struct Case {
    std::string line;
    int64_t ticks;
  };
  const std::vector<Case> cases = {
      {"42 (sleep)" + tail, 987654},
      {"42 (a b) c)" + tail, 987654},
      {"42 (x) (y z) 1 2 3)" + tail, 987654},
      {"42 ())" + tail, 987654},
      {"42 (sleep) S 1 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 7", 7},
      {"42 (sleep) S 1 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0", 0},
      {"42 (sleep) S 1 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 12x 5", 0},
      {"42 sleep S 1 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 7", 0},
      {"", 0},
  };
  for (const Case& c : cases) EXPECT_EQ(ParseProcStatStartTicks(c.line), c.ticks) << c.line;
}

// Attempts under the shim (LaunchSpec::exit_file), as `gleaner up` starts them.
class ShimmedAttemptTest : public ::testing::Test {
 protected:
  std::unique_ptr<Launcher> MakeLauncher() {
    return MakeProcessLauncher(exits_.Callback(),
                               {.use_pidfd = true,
                                .sweep_interval = 5ms,
                                .run_as_executable = "",
                                .attempt_shim_executable = GLEANER_ATTEMPT_SHIM});
  }
  LaunchSpec Spec(std::vector<std::string> argv) const {
    LaunchSpec spec;
    spec.argv = std::move(argv);
    spec.log_path = (dir_.path() / "attempt.log").string();
    spec.exit_file = exit_file_;
    spec.pid_file = pid_file_;
    return spec;
  }
  bool WaitForFile(const fs::path& path) const {
    auto deadline = std::chrono::steady_clock::now() + kSafetyTimeout;
    while (!fs::exists(path)) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }

  TempDir dir_;
  std::string exit_file_ = (dir_.path() / "attempt.exit").string();
  std::string pid_file_ = (dir_.path() / "attempt.pid").string();
  ExitRecorder exits_;
};

TEST_F(ShimmedAttemptTest, TheCommandsExitIsReportedAndRecordedInTheExitFile) {
  std::unique_ptr<Launcher> launcher = MakeLauncher();
  Result<LaunchedProcess> launched = launcher->Launch(Spec({"sh", "-c", "echo out; exit 3"}));
  ASSERT_TRUE(launched.ok()) << launched.status().message();
  std::optional<ProcessExit> exit = exits_.WaitFor(launched->pid);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 3);
  EXPECT_EQ(ReadFile(exit_file_), "3 0\n");
  EXPECT_EQ(ReadFile(dir_.path() / "attempt.log"), "out\n");
  EXPECT_EQ(ClaimAttemptPidFile(pid_file_), (AttemptProcess{launched->pid, launched->start_ticks}));
}

TEST_F(ShimmedAttemptTest, ACommandThatCannotStartIsStillALaunchError) {
  std::unique_ptr<Launcher> launcher = MakeLauncher();
  Result<LaunchedProcess> launched = launcher->Launch(Spec({"gleaner-no-such-command"}));
  ASSERT_FALSE(launched.ok());
  EXPECT_NE(launched.status().message().find("not found"), std::string::npos);
  EXPECT_FALSE(fs::exists(pid_file_)) << "nothing was started";
}

TEST_F(ShimmedAttemptTest, AnAttemptOutlivesItsLauncherAndIsFoundAgainWithItsRealExit) {
  fs::path ready = dir_.path() / "ready";
  fs::path go = dir_.path() / "go";
  std::string script = "touch " + ready.string() + "; while [ ! -e " + go.string() +
                       " ]; do sleep 0.01; done; exit 42";
  LaunchedProcess launched;
  {
    std::unique_ptr<Launcher> launcher = MakeLauncher();  // the server before its restart
    Result<LaunchedProcess> started = launcher->Launch(Spec({"sh", "-c", script}));
    ASSERT_TRUE(started.ok()) << started.status().message();
    launched = *started;
  }
  ASSERT_TRUE(WaitForFile(ready));
  // The restarted server: finds the process through the pid file and watches it.
  std::optional<AttemptProcess> found = ClaimAttemptPidFile(pid_file_);
  ASSERT_EQ(found, (AttemptProcess{launched.pid, launched.start_ticks}));
  ASSERT_TRUE(IsProcessAlive(found->pid, found->start_ticks));
  ExitRecorder reattached_exits;
  ReattachedAttempts reattached(reattached_exits.Callback(), 5ms);
  reattached.Watch(found->pid, found->start_ticks, exit_file_);
  std::ofstream(go.string()) << "";
  std::optional<ProcessExit> exit = reattached_exits.WaitFor(launched.pid);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 42);
  EXPECT_EQ(exit->term_signal, 0);
  EXPECT_EQ(reattached.watched(), 0u);
  EXPECT_TRUE(exits_.All().empty()) << "the first launcher was gone before the exit";
  waitpid(launched.pid, nullptr, 0);  // this test process is the shim's parent: reap it
}

TEST_F(ShimmedAttemptTest, AShimKilledWithItsCommandCountsAsKilledBySigkill) {
  fs::path ready = dir_.path() / "ready";
  LaunchedProcess launched;
  {
    std::unique_ptr<Launcher> launcher = MakeLauncher();
    Result<LaunchedProcess> started =
        launcher->Launch(Spec({"sh", "-c", "touch " + ready.string() + "; exec sleep 60"}));
    ASSERT_TRUE(started.ok()) << started.status().message();
    launched = *started;
  }
  ASSERT_TRUE(WaitForFile(ready));
  ExitRecorder reattached_exits;
  ReattachedAttempts reattached(reattached_exits.Callback(), 5ms);
  reattached.Watch(launched.pid, launched.start_ticks, exit_file_);
  ASSERT_EQ(kill(-launched.pid, SIGKILL), 0);
  std::optional<ProcessExit> exit = reattached_exits.WaitFor(launched.pid);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 137);
  EXPECT_EQ(exit->term_signal, SIGKILL);
  EXPECT_FALSE(fs::exists(exit_file_));
  waitpid(launched.pid, nullptr, 0);
}

TEST(IsProcessAliveTest, OnlyTheSameProcessStillRunning) {
  EXPECT_TRUE(IsProcessAlive(getpid(), ReadProcessStartTicks(getpid())));
  EXPECT_FALSE(IsProcessAlive(getpid(), ReadProcessStartTicks(getpid()) + 1));
  EXPECT_FALSE(IsProcessAlive(getpid(), 0));
  pid_t child = fork();
  if (child == 0) _exit(0);
  int64_t ticks = ReadProcessStartTicks(child);
  // Exited, not reaped yet: a zombie is not alive.
  siginfo_t info{};
  ASSERT_EQ(waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT), 0);
  EXPECT_FALSE(IsProcessAlive(child, ticks));
  waitpid(child, nullptr, 0);
}

// Not a test: measures spawn throughput. Run with --gtest_also_run_disabled_tests.
TEST(ProcessLauncherBenchmark, DISABLED_SpawnRateOfTrue) {
  // Plain, and under the attempt shim with its pid and exit files (as `gleaner up` launches),
  // back to back; the files go to the temporary directory's file system.
  for (bool shimmed : {false, true}) {
    for (int threads : {1, 2, 4}) {
      TempDir files;
      ExitRecorder exits;
      std::unique_ptr<Launcher> launcher =
          MakeProcessLauncher(exits.Callback(), {.use_pidfd = true,
                                                 .sweep_interval = 50ms,
                                                 .run_as_executable = "",
                                                 .attempt_shim_executable = GLEANER_ATTEMPT_SHIM});
      constexpr int kLaunches = 4000;
      auto start = std::chrono::steady_clock::now();
      std::vector<std::thread> workers;
      for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
          LaunchSpec spec{.argv = {"/bin/true"},
                          .environment = {},
                          .working_directory = {},
                          .log_path = "/dev/null",
                          .user = "",
                          .exit_file = "",
                          .pid_file = "",
                          .network_namespace = "",
                          .resolv_conf = "",
                          .container = {},
                          .on_progress = {},
                          .prepare = {}};
          for (int i = 0; i < kLaunches / threads; ++i) {
            if (shimmed) {
              std::string name = (files.path() / std::to_string(t * kLaunches + i)).string();
              spec.exit_file = name + ".exit";
              spec.pid_file = name + ".pid";
            }
            if (!launcher->Launch(spec).ok()) std::abort();
          }
        });
      }
      for (std::thread& worker : workers) worker.join();
      std::chrono::duration<double> launched = std::chrono::steady_clock::now() - start;
      ASSERT_TRUE(exits.WaitForCount(kLaunches));
      std::chrono::duration<double> reaped = std::chrono::steady_clock::now() - start;
      std::cout << (shimmed ? "shim, " : "plain, ") << threads
                << " thread(s): " << kLaunches / launched.count() << " launches/s, "
                << kLaunches / reaped.count() << " launched+reaped/s\n";
    }
  }
}

}  // namespace
}  // namespace gleaner
