#include "agent/agent_daemon.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "agent/agent_test_support.h"
#include "agent/attempt_record.h"
#include "agent/fake_agent_server.h"

namespace gleaner {
namespace {

namespace fs = std::filesystem;

bool Reported(const FakeAgentServer& server, const AttemptKey& key, AttemptState state) {
  return server.FirstReportOf(key, state).has_value();
}

using AgentDaemonTest = AgentTest;

TEST_F(AgentDaemonTest, RunsAnAssignmentShipsItsOutputAndReportsItsExit) {
  FakeAgentServer server;
  StartAgent(server);
  ASSERT_TRUE(server.WaitFor([](const auto& s) { return !s.registrations.empty(); }));
  server.Assign(Assignment("job-1",
                           {"sh", "-c", "echo \"$GREETING from $(pwd)\"; echo oops >&2; exit 3"},
                           {"GREETING=hello"}));
  AttemptKey key{.job_id = "job-1", .attempt = 1};
  ASSERT_TRUE(
      server.WaitFor([&](const auto& s) { return Reported(s, key, AttemptState::kExited); }));

  // Its own working directory, removed with its files when it is forgotten.
  std::string expected_log =
      "hello from " + (work_dir() / "work" / AttemptFileName(key)).string() + "\noops\n";
  ASSERT_TRUE(server.WaitFor([&](const auto& s) {
    AttemptReport exited = *s.FirstReportOf(key, AttemptState::kExited);
    EXPECT_EQ(exited.exit_code, 3);
    EXPECT_EQ(exited.signal, 0);
    // Its whole output was shipped before it was reported EXITED.
    EXPECT_EQ(s.logs_at_exit.at(StreamOf("job-1")), expected_log);
    // It was reported RUNNING first, with the shim's pid.
    EXPECT_GT(s.FirstReportOf(key, AttemptState::kRunning)->pid, 0);
    const AgentRegistration& registration = s.registrations.front();
    EXPECT_EQ(registration.cluster, "agents_Batch_0123");
    EXPECT_EQ(registration.instance_id, "");
    EXPECT_EQ(registration.hostname, "test-host");
    EXPECT_EQ(registration.resources.millivcpus, 2000);
    EXPECT_TRUE(registration.attempts.empty());
    return true;
  }));
  // Acknowledged: forgotten (no record, no exit file), but the log stays.
  ASSERT_TRUE(server.WaitFor(
      [&](const auto& s) { return !s.reports.empty() && s.reports.back().attempts.empty(); }));
  EXPECT_FALSE(fs::exists(work_dir() / "attempts" / (AttemptFileName(key) + ".json")));
  EXPECT_FALSE(fs::exists(work_dir() / "attempts" / (AttemptFileName(key) + ".exit")));
  EXPECT_FALSE(fs::exists(work_dir() / "work" / AttemptFileName(key)));
  EXPECT_TRUE(fs::exists(work_dir() / "logs" / StreamOf("job-1")));

  ASSERT_TRUE(Joined().has_value());
  EXPECT_EQ(Joined()->instance_id, FakeAgentServer::kInstanceId);
  EXPECT_TRUE(StopAgent().ok());
  std::ifstream state(work_dir() / "agent.json");
  std::string text((std::istreambuf_iterator<char>(state)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find(FakeAgentServer::kInstanceId), std::string::npos);
}

TEST_F(AgentDaemonTest, ACommandThatCannotBeFoundIsALaunchFailure) {
  FakeAgentServer server;
  StartAgent(server);
  server.Assign(Assignment("job-missing", {"gleaner-no-such-command"}, {"PATH=/bin"}));
  AttemptKey key{.job_id = "job-missing", .attempt = 1};
  ASSERT_TRUE(
      server.WaitFor([&](const auto& s) { return Reported(s, key, AttemptState::kLaunchFailed); }));
  ASSERT_TRUE(server.WaitFor([&](const auto& s) {
    EXPECT_EQ(s.FirstReportOf(key, AttemptState::kLaunchFailed)->reason,
              "CannotStartContainerError: command \"gleaner-no-such-command\" not found in PATH "
              "\"/bin\"");
    EXPECT_FALSE(Reported(s, key, AttemptState::kRunning));
    return true;
  }));
}

TEST_F(AgentDaemonTest, SignalsFromPollsAndReportRepliesGoToTheAttemptsProcessGroup) {
  FakeAgentServer server;
  StartAgent(server);
  AttemptKey polled{.job_id = "job-polled", .attempt = 1};
  AttemptKey replied{.job_id = "job-replied", .attempt = 1};
  server.Assign(Assignment(polled.job_id, {"sleep", "30"}));
  server.Assign(Assignment(replied.job_id, {"sh", "-c", "sleep 30; echo not reached"}));
  ASSERT_TRUE(server.WaitFor([&](const auto& s) {
    return Reported(s, polled, AttemptState::kRunning) &&
           Reported(s, replied, AttemptState::kRunning);
  }));
  server.Signal(polled, SIGTERM);
  server.SignalInReportReply(replied, SIGKILL);
  // A signal for an attempt the agent does not hold is ignored.
  server.Signal({.job_id = "job-unknown", .attempt = 1}, SIGTERM);
  ASSERT_TRUE(server.WaitFor([&](const auto& s) {
    return Reported(s, polled, AttemptState::kExited) &&
           Reported(s, replied, AttemptState::kExited);
  }));
  ASSERT_TRUE(server.WaitFor([&](const auto& s) {
    AttemptReport terminated = *s.FirstReportOf(polled, AttemptState::kExited);
    EXPECT_EQ(terminated.signal, SIGTERM);
    EXPECT_EQ(terminated.exit_code, 128 + SIGTERM);
    AttemptReport killed = *s.FirstReportOf(replied, AttemptState::kExited);
    EXPECT_EQ(killed.signal, SIGKILL);
    EXPECT_EQ(killed.exit_code, 128 + SIGKILL);
    return true;
  }));
}

TEST_F(AgentDaemonTest, RegistersAgainWithTheSameIdAndItsAttemptsWhenTheServerForgetsIt) {
  FakeAgentServer server;
  StartAgent(server);
  AttemptKey key{.job_id = "job-long", .attempt = 1};
  server.Assign(Assignment(key.job_id, {"sleep", "30"}));
  ASSERT_TRUE(
      server.WaitFor([&](const auto& s) { return Reported(s, key, AttemptState::kRunning); }));
  server.ForgetAgents();
  ASSERT_TRUE(server.WaitFor([](const auto& s) { return s.registrations.size() == 2; }));
  ASSERT_TRUE(server.WaitFor([&](const auto& s) {
    EXPECT_GE(s.requests_refused_as_unregistered, 1);
    const AgentRegistration& again = s.registrations.back();
    EXPECT_EQ(again.instance_id, FakeAgentServer::kInstanceId);
    EXPECT_EQ(again.attempts, std::vector<AttemptKey>{key});
    return true;
  }));
  // It goes on: a report after the registration still lists the attempt as running.
  size_t reports_before = 0;
  server.WaitFor([&](const auto& s) {
    reports_before = s.reports.size();
    return true;
  });
  ASSERT_TRUE(server.WaitFor([&](const auto& s) {
    return s.reports.size() > reports_before &&
           s.LastReportOf(key)->state == AttemptState::kRunning;
  }));
  server.WaitFor([&](const auto& s) {
    KillAtEnd(*s.LastReportOf(key));
    return true;
  });
}

TEST_F(AgentDaemonTest, SendsTheTokenWithEveryRequest) {
  FakeAgentServer server;
  AgentOptions options = Options(server);
  options.token = "secret";
  StartAgent(options);
  server.Assign(Assignment("job-token", {"sh", "-c", "echo logged"}));
  AttemptKey key{.job_id = "job-token", .attempt = 1};
  ASSERT_TRUE(
      server.WaitFor([&](const auto& s) { return Reported(s, key, AttemptState::kExited); }));
  EXPECT_TRUE(StopAgent().ok());
  ASSERT_GE(server.authorizations.size(), 4u);  // register, poll, logs, report
  for (const std::string& authorization : server.authorizations) {
    EXPECT_EQ(authorization, "Bearer secret");
  }
  // Every request after the first registration proves the instance id is this agent's.
  ASSERT_GE(server.credentials.size(), 4u);
  EXPECT_EQ(server.credentials.front().second, "");  // it had no id yet
  for (size_t i = 1; i < server.credentials.size(); ++i) {
    EXPECT_EQ(server.credentials[i].second, FakeAgentServer::kAgentCredential)
        << server.credentials[i].first;
  }
}

TEST_F(AgentDaemonTest, ARefusedRegistrationEndsTheAgentWithTheServersMessage) {
  FakeAgentServer server;
  server.RejectRegistrations("Cluster agents_Batch_0123 does not exist");
  StartAgent(server);
  Status result = WaitForAgentToEnd();
  EXPECT_EQ(result.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(result.message().find("Cluster agents_Batch_0123 does not exist"), std::string::npos);
  EXPECT_FALSE(Joined().has_value());
}

TEST_F(AgentDaemonTest, RetriesTheRegistrationUntilTheServerCanBeReached) {
  // A listener that hangs up on the agent's first attempt, then frees the port for the server.
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  int yes = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), length), 0);
  ASSERT_EQ(listen(listener, 4), 0);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  uint16_t port = ntohs(address.sin_port);

  StartAgent(Options("http://127.0.0.1:" + std::to_string(port)));
  pollfd waiting{.fd = listener, .events = POLLIN, .revents = 0};
  ASSERT_EQ(poll(&waiting, 1, 30'000), 1);
  close(accept(listener, nullptr, nullptr));
  close(listener);
  EXPECT_FALSE(Joined().has_value());

  FakeAgentServer server(port);
  ASSERT_TRUE(server.WaitFor([](const auto& s) { return !s.registrations.empty(); }));
  ASSERT_TRUE(server.WaitFor([](const auto& s) { return !s.reports.empty(); }));
  EXPECT_TRUE(StopAgent().ok());
  EXPECT_TRUE(Joined().has_value());
}

TEST_F(AgentDaemonTest, StopsWhileTheServerCannotBeReached) {
  AgentOptions options;
  {
    FakeAgentServer placeholder;
    options = Options(placeholder);
  }
  StartAgent(options);
  EXPECT_TRUE(StopAgent().ok());
  EXPECT_FALSE(Joined().has_value());
}

}  // namespace
}  // namespace gleaner
