// `gleaner agent --runtime container` against a real engine (podman, from
// scripts/install-deps.sh) in a store of the test's own: assignments run in their image, their
// exits carry AWS's reasons, and an agent restarted meanwhile signals and concludes its
// containers again.

#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "agent/agent_test_support.h"
#include "agent/fake_agent_server.h"
#include "runtime/command_runner.h"
#include "runtime/container_arguments.h"
#include "runtime/container_test_store.h"

namespace gleaner {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kOutOfMemory = "OutOfMemoryError: Container killed due to memory usage";

class AgentContainerTest : public AgentTest {
 protected:
  static void SetUpTestSuite() {
    store_ = new ContainerTestSuiteStore("gleaner-agent-container-test");
  }
  static void TearDownTestSuite() { delete store_; }

  void SetUp() override { store_->RequireEngine(); }

  AgentOptions ContainerOptions(const FakeAgentServer& server) const {
    AgentOptions options = Options(server);
    options.container_engine = store_->engine();
    options.container_engine->owner = work_dir().string();
    options.image_pull_policy = ImagePullPolicy::kPreferCached;
    return options;
  }

  static AttemptAssignment ContainerAssignment(const std::string& job_id,
                                               std::vector<std::string> command) {
    AttemptAssignment assignment = Assignment(job_id, command, {"GREETING=hello"});
    ContainerSpec container;
    container.image = kContainerTestImage;
    container.name = "chosen-by-the-server";  // the agent names its containers itself
    container.has_command = !command.empty();
    container.environment = assignment.environment;
    assignment.container = container;
    return assignment;
  }

  // The containers of this store named like the attempt's.
  static std::string ContainersNamed(const AttemptKey& key) {
    Result<CommandOutput> listed =
        RunCommand({store_->engine().program, "ps", "--all", "--format", "{{.Names}}", "--filter",
                    "name=" + ContainerNameFor(key.job_id, key.attempt)},
                   OwnEnvironmentWith(store_->engine().environment), 60s);
    return listed.ok() ? listed->out : "podman ps failed";
  }

