#include "runtime/attempt_shim.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "runtime/launcher.h"

namespace gleaner {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Waits are for events that do happen; the timeout only turns a bug into a failure, not a hang.
constexpr auto kSafetyTimeout = 30s;

CommandOutcome Exited(int exit_code) {
  CommandOutcome outcome;
  outcome.exit_code = exit_code;
  return outcome;
}

CommandOutcome Killed(int signal_number) {
  CommandOutcome outcome;
  outcome.exit_code = 128 + signal_number;
  outcome.term_signal = signal_number;
  return outcome;
}

CommandOutcome LaunchFailed(int exit_code, std::string reason) {
  CommandOutcome outcome = Exited(exit_code);
  outcome.launch_failure = std::move(reason);
  return outcome;
}

class AttemptShimTest : public testing::Test {
 protected:
  AttemptShimTest() {
    std::string pattern = (fs::temp_directory_path() / "gleaner-shim-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    directory_ = pattern;
    exit_file_ = (directory_ / "attempt.exit").string();
  }
  ~AttemptShimTest() override {
    std::error_code ignored;
    fs::remove_all(directory_, ignored);
  }

  // Runs the shim in a child process leading its own process group, as the agent's launcher
  // starts it, with stdout and stderr in `output.log`.
  pid_t StartShim(const std::vector<std::string>& argv, const std::string& pid_file = "") {
    std::string log = (directory_ / "output.log").string();
    pid_t pid = fork();
    if (pid == 0) {
      setpgid(0, 0);
      FILE* out = std::freopen(log.c_str(), "a", stdout);
      if (out == nullptr || dup2(STDOUT_FILENO, STDERR_FILENO) < 0) _exit(99);
      _exit(RunAttemptShim(exit_file_, argv, pid_file));
    }
    setpgid(pid, pid);  // also from here, so the group exists before the test signals it
    return pid;
  }

  static int WaitForExit(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) return -1;
    }
    return status;
  }

  std::optional<CommandOutcome> Outcome() const { return ReadAttemptOutcome(exit_file_); }

  std::string Output() const {
    std::ifstream in(directory_ / "output.log");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  bool WaitForFile(const fs::path& path) const {
    auto deadline = std::chrono::steady_clock::now() + kSafetyTimeout;
    while (!fs::exists(path)) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(10ms);
    }
    return true;
  }

  fs::path directory_;
  std::string exit_file_;
};

TEST(AttemptOutcomeTest, FormatsAndParsesTheExitFile) {
  EXPECT_EQ(FormatAttemptOutcome(Exited(3)), "3 0\n");
  EXPECT_EQ(FormatAttemptOutcome(Killed(15)), "143 15\n");
  EXPECT_EQ(FormatAttemptOutcome(LaunchFailed(127, "cannot start\ncommand")),
            "127 0 launch-failed: cannot start command\n");

  EXPECT_EQ(ParseAttemptOutcome("3 0\n"), Exited(3));
  EXPECT_EQ(ParseAttemptOutcome("137 9"), Killed(9));
  EXPECT_EQ(ParseAttemptOutcome("127 0 launch-failed: no such file\n"),
            LaunchFailed(127, "no such file"));
  EXPECT_EQ(ParseAttemptOutcome(""), std::nullopt);
  EXPECT_EQ(ParseAttemptOutcome("3"), std::nullopt);
  EXPECT_EQ(ParseAttemptOutcome("3 x"), std::nullopt);
  EXPECT_EQ(ParseAttemptOutcome("3 0 something else"), std::nullopt);
  EXPECT_EQ(ParseAttemptOutcome("3 -1"), std::nullopt);
}

TEST(AttemptOutcomeTest, ShimArgvPutsTheCommandAfterTheSeparator) {
  EXPECT_EQ(AttemptShimArgv("/bin/gleaner", "/w/a.exit", {"sh", "-c", "exit 3"}),
            (std::vector<std::string>{"/bin/gleaner", "attempt-shim", "--exit-file", "/w/a.exit",
                                      "--", "sh", "-c", "exit 3"}));
}

