// The container launcher against a real engine (podman from Debian, installed by
// scripts/install-deps.sh), with an image made here from busybox-static: no registry is needed.
#include "runtime/container_launcher.h"

#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "common/mutex.h"
#include "runtime/command_runner.h"
#include "runtime/container_test_store.h"

namespace gleaner {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kImage = kContainerTestImage;
constexpr auto kWait = 60s;  // only turns a bug into a failure instead of a hang

std::string ReadFile(const fs::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

class ContainerLauncherTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { store_ = new ContainerTestSuiteStore("gleaner-container-test"); }
  static void TearDownTestSuite() { delete store_; }

  void SetUp() override {
    store_->RequireEngine();
    if (HasFatalFailure() || IsSkipped()) return;
    ContainerLauncherOptions options;
    options.engine = store_->engine();
    options.pull_policy = ImagePullPolicy::kPreferCached;
    options.scratch_directory = store_->scratch();
    launcher_ = MakeContainerLauncher(
        [this](const ProcessExit& exit) {
          MutexLock lock(mutex_);
          exits_[exit.pid] = exit;
          exited_.notify_all();
        },
        options);
  }

  LaunchSpec Spec(const std::string& name, std::vector<std::string> command) {
    LaunchSpec spec;
    spec.argv = std::move(command);
    spec.environment = OwnEnvironmentWith({});
    spec.log_path = (fs::path(store_->scratch()) / (name + ".log")).string();
    ContainerSpec container;
    container.image = kImage;
    container.name = "gleaner-launcher-test-" + std::to_string(getpid()) + "-" + name;
    container.has_command = !spec.argv.empty();
    spec.container = container;
    return spec;
  }

  ProcessExit WaitForExit(pid_t pid) {
    MutexLock lock(mutex_);
    bool ended = exited_.wait_for(lock.native(), kWait,
                                  [&]() GLEANER_REQUIRES(mutex_) { return exits_.count(pid) > 0; });
    EXPECT_TRUE(ended) << "no exit for " << pid;
    return ended ? exits_[pid] : ProcessExit{};
  }

  // Waits until the attempt's log has `text` (the container is then running).
  void WaitForLog(const LaunchSpec& spec, const std::string& text) {
    auto deadline = std::chrono::steady_clock::now() + kWait;
    while (ReadFile(spec.log_path).find(text) == std::string::npos) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "never logged " << text;
      std::this_thread::sleep_for(20ms);
    }
  }

  static ContainerTestSuiteStore* store_;
  std::unique_ptr<Launcher> launcher_;
  Mutex mutex_;
  std::condition_variable exited_;
  std::map<pid_t, ProcessExit> exits_ GLEANER_GUARDED_BY(mutex_);
};

ContainerTestSuiteStore* ContainerLauncherTest::store_ = nullptr;

TEST_F(ContainerLauncherTest, AnImageWithoutACommandRunsItsCmd) {
  LaunchSpec spec = Spec("cmd", {});
  Result<LaunchedProcess> launched = launcher_->Launch(spec);
  ASSERT_TRUE(launched.ok()) << launched.status().message();
  ProcessExit exit = WaitForExit(launched->pid);
  EXPECT_EQ(exit.exit_code, 0);
  EXPECT_EQ(exit.reason, "");
  EXPECT_NE(ReadFile(spec.log_path).find("hello from CMD"), std::string::npos);
}

TEST_F(ContainerLauncherTest, TheCommandSeesItsVariablesAndItsExitCodeIsTheAttempts) {
  LaunchSpec spec =
      Spec("exit", {"sh", "-c", "echo \"greeting=$GREETING\"; echo oops >&2; exit 3"});
  spec.environment.push_back("GREETING=hello there");
  spec.container->environment = {"GREETING=hello there"};
  Result<LaunchedProcess> launched = launcher_->Launch(spec);
  ASSERT_TRUE(launched.ok()) << launched.status().message();
  ProcessExit exit = WaitForExit(launched->pid);
  EXPECT_EQ(exit.exit_code, 3);
  std::string log = ReadFile(spec.log_path);
  EXPECT_NE(log.find("greeting=hello there"), std::string::npos) << log;
  EXPECT_NE(log.find("oops"), std::string::npos) << log;
}

TEST_F(ContainerLauncherTest, AMemoryHogEndsWithAwsOutOfMemoryReason) {
  LaunchSpec spec = Spec("oom", {"sh", "-c", "head -c 300000000 /dev/zero | tr '\\0' a | sort"});
  spec.container->memory_mib = 32;
  Result<LaunchedProcess> launched = launcher_->Launch(spec);
  ASSERT_TRUE(launched.ok()) << launched.status().message();
  ProcessExit exit = WaitForExit(launched->pid);
  EXPECT_EQ(exit.exit_code, 137);
  EXPECT_EQ(exit.reason, "OutOfMemoryError: Container killed due to memory usage");
}

TEST_F(ContainerLauncherTest, AnUnknownImageCannotBePulled) {
  LaunchSpec spec = Spec("pull", {"true"});
  spec.container->image = "localhost/gleaner-no-such-image:never";
  Result<LaunchedProcess> launched = launcher_->Launch(spec);
  ASSERT_FALSE(launched.ok());
  EXPECT_EQ(launched.status().message().rfind("CannotPullContainerError: ", 0), 0u)
      << launched.status().message();
}

TEST_F(ContainerLauncherTest, AMissingExecutableCannotStart) {
  LaunchSpec spec = Spec("noexec", {"/no/such/program"});
  Result<LaunchedProcess> launched = launcher_->Launch(spec);
  ASSERT_TRUE(launched.ok()) << launched.status().message();
  ProcessExit exit = WaitForExit(launched->pid);
  EXPECT_EQ(exit.reason.rfind("CannotStartContainerError: ", 0), 0u) << exit.reason;
  EXPECT_NE(exit.reason.find("/no/such/program"), std::string::npos) << exit.reason;
}

TEST_F(ContainerLauncherTest, SigtermReachesTheContainersProcess) {
  LaunchSpec spec = Spec("term", {"sh", "-c",
                                  "trap 'echo got-term; exit 42' TERM; echo ready; "
                                  "while true; do sleep 0.1; done"});
  Result<LaunchedProcess> launched = launcher_->Launch(spec);
  ASSERT_TRUE(launched.ok()) << launched.status().message();
  WaitForLog(spec, "ready");
  launcher_->SignalGroup(launched->pid, SIGTERM);
  ProcessExit exit = WaitForExit(launched->pid);
  EXPECT_EQ(exit.exit_code, 42);
  EXPECT_NE(ReadFile(spec.log_path).find("got-term"), std::string::npos);
}

TEST_F(ContainerLauncherTest, SigkillStopsTheContainerAndIsNotCalledOutOfMemory) {
  LaunchSpec spec = Spec("kill", {"sh", "-c", "echo ready; sleep 600"});
  spec.container->memory_mib = 64;
  Result<LaunchedProcess> launched = launcher_->Launch(spec);
  ASSERT_TRUE(launched.ok()) << launched.status().message();
  WaitForLog(spec, "ready");
  launcher_->SignalGroup(launched->pid, SIGKILL);
  ProcessExit exit = WaitForExit(launched->pid);
  EXPECT_EQ(exit.exit_code, 137);
  EXPECT_EQ(exit.reason, "");
}

}  // namespace
}  // namespace gleaner
