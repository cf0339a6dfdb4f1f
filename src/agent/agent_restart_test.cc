// A stopped agent leaves its attempts running; the next one, on the same work directory, takes
// them up again: running ones are re-attached, ended ones reported with their outcome.

#include <signal.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "agent/agent_test_support.h"
#include "agent/fake_agent_server.h"
#include "runtime/launcher.h"

namespace gleaner {
namespace {

namespace fs = std::filesystem;

using AgentRestartTest = AgentTest;

bool Reported(const FakeAgentServer& server, const AttemptKey& key, AttemptState state) {
  return server.FirstReportOf(key, state).has_value();
}

// A command that prints `first`, waits for `file` to exist, prints `last` and exits with `code`.
std::vector<std::string> WaitForFileThenExit(const fs::path& file, int code) {
  return {"sh", "-c",
          "echo first; while [ ! -e " + file.string() +
              " ]; do sleep 0.05; done; echo last; exit " + std::to_string(code)};
}

TEST_F(AgentRestartTest, ANewAgentTakesUpTheAttemptsOfTheOldOne) {
  AttemptKey keeps_running{.job_id = "job-keeps-running", .attempt = 1};
  AttemptKey ends_while_away{.job_id = "job-ends-while-away", .attempt = 1};
  AttemptKey killed_while_away{.job_id = "job-killed-while-away", .attempt = 1};
  fs::path release_running = directory_ / "release-running";
  fs::path release_ending = directory_ / "release-ending";
  std::vector<AttemptReport> running;
  {
    FakeAgentServer server;
    StartAgent(server);
    server.Assign(Assignment(keeps_running.job_id, WaitForFileThenExit(release_running, 7)));
    server.Assign(Assignment(ends_while_away.job_id, WaitForFileThenExit(release_ending, 4)));
    server.Assign(Assignment(killed_while_away.job_id, {"sleep", "30"}));
    ASSERT_TRUE(server.WaitFor([&](const auto& s) {
      for (const AttemptKey& key : {keeps_running, ends_while_away, killed_while_away}) {
        if (!Reported(s, key, AttemptState::kRunning)) return false;
      }
      return s.logs.contains(StreamOf(keeps_running.job_id)) &&
             s.logs.contains(StreamOf(ends_while_away.job_id));
    }));
    EXPECT_TRUE(StopAgent().ok());
    for (const AttemptKey& key : {keeps_running, ends_while_away, killed_while_away}) {
      running.push_back(*server.LastReportOf(key));
      KillAtEnd(running.back());
    }
  }
  // While no agent runs: one attempt ends, one is killed with its shim (as by SIGKILL to the
  // group), one goes on.
  for (const AttemptReport& attempt : running) {
    EXPECT_EQ(ReadProcessStartTicks(static_cast<pid_t>(attempt.pid)), attempt.start_ticks)
        << attempt.key.job_id << " stopped with the agent";
  }
  std::ofstream(release_ending).put('\n');
  ASSERT_TRUE(KillOrphanedGroup(static_cast<pid_t>(running[2].pid), running[2].start_ticks));

  FakeAgentServer server;
  StartAgent(server);
  ASSERT_TRUE(server.WaitFor([&](const auto& s) {
    return Reported(s, ends_while_away, AttemptState::kExited) &&
           Reported(s, killed_while_away, AttemptState::kExited) &&
           Reported(s, keeps_running, AttemptState::kRunning);
  }));
  ASSERT_TRUE(server.WaitFor([&](const auto& s) {
    const AgentRegistration& registration = s.registrations.front();
    EXPECT_EQ(registration.instance_id, FakeAgentServer::kInstanceId);
    EXPECT_EQ(registration.attempts.size(), 3u);
    AttemptReport ended = *s.FirstReportOf(ends_while_away, AttemptState::kExited);
    EXPECT_EQ(ended.exit_code, 4);
    EXPECT_EQ(ended.signal, 0);
    // The new server was sent the whole log, from the start (this fake holds nothing yet).
    EXPECT_EQ(s.logs_at_exit.at(StreamOf(ends_while_away.job_id)), "first\nlast\n");
    AttemptReport killed = *s.FirstReportOf(killed_while_away, AttemptState::kExited);
    EXPECT_EQ(killed.exit_code, 137);
    EXPECT_EQ(killed.signal, SIGKILL);
    AttemptReport reattached = *s.FirstReportOf(keeps_running, AttemptState::kRunning);
    EXPECT_EQ(reattached.pid, running[0].pid);
    EXPECT_EQ(reattached.start_ticks, running[0].start_ticks);
    return true;
  }));

  std::ofstream(release_running).put('\n');
  ASSERT_TRUE(server.WaitFor(
      [&](const auto& s) { return Reported(s, keeps_running, AttemptState::kExited); }));
  ASSERT_TRUE(server.WaitFor([&](const auto& s) {
    EXPECT_EQ(s.FirstReportOf(keeps_running, AttemptState::kExited)->exit_code, 7);
    EXPECT_EQ(s.logs_at_exit.at(StreamOf(keeps_running.job_id)), "first\nlast\n");
    return true;
  }));
}

TEST_F(AgentRestartTest, AnEndedAttemptIsReportedUntilTheServerAcknowledgesIt) {
  AttemptKey key{.job_id = "job-unacknowledged", .attempt = 1};
  {
    FakeAgentServer server;
    server.SetAcknowledgeEnded(false);
    StartAgent(server);
    server.Assign(Assignment(key.job_id, {"sh", "-c", "exit 5"}));
    ASSERT_TRUE(
        server.WaitFor([&](const auto& s) { return Reported(s, key, AttemptState::kExited); }));
    EXPECT_TRUE(StopAgent().ok());
  }
  FakeAgentServer server;
  StartAgent(server);
  ASSERT_TRUE(
      server.WaitFor([&](const auto& s) { return Reported(s, key, AttemptState::kExited); }));
  ASSERT_TRUE(server.WaitFor([&](const auto& s) {
    EXPECT_EQ(s.registrations.front().attempts, std::vector<AttemptKey>{key});
    EXPECT_EQ(s.FirstReportOf(key, AttemptState::kExited)->exit_code, 5);
    return true;
  }));
  // Acknowledged now: a third agent holds nothing.
  ASSERT_TRUE(server.WaitFor([&](const auto& s) { return s.reports.back().attempts.empty(); }));
  EXPECT_TRUE(StopAgent().ok());
  FakeAgentServer third;
  StartAgent(third);
  ASSERT_TRUE(third.WaitFor([](const auto& s) { return !s.registrations.empty(); }));
  third.WaitFor([](const auto& s) {
    EXPECT_TRUE(s.registrations.front().attempts.empty());
    return true;
  });
}

}  // namespace
}  // namespace gleaner