TEST(AttemptOutcomeTest, ShimArgvNamesThePidFileWhenThereIsOne) {
  EXPECT_EQ(AttemptShimArgv("/bin/gleaner", "/w/a.exit", {"true"}, "/w/a.pid"),
            (std::vector<std::string>{"/bin/gleaner", "attempt-shim", "--exit-file", "/w/a.exit",
                                      "--pid-file", "/w/a.pid", "--", "true"}));
}

TEST(AttemptOutcomeTest, ShimArgvNamesTheNetworkAndItsResolver) {
  EXPECT_EQ(AttemptShimArgv("/bin/gleaner", "/w/a.exit", {"true"}, "",
                            {.network_namespace = "/proc/9/fd/4", .resolv_conf = "/d/resolv.conf"}),
            (std::vector<std::string>{"/bin/gleaner", "attempt-shim", "--exit-file", "/w/a.exit",
                                      "--network-namespace", "/proc/9/fd/4", "--resolv-conf",
                                      "/d/resolv.conf", "--", "true"}));
}

TEST_F(AttemptShimTest, WritesItsPidFileBeforeTheCommandStarts) {
  std::string pid_file = (directory_ / "attempt.pid").string();
  fs::path ready = directory_ / "ready";
  fs::path go = directory_ / "go";
  pid_t pid = StartShim(
      {"sh", "-c",
       "touch " + ready.string() + "; while [ ! -e " + go.string() + " ]; do sleep 0.01; done"},
      pid_file);
  ASSERT_TRUE(WaitForFile(ready));
  // The command runs: the claim finds the shim's own file and names the shim.
  std::optional<AttemptProcess> process = ClaimAttemptPidFile(pid_file);
  ASSERT_TRUE(process.has_value());
  EXPECT_EQ(process->pid, pid);
  EXPECT_EQ(process->start_ticks, ReadProcessStartTicks(pid));
  EXPECT_TRUE(IsProcessAlive(process->pid, process->start_ticks));
  std::ofstream(go.string()) << "";
  int status = WaitForExit(pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(Outcome(), Exited(0));
  EXPECT_EQ(ClaimAttemptPidFile(pid_file), process) << "the file keeps naming the shim";
}

TEST_F(AttemptShimTest, AnAttemptGivenUpBeforeItsShimStartedNeverRuns) {
  std::string pid_file = (directory_ / "attempt.pid").string();
  EXPECT_EQ(ClaimAttemptPidFile(pid_file), std::nullopt) << "no shim: the server gives it up";
  fs::path ran = directory_ / "ran";
  int status = WaitForExit(StartShim({"touch", ran.string()}, pid_file));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), kAttemptGivenUpExitCode);
  EXPECT_FALSE(fs::exists(ran));
  EXPECT_EQ(Outcome(), std::nullopt);
  EXPECT_EQ(ClaimAttemptPidFile(pid_file), std::nullopt) << "a second claim finds it given up";
  EXPECT_NE(Output().find("given up"), std::string::npos);
  for (const auto& entry : fs::directory_iterator(directory_)) {
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
  }
}

TEST_F(AttemptShimTest, RecordsAndMirrorsAnExitCode) {
  int status = WaitForExit(StartShim({"sh", "-c", "echo hello; exit 3"}));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
  EXPECT_EQ(Outcome(), Exited(3));
  EXPECT_EQ(Output(), "hello\n");
  EXPECT_FALSE(fs::exists(exit_file_ + ".tmp"));
}

TEST_F(AttemptShimTest, RecordsAndMirrorsTheSignalThatKilledTheCommand) {
  int status = WaitForExit(StartShim({"sh", "-c", "kill -TERM $$"}));
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  EXPECT_EQ(Outcome(), Killed(SIGTERM));
}

