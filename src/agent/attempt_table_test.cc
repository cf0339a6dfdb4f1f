#include "agent/attempt_table.h"

#include <signal.h>

#include <gtest/gtest.h>

namespace gleaner {
namespace {

AttemptKey Key(const std::string& job_id) { return {.job_id = job_id, .attempt = 1}; }

HeldAttempt Running(const std::string& job_id, pid_t pid) {
  HeldAttempt attempt;
  attempt.record = {.key = Key(job_id),
                    .pid = pid,
                    .start_ticks = 1000 + pid,
                    .log_stream_name = "s/" + job_id,
                    .log_offset = 0,
                    .container_name = "",
                    .image = ""};
  attempt.watched_by_launcher = true;
  return attempt;
}

CommandOutcome Exited(int code) {
  CommandOutcome outcome;
  outcome.exit_code = code;
  return outcome;
}

TEST(AttemptReportTest, RunningUntilEndedAndTheLogShipped) {
  HeldAttempt attempt = Running("j", 42);
  AttemptReport report = ReportFor(attempt);
  EXPECT_EQ(report.state, AttemptState::kRunning);
  EXPECT_EQ(report.pid, 42);
  EXPECT_EQ(report.start_ticks, 1042);

  attempt.outcome = Exited(3);
  attempt.final_log_size = 100;
  attempt.record.log_offset = 60;
  EXPECT_EQ(ReportFor(attempt).state, AttemptState::kRunning);  // 40 bytes still to ship
  attempt.record.log_offset = 100;
  report = ReportFor(attempt);
  EXPECT_EQ(report.state, AttemptState::kExited);
  EXPECT_EQ(report.exit_code, 3);
  EXPECT_EQ(report.signal, 0);

  attempt.record.log_offset = 60;
  attempt.log_rejected = true;  // the server will not take it: do not wait for it
  EXPECT_EQ(ReportFor(attempt).state, AttemptState::kExited);
}

TEST(AttemptReportTest, ALaunchFailureIsReportedWithItsReason) {
  HeldAttempt attempt;
  attempt.record.key = Key("j");
  attempt.launch_failure = "CannotStartContainerError: command \"x\" not found";
  AttemptReport report = ReportFor(attempt);
  EXPECT_EQ(report.state, AttemptState::kLaunchFailed);
  EXPECT_EQ(report.reason, attempt.launch_failure);
  EXPECT_FALSE(attempt.Running());
}

TEST(RecoveredOutcomeTest, ExitFileThenLivenessThenKilled) {
  EXPECT_EQ(RecoveredOutcome(Exited(4), false), Exited(4));
  EXPECT_EQ(RecoveredOutcome(Exited(4), true), Exited(4));  // the shim is about to exit
  EXPECT_EQ(RecoveredOutcome(std::nullopt, true), std::nullopt);
  CommandOutcome lost = *RecoveredOutcome(std::nullopt, false);
  EXPECT_EQ(lost.exit_code, 137);
  EXPECT_EQ(lost.term_signal, SIGKILL);
}

TEST(AttemptTableTest, EndsFindsAndReportsAttemptsInKeyOrder) {
  AttemptTable table;
  table.Add(Running("b", 2));
  table.Add(Running("a", 1));
  EXPECT_TRUE(table.Holds(Key("a")));
  EXPECT_FALSE(table.Holds(Key("c")));
  ASSERT_NE(table.FindRunning(2), nullptr);
  EXPECT_EQ(table.FindRunning(2)->record.key, Key("b"));
  EXPECT_EQ(table.FindRunning(3), nullptr);

  EXPECT_TRUE(table.End(Key("b"), Exited(1), 0));
  EXPECT_FALSE(table.End(Key("b"), Exited(2), 0));  // already ended
  EXPECT_FALSE(table.End(Key("c"), Exited(2), 0));  // not held
  EXPECT_EQ(table.FindRunning(2), nullptr);

  AgentReport report = table.BuildReport("i-1");
  EXPECT_EQ(report.instance_id, "i-1");
  ASSERT_EQ(report.attempts.size(), 2u);
  EXPECT_EQ(report.attempts[0].key, Key("a"));
  EXPECT_EQ(report.attempts[0].state, AttemptState::kRunning);
  EXPECT_EQ(report.attempts[1].key, Key("b"));
  EXPECT_EQ(report.attempts[1].state, AttemptState::kExited);
  EXPECT_EQ(report.attempts[1].exit_code, 1);
  EXPECT_EQ(table.Keys(), (std::vector<AttemptKey>{Key("a"), Key("b")}));
}

TEST(AttemptTableTest, ReportedStatesChangeWhenAnAttemptEnds) {
  AttemptTable table;
  table.Add(Running("a", 1));
  auto before = table.ReportedStates();
  EXPECT_EQ(before.size(), 1u);
  EXPECT_TRUE(table.End(Key("a"), Exited(0), 10));
  EXPECT_EQ(table.ReportedStates(), before);  // its log is not shipped yet: still RUNNING
  table.Find(Key("a"))->record.log_offset = 10;
  EXPECT_NE(table.ReportedStates(), before);
}

TEST(AttemptTableTest, ForgetsOnlyAcknowledgedAttemptsThatEnded) {
  AttemptTable table;
  table.Add(Running("running", 1));
  table.Add(Running("ended", 2));
  ASSERT_TRUE(table.End(Key("ended"), Exited(0), 0));
  HeldAttempt failed;
  failed.record.key = Key("failed");
  failed.launch_failure = "CannotStartContainerError: the command is empty";
  table.Add(failed);

  HeldAttempt launching;
  launching.record.key = Key("launching");
  launching.launching = true;
  table.Add(launching);

  std::vector<AttemptKey> forgotten = table.Acknowledge(
      {Key("running"), Key("ended"), Key("failed"), Key("launching"), Key("unknown")});
  EXPECT_EQ(forgotten, (std::vector<AttemptKey>{Key("ended"), Key("failed")}));
  EXPECT_EQ(table.Keys(), (std::vector<AttemptKey>{Key("launching"), Key("running")}));
}

TEST(AttemptTableTest, AnAttemptBeingLaunchedIsStartingWithWhatItWaitsFor) {
  HeldAttempt attempt;
  attempt.record.key = Key("pulling");
  attempt.launching = true;
  attempt.progress = "Pulling image busybox";
  AttemptReport report = ReportFor(attempt);
  EXPECT_EQ(report.state, AttemptState::kStarting);
  EXPECT_EQ(report.reason, "Pulling image busybox");
  EXPECT_FALSE(attempt.Running());  // signals wait until it runs

  attempt.launching = false;
  attempt.record.pid = 42;
  attempt.outcome = Exited(137);
  attempt.exit_reason = "OutOfMemoryError: Container killed due to memory usage";
  report = ReportFor(attempt);
  EXPECT_EQ(report.state, AttemptState::kExited);
  EXPECT_EQ(report.reason, attempt.exit_reason);
}

}  // namespace
}  // namespace gleaner
