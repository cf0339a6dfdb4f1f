#include "agent/agent_test_support.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <chrono>

#include "agent/attempt_command.h"
#include "runtime/launcher.h"

extern char** environ;

namespace gleaner {

namespace fs = std::filesystem;

AgentTest::AgentTest() {
  std::string pattern = (fs::temp_directory_path() / "gleaner-agent-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) std::abort();
  directory_ = fs::canonical(pattern);
}

AgentTest::~AgentTest() {
  if (thread_.joinable()) (void)StopAgent();
  for (const AttemptReport& running : leftovers_) {
    KillOrphanedGroup(static_cast<pid_t>(running.pid), running.start_ticks);
    // Shims of a stopped agent are still this process's children.
    waitpid(static_cast<pid_t>(running.pid), nullptr, WNOHANG);
  }
  std::error_code ignored;
  fs::remove_all(directory_, ignored);
}

AgentOptions AgentTest::Options(const std::string& server_url) const {
  std::vector<std::string> environment;
  for (char** variable = environ; *variable != nullptr; ++variable) {
    environment.emplace_back(*variable);
  }
  AgentOptions options;
  options.server = server_url;
  options.cluster = "agents_Batch_0123";
  options.hostname = "test-host";
  options.resources = {.millivcpus = 2000, .memory_mib = 1024, .gpus = 0};
  options.work_directory = work_dir().string();
  // This test binary doubles as the shim (agent_test_main.cc), as the gleaner binary does.
  options.shim_executable = fs::read_symlink("/proc/self/exe").string();
  options.inherited_environment = InheritedEnvironment(environment);
  return options;
}

void AgentTest::StartAgent(AgentOptions options) {
  {
    std::lock_guard lock(mutex_);
    result_.reset();
    joined_.reset();
  }
  agent_ = std::make_unique<AgentDaemon>(std::move(options));
  thread_ = std::thread([this] {
    Status result = agent_->Run([this](const AgentRegistered& registered) {
      std::lock_guard lock(mutex_);
      joined_ = registered;
    });
    std::lock_guard lock(mutex_);
    result_ = result;
  });
}

Status AgentTest::StopAgent() {
  agent_->Stop();
  thread_.join();
  agent_.reset();
  std::lock_guard lock(mutex_);
  return *result_;
}

Status AgentTest::WaitForAgentToEnd() {
  thread_.join();
  agent_.reset();
  std::lock_guard lock(mutex_);
  return *result_;
}

std::optional<AgentRegistered> AgentTest::Joined() {
  std::lock_guard lock(mutex_);
  return joined_;
}

AttemptAssignment AgentTest::Assignment(const std::string& job_id, std::vector<std::string> argv,
                                        std::vector<std::string> environment) {
  AttemptAssignment assignment;
  assignment.key = {.job_id = job_id, .attempt = 1};
  assignment.argv = std::move(argv);
  assignment.environment = std::move(environment);
  assignment.log_stream_name = StreamOf(job_id);
  return assignment;
}

}  // namespace gleaner