TEST_F(AttemptShimTest, SurvivesASignalToTheGroupThatTheCommandHandles) {
  fs::path ready = directory_ / "ready";
  pid_t pid = StartShim({"sh", "-c",
                         "trap 'echo trapped; exit 0' TERM; touch " + ready.string() +
                             "; while :; do sleep 0.05; done"});
  ASSERT_TRUE(WaitForFile(ready));
  ASSERT_EQ(kill(-pid, SIGTERM), 0);
  int status = WaitForExit(pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(Outcome(), Exited(0));
  EXPECT_NE(Output().find("trapped"), std::string::npos);
}

TEST_F(AttemptShimTest, AGroupSignalTheCommandDoesNotHandleEndsItAndIsRecorded) {
  fs::path ready = directory_ / "ready";
  pid_t pid = StartShim({"sh", "-c", "touch " + ready.string() + "; exec sleep 30"});
  ASSERT_TRUE(WaitForFile(ready));
  ASSERT_EQ(kill(-pid, SIGINT), 0);
  int status = WaitForExit(pid);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGINT);
  EXPECT_EQ(Outcome(), Killed(SIGINT));
}

TEST_F(AttemptShimTest, AMissingCommandIsALaunchFailureWithExitCode127) {
  int status = WaitForExit(StartShim({"gleaner-no-such-command"}));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 127);
  std::optional<CommandOutcome> outcome = Outcome();
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->exit_code, 127);
  EXPECT_EQ(outcome->term_signal, 0);
  EXPECT_NE(outcome->launch_failure.find("gleaner-no-such-command"), std::string::npos);
  EXPECT_NE(Output().find("cannot start command"), std::string::npos);
}

TEST_F(AttemptShimTest, TheCommandStartsWithDefaultSignalsEvenIfTheShimIgnoredThem) {
  // SIGALRM ignored by the shim's parent, so inherited as ignored by the shim: the command gets
  // it back at its default action (a shell keeps a signal ignored on entry ignored).
  signal(SIGALRM, SIG_IGN);
  pid_t pid = StartShim({"sh", "-c", "kill -ALRM $$; exit 5"});
  signal(SIGALRM, SIG_DFL);
  int status = WaitForExit(pid);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGALRM);
}

TEST_F(AttemptShimTest, UnusableArgumentsAreAUsageError) {
  EXPECT_EQ(RunAttemptShim("", {"true"}), 2);
  EXPECT_EQ(RunAttemptShim(exit_file_, {}), 2);
  EXPECT_EQ(RunAttemptShimCommand({}), 2);
  EXPECT_EQ(RunAttemptShimCommand({"--exit-file", exit_file_, "--"}), 2);
  EXPECT_EQ(RunAttemptShimCommand({"--exit-file", exit_file_, "true"}), 2);
  EXPECT_EQ(RunAttemptShimCommand({"--exit", exit_file_, "--", "true"}), 2);
  EXPECT_EQ(RunAttemptShimCommand({"--exit-file", exit_file_, "--pid-file", "", "--", "true"}), 2);
  // A resolver belongs to a network namespace of the attempt's own.
  EXPECT_EQ(RunAttemptShimCommand({"--exit-file", exit_file_, "--resolv-conf", "/r", "--", "true"}),
            2);
  EXPECT_EQ(RunAttemptShimCommand({"--exit-file", exit_file_, "--pid-file", "p", "true"}), 2);
  EXPECT_FALSE(fs::exists(exit_file_));
}

TEST_F(AttemptShimTest, TheCommandsWordsReachItUntouched) {
  std::vector<std::string> words = {"", "[%s]", "--", "--exit-file", "-h", "a b"};
  std::vector<std::string> arguments = {"--exit-file", exit_file_, "--", "printf", "<%s>"};
  arguments.insert(arguments.end(), words.begin(), words.end());
  std::string log = (directory_ / "output.log").string();
  pid_t pid = fork();
  if (pid == 0) {
    FILE* out = std::freopen(log.c_str(), "a", stdout);
    _exit(out == nullptr ? 99 : RunAttemptShimCommand(arguments));
  }
  int status = WaitForExit(pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(Output(), "<><[%s]><--><--exit-file><-h><a b>");
}

}  // namespace
}  // namespace gleaner