  static ContainerTestSuiteStore* store_;
};

ContainerTestSuiteStore* AgentContainerTest::store_ = nullptr;

TEST_F(AgentContainerTest, AnImageWithoutACommandRunsItsCmd) {
  FakeAgentServer server;
  StartAgent(ContainerOptions(server));
  server.Assign(ContainerAssignment("job-cmd", {}));
  AttemptKey key{.job_id = "job-cmd", .attempt = 1};
  ASSERT_TRUE(server.WaitFor(
      [&](const auto& s) { return s.FirstReportOf(key, AttemptState::kExited).has_value(); }));
  server.WaitFor([&](const auto& s) {
    AttemptReport exited = *s.FirstReportOf(key, AttemptState::kExited);
    EXPECT_EQ(exited.exit_code, 0);
    EXPECT_EQ(exited.reason, "");
    EXPECT_EQ(s.logs_at_exit.at(StreamOf("job-cmd")), "hello from CMD\n");
    return true;
  });
  EXPECT_EQ(ContainersNamed(key), "");  // removed once concluded
}

TEST_F(AgentContainerTest, TheCommandRunsInTheImageWithTheJobsVariables) {
  FakeAgentServer server;
  StartAgent(ContainerOptions(server));
  server.Assign(ContainerAssignment(
      "job-env", {"sh", "-c", "echo \"$GREETING from $(cat /etc/passwd | head -1)\"; exit 5"}));
  AttemptKey key{.job_id = "job-env", .attempt = 1};
  ASSERT_TRUE(server.WaitFor(
      [&](const auto& s) { return s.FirstReportOf(key, AttemptState::kExited).has_value(); }));
  server.WaitFor([&](const auto& s) {
    EXPECT_EQ(s.FirstReportOf(key, AttemptState::kExited)->exit_code, 5);
    // The image's own /etc/passwd: the container's, not this machine's.
    EXPECT_EQ(s.logs_at_exit.at(StreamOf("job-env")), "hello from root:x:0:0:root:/:/bin/sh\n");
    return true;
  });
}

TEST_F(AgentContainerTest, AMemoryHogIsReportedWithAwsOutOfMemoryReason) {
  FakeAgentServer server;
  StartAgent(ContainerOptions(server));
  AttemptAssignment hog = ContainerAssignment(
      "job-oom", {"sh", "-c", "head -c 300000000 /dev/zero | tr '\\0' a | sort"});
  hog.container->memory_mib = 32;
  server.Assign(hog);
  AttemptKey key{.job_id = "job-oom", .attempt = 1};
  ASSERT_TRUE(server.WaitFor(
      [&](const auto& s) { return s.FirstReportOf(key, AttemptState::kExited).has_value(); }));
  server.WaitFor([&](const auto& s) {
    AttemptReport exited = *s.FirstReportOf(key, AttemptState::kExited);
    EXPECT_EQ(exited.exit_code, 137);
    EXPECT_EQ(exited.reason, kOutOfMemory);
    return true;
  });
}

TEST_F(AgentContainerTest, AnImageThatCannotBePulledIsALaunchFailure) {
  FakeAgentServer server;
  StartAgent(ContainerOptions(server));
  AttemptAssignment missing = ContainerAssignment("job-pull", {"true"});
  missing.container->image = "localhost/gleaner-no-such-image:never";
  server.Assign(missing);
  AttemptKey key{.job_id = "job-pull", .attempt = 1};
  ASSERT_TRUE(server.WaitFor([&](const auto& s) {
    return s.FirstReportOf(key, AttemptState::kLaunchFailed).has_value();
  }));
  server.WaitFor([&](const auto& s) {
    std::string reason = s.FirstReportOf(key, AttemptState::kLaunchFailed)->reason;
    EXPECT_EQ(reason.rfind("CannotPullContainerError: ", 0), 0u) << reason;
    return true;
  });
}

TEST_F(AgentContainerTest, ARestartedAgentSignalsAndConcludesItsContainerAgain) {
  AttemptKey key{.job_id = "job-reattached", .attempt = 1};
  {
    FakeAgentServer server;
    StartAgent(ContainerOptions(server));
    server.Assign(ContainerAssignment("job-reattached",
                                      {"sh", "-c", "echo ready; while true; do sleep 0.1; done"}));
    ASSERT_TRUE(server.WaitFor([&](const auto& s) {
      return s.FirstReportOf(key, AttemptState::kRunning).has_value() &&
             s.logs.contains(StreamOf(key.job_id));
    }));
    EXPECT_TRUE(StopAgent().ok());
  }
  EXPECT_NE(ContainersNamed(key), "");  // it outlived its agent
  FakeAgentServer server;
  StartAgent(ContainerOptions(server));
  ASSERT_TRUE(server.WaitFor([&](const auto& s) {
    return !s.registrations.empty() && s.LastReportOf(key).has_value() &&
           s.LastReportOf(key)->state == AttemptState::kRunning;
  }));
  // SIGKILL to the attempt's process group would leave the container running: the re-attached
  // attempt's signal must go to the container itself.
  server.Signal(key, SIGKILL);
  ASSERT_TRUE(server.WaitFor(
      [&](const auto& s) { return s.FirstReportOf(key, AttemptState::kExited).has_value(); }));
  server.WaitFor([&](const auto& s) {
    AttemptReport exited = *s.FirstReportOf(key, AttemptState::kExited);
    EXPECT_EQ(exited.exit_code, 137);
    EXPECT_EQ(exited.reason, "");  // killed, not out of memory
    return true;
  });
  EXPECT_EQ(ContainersNamed(key), "");  // concluded: removed
}

TEST_F(AgentTest, AProcessAgentCannotRunAJobWithoutACommand) {
  FakeAgentServer server;
  StartAgent(server);
  AttemptAssignment image_only = Assignment("job-image-only", {});
  image_only.container = ContainerSpec();
  image_only.container->image = "hello-world";
  server.Assign(image_only);
  AttemptKey key{.job_id = "job-image-only", .attempt = 1};
  ASSERT_TRUE(server.WaitFor([&](const auto& s) {
    return s.FirstReportOf(key, AttemptState::kLaunchFailed).has_value();
  }));
  server.WaitFor([&](const auto& s) {
    std::string reason = s.FirstReportOf(key, AttemptState::kLaunchFailed)->reason;
    EXPECT_NE(reason.find("the job has no command"), std::string::npos) << reason;
    EXPECT_NE(reason.find("--runtime container"), std::string::npos) << reason;
    return true;
  });
}

}  // namespace
}  // namespace gleaner
