#include "api/agent_protocol.h"

#include <gtest/gtest.h>

namespace gleaner {
namespace {

TEST(AgentProtocolTest, RegistrationRoundTrips) {
  AgentRegistration registration;
  registration.cluster = "spot-block_Batch_1234";
  registration.instance_id = "i-0123456789abcdef0";
  registration.hostname = "worker-1";
  registration.resources = Resources{4000, 16384, 1};
  registration.attempts = {{"job-a", 1}, {"job-b:3", 2}};
  auto decoded = DecodeAgentRegistration(EncodeAgentRegistration(registration));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(decoded->cluster, registration.cluster);
  EXPECT_EQ(decoded->instance_id, registration.instance_id);
  EXPECT_EQ(decoded->hostname, "worker-1");
  EXPECT_EQ(decoded->resources, registration.resources);
  EXPECT_EQ(decoded->attempts, registration.attempts);
}

TEST(AgentProtocolTest, RegistrationNeedsClusterAndResources) {
  auto missing_cluster = DecodeAgentRegistration(R"({"resources": {"millivcpus": 1000}})");
  ASSERT_FALSE(missing_cluster.ok());
  EXPECT_NE(missing_cluster.status().message().find("cluster"), std::string::npos);
  auto missing_resources = DecodeAgentRegistration(R"({"cluster": "c"})");
  ASSERT_FALSE(missing_resources.ok());
  EXPECT_NE(missing_resources.status().message().find("resources"), std::string::npos);
  EXPECT_FALSE(DecodeAgentRegistration("not json").ok());
}

TEST(AgentProtocolTest, RegistrationCarriesTheAdvertisedAddress) {
  AgentRegistration registration;
  registration.cluster = "fleet";
  registration.private_ipv4_address = "10.0.1.17";
  auto decoded = DecodeAgentRegistration(EncodeAgentRegistration(registration));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(decoded->private_ipv4_address, "10.0.1.17");
  auto bad = DecodeAgentRegistration(
      R"({"cluster": "fleet", "resources": {}, "privateIpv4Address": "10.0.1.17; rm -rf /"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("privateIpv4Address"), std::string::npos);
}

TEST(AgentProtocolTest, WorkRoundTrips) {
  AgentWork work;
  work.assignments.push_back({{"job-a", 2},
                              {"sh", "-c", "echo hi"},
                              {"AWS_BATCH_JOB_ID=job-a"},
                              "def/default/abc",
                              "1000:1000",
                              std::nullopt});
  ContainerSpec container;
  container.image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/processor:latest";
  container.name = "gleaner-job-c-1";
  container.environment = {"A=1"};
  container.millivcpus = 1500;
  container.memory_mib = 2048;
  container.hard_cpu_limit = true;
  container.gpu_ids = {0, 3};
  container.user = "nobody";
  container.privileged = true;
  container.readonly_root_filesystem = true;
  container.init_process = true;
  container.shared_memory_mib = 64;
  container.max_swap_mib = 0;
  container.swappiness = 10;
  container.mounts = {{"/srv/data", "/data", true}, {"", "/scratch", false}};
  container.ulimits = {{"nofile", 1024, 2048}};
  container.devices = {{"/dev/fuse", "", "rw"}};
  container.tmpfs = {{"/run", 16, {"noexec"}}};
  work.assignments.push_back({{"job-c", 1}, {}, {"A=1"}, "def/default/c", "", container});
  work.signals.push_back({{"job-b", 1}, 15});
  auto decoded = DecodeAgentWork(EncodeAgentWork(work));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  ASSERT_EQ(decoded->assignments.size(), 2u);
  EXPECT_FALSE(decoded->assignments[0].container.has_value());
  EXPECT_EQ(decoded->assignments[1].container, container);
  EXPECT_EQ(decoded->assignments[0].key, (AttemptKey{"job-a", 2}));
  EXPECT_EQ(decoded->assignments[0].argv, work.assignments[0].argv);
  EXPECT_EQ(decoded->assignments[0].environment, work.assignments[0].environment);
  EXPECT_EQ(decoded->assignments[0].log_stream_name, "def/default/abc");
  EXPECT_EQ(decoded->assignments[0].user, "1000:1000");
  ASSERT_EQ(decoded->signals.size(), 1u);
  EXPECT_EQ(decoded->signals[0].signal, 15);
}

TEST(AgentProtocolTest, ReportCarriesEachStateItsFields) {
  AgentReport report;
  report.instance_id = "i-0123456789abcdef0";
  AttemptReport running{{"a", 1}, AttemptState::kRunning, 42, 99, 0, 0, ""};
  AttemptReport exited{{"b", 1}, AttemptState::kExited, 0, 0, 137, 9, "OutOfMemoryError: x"};
  AttemptReport failed{{"c", 1}, AttemptState::kLaunchFailed, 0, 0, 0, 0, "no such file"};
  AttemptReport starting{{"d", 1}, AttemptState::kStarting, 0, 0, 0, 0, "Pulling image x"};
  report.attempts = {running, exited, failed, starting};
  auto decoded = DecodeAgentReport(EncodeAgentReport(report));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  ASSERT_EQ(decoded->attempts.size(), 4u);
  EXPECT_EQ(decoded->attempts[0].state, AttemptState::kRunning);
  EXPECT_EQ(decoded->attempts[0].pid, 42);
  EXPECT_EQ(decoded->attempts[0].start_ticks, 99);
  EXPECT_EQ(decoded->attempts[1].state, AttemptState::kExited);
  EXPECT_EQ(decoded->attempts[1].exit_code, 137);
  EXPECT_EQ(decoded->attempts[1].signal, 9);
  EXPECT_EQ(decoded->attempts[1].reason, "OutOfMemoryError: x");
  EXPECT_EQ(decoded->attempts[3].state, AttemptState::kStarting);
  EXPECT_EQ(decoded->attempts[3].reason, "Pulling image x");
  EXPECT_EQ(decoded->attempts[2].state, AttemptState::kLaunchFailed);
  EXPECT_EQ(decoded->attempts[2].reason, "no such file");
}

TEST(AgentProtocolTest, ReportRejectsUnknownStateAndBadAttempt) {
  auto bad_state = DecodeAgentReport(
      R"({"instanceId": "i-1", "attempts": [{"jobId": "a", "attempt": 1, "state": "DONE"}]})");
  ASSERT_FALSE(bad_state.ok());
  EXPECT_NE(bad_state.status().message().find("state"), std::string::npos);
  for (const char* bad :
       {R"({"jobId": "a", "attempt": 1, "state": "RUNNING"})",
        R"({"jobId": "a", "attempt": 1, "state": "RUNNING", "pid": 0})",
        R"({"jobId": "a", "attempt": 1, "state": "EXITED", "signal": 0})",
        R"({"jobId": "a", "attempt": 1, "state": "EXITED", "exitCode": 1, "signal": 99})",
        R"({"jobId": "a", "attempt": 1, "state": "LAUNCH_FAILED"})"}) {
    auto decoded =
        DecodeAgentReport(std::string(R"({"instanceId": "i-1", "attempts": [)") + bad + "]}");
    EXPECT_FALSE(decoded.ok()) << bad;
  }
  auto bad_attempt = DecodeAgentReport(
      R"({"instanceId": "i-1", "attempts": [{"jobId": "a", "attempt": 0, "state": "RUNNING"}]})");
  ASSERT_FALSE(bad_attempt.ok());
  EXPECT_NE(bad_attempt.status().message().find("attempt"), std::string::npos);
}

TEST(AgentProtocolTest, ReplyAndPollRoundTrip) {
  AgentReportReply reply{{{"a", 1}}, {{{"b", 2}, 9}}};
  auto decoded = DecodeAgentReportReply(EncodeAgentReportReply(reply));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->acknowledged, reply.acknowledged);
  ASSERT_EQ(decoded->signals.size(), 1u);
  EXPECT_EQ(decoded->signals[0].key, (AttemptKey{"b", 2}));
  auto poll = DecodeAgentPoll(EncodeAgentPoll({"i-1", 5000}));
  ASSERT_TRUE(poll.ok());
  EXPECT_EQ(poll->wait_millis, 5000);
  EXPECT_FALSE(DecodeAgentPoll(R"({"instanceId": "i-1", "waitMillis": -1})").ok());
  AgentRegistered registered{"i-1", "c0ffee", "arn:ci", "arn:ce", 7000, 1500};
  auto back = DecodeAgentRegistered(EncodeAgentRegistered(registered));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->agent_credential, "c0ffee");
  EXPECT_EQ(back->poll_wait_millis, 7000);
  EXPECT_EQ(back->report_interval_millis, 1500);
}

}  // namespace
}  // namespace gleaner
