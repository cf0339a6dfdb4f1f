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
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "runtime/command_runner.h"

namespace gleaner {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kImage = "localhost/gleaner-launcher-test:latest";
constexpr auto kWait = 60s;  // only turns a bug into a failure instead of a hang

std::string ReadFile(const fs::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// A root filesystem of busybox-static with every applet linked, imported with a CMD.
Status ImportTestImage(const ContainerEngine& engine, const fs::path& scratch) {
  fs::path root = scratch / "rootfs";
  fs::create_directories(root / "bin");
  fs::create_directories(root / "tmp");
  fs::create_directories(root / "etc");
  fs::copy_file("/bin/busybox", root / "bin/busybox", fs::copy_options::overwrite_existing);
  Result<CommandOutput> applets = RunCommand({"/bin/busybox", "--list"}, {}, 10s);
  if (!applets.ok()) return applets.status();
  std::istringstream names(applets->out);
  for (std::string name; std::getline(names, name);) {
    if (!name.empty() && name != "busybox") fs::create_symlink("busybox", root / "bin" / name);
  }
  std::ofstream(root / "etc/passwd")
      << "root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n";
  Result<CommandOutput> tar = RunCommand(
      {"tar", "-C", root.string(), "-cf", (scratch / "rootfs.tar").string(), "."}, {}, 60s);
  if (!tar.ok() || tar->exit_code != 0) return Status::Internal("tar failed");
  Result<CommandOutput> imported =
      RunCommand({engine.program, "import", "--change", "CMD [\"echo\", \"hello from CMD\"]",
                  (scratch / "rootfs.tar").string(), kImage},
                 OwnEnvironmentWith(engine.environment), 120s);
  if (!imported.ok()) return imported.status();
  if (imported->exit_code != 0) return Status::Internal("podman import: " + imported->err);
  return Status::Ok();
}

class ContainerLauncherTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scratch_ = new fs::path(fs::temp_directory_path() /
                            ("gleaner-container-test-" + std::to_string(getpid())));
    fs::create_directories(*scratch_);
    // A podman store of the test's own: the machine's images and containers stay untouched.
    std::ofstream(*scratch_ / "storage.conf")
        << "[storage]\ndriver = \"overlay\"\ngraphroot = \"" << (*scratch_ / "graph").string()
        << "\"\nrunroot = \"" << (*scratch_ / "run").string() << "\"\n";
    setenv("CONTAINERS_STORAGE_CONF", (*scratch_ / "storage.conf").c_str(), 1);
    Result<ContainerEngine> engine = FindContainerEngine(scratch_->string());
    if (!engine.ok()) {
      skip_reason_ = new std::string(engine.status().message());
      return;
    }
    engine_ = new ContainerEngine(*engine);
    Status imported = ImportTestImage(*engine_, *scratch_);
    if (!imported.ok()) skip_reason_ = new std::string(imported.message());
  }
  static void TearDownTestSuite() {
    if (engine_ != nullptr) {
      for (const char* what : {"rm", "rmi"}) {
        (void)RunCommand({engine_->program, what, "--all", "--force"},
                         OwnEnvironmentWith(engine_->environment), 120s);
      }
    }
    std::error_code ignored;
    fs::remove_all(*scratch_, ignored);
  }

  void SetUp() override {
    if (skip_reason_ != nullptr) {
      // CI installs podman and asks for these tests; elsewhere they need it.
      if (std::getenv("GLEANER_REQUIRE_CONTAINERS") != nullptr) FAIL() << *skip_reason_;
      GTEST_SKIP() << "no container engine: " << *skip_reason_;
    }
    ContainerLauncherOptions options;
    options.engine = *engine_;
    options.pull_policy = ImagePullPolicy::kPreferCached;
    options.scratch_directory = scratch_->string();
    launcher_ = MakeContainerLauncher(
        [this](const ProcessExit& exit) {
          std::lock_guard<std::mutex> lock(mutex_);
          exits_[exit.pid] = exit;
          exited_.notify_all();
        },
        options);
  }

  LaunchSpec Spec(const std::string& name, std::vector<std::string> command) {
    LaunchSpec spec;
    spec.argv = std::move(command);
    spec.environment = OwnEnvironmentWith({});
    spec.log_path = (*scratch_ / (name + ".log")).string();
    ContainerSpec container;
    container.image = kImage;
    container.name = "gleaner-launcher-test-" + std::to_string(getpid()) + "-" + name;
    container.has_command = !spec.argv.empty();
    spec.container = container;
    return spec;
  }

  ProcessExit WaitForExit(pid_t pid) {
    std::unique_lock<std::mutex> lock(mutex_);
    bool ended = exited_.wait_for(lock, kWait, [&] { return exits_.count(pid) > 0; });
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

  static fs::path* scratch_;
  static ContainerEngine* engine_;
  static std::string* skip_reason_;
  std::unique_ptr<Launcher> launcher_;
  std::mutex mutex_;
  std::condition_variable exited_;
  std::map<pid_t, ProcessExit> exits_;
};

fs::path* ContainerLauncherTest::scratch_ = nullptr;
ContainerEngine* ContainerLauncherTest::engine_ = nullptr;
std::string* ContainerLauncherTest::skip_reason_ = nullptr;

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
