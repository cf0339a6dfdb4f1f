#pragma once

// Runs an AgentDaemon against a FakeAgentServer inside a test, in a work directory of its own.

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/agent_daemon.h"
#include "agent/fake_agent_server.h"

namespace gleaner {

class AgentTest : public testing::Test {
 protected:
  AgentTest();
  ~AgentTest() override;

  AgentOptions Options(const std::string& server_url) const;
  AgentOptions Options(const FakeAgentServer& server) const { return Options(server.url()); }
  // Runs an agent on a thread of its own until StopAgent.
  void StartAgent(AgentOptions options);
  void StartAgent(const FakeAgentServer& server) { StartAgent(Options(server)); }
  // Stops the agent and returns what Run returned.
  Status StopAgent();
  // Waits until Run returned on its own, and returns what it returned.
  Status WaitForAgentToEnd();
  std::optional<AgentRegistered> Joined();

  // An assignment of attempt 1 of `job_id`, logging to "test/default/<job_id>".
  static AttemptAssignment Assignment(const std::string& job_id, std::vector<std::string> argv,
                                      std::vector<std::string> environment = {});
  static std::string StreamOf(const std::string& job_id) { return "test/default/" + job_id; }

  // Kills, at the end of the test, what attempts the agent left running.
  void KillAtEnd(const AttemptReport& running) { leftovers_.push_back(running); }

  std::filesystem::path directory_;  // a temporary directory: work/ is the agent's work dir
  std::filesystem::path work_dir() const { return directory_ / "agent"; }

 private:
  std::unique_ptr<AgentDaemon> agent_;
  std::thread thread_;
  std::mutex mutex_;
  std::optional<Status> result_;
  std::optional<AgentRegistered> joined_;
  std::vector<AttemptReport> leftovers_;
};

}  // namespace gleaner
