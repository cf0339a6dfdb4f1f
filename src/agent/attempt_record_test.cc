#include "agent/attempt_record.h"

#include <gtest/gtest.h>

namespace gleaner {
namespace {

TEST(AttemptRecordTest, RoundTrips) {
  AttemptRecord record{.key = {.job_id = "a1b2:3#0", .attempt = 2},
                       .pid = 4242,
                       .start_ticks = 987654321,
                       .log_stream_name = "def/default/a1b2",
                       .log_offset = 1024,
                       .container_name = "",
                       .image = ""};
  Result<AttemptRecord> decoded = DecodeAttemptRecord(EncodeAttemptRecord(record));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(*decoded, record);
}

TEST(AttemptRecordTest, RejectsWhatIsNotARecord) {
  EXPECT_FALSE(DecodeAttemptRecord("").ok());
  EXPECT_FALSE(DecodeAttemptRecord("{\"jobId\": \"j\"").ok());
  EXPECT_FALSE(DecodeAttemptRecord(R"({"attempt": 1, "logStreamName": "s"})").ok());
  EXPECT_FALSE(DecodeAttemptRecord(R"({"jobId": "j", "attempt": 0, "logStreamName": "s"})").ok());
  EXPECT_FALSE(DecodeAttemptRecord(R"({"jobId": "", "attempt": 1, "logStreamName": "s"})").ok());
  EXPECT_FALSE(
      DecodeAttemptRecord(R"({"jobId": "j", "attempt": 1, "logStreamName": "s", "pid": -1})").ok());
  EXPECT_FALSE(
      DecodeAttemptRecord(R"({"jobId": "j", "attempt": 1, "logStreamName": "s", "logOffset": -1})")
          .ok());
  EXPECT_FALSE(DecodeAttemptRecord(R"({"jobId": 7, "attempt": 1, "logStreamName": "s"})").ok());
  // pid, start time and offset default to 0 (a record written before the launch completed).
  Result<AttemptRecord> minimal =
      DecodeAttemptRecord(R"({"jobId": "j", "attempt": 1, "logStreamName": "s"})");
  ASSERT_TRUE(minimal.ok());
  EXPECT_EQ(minimal->pid, 0);
  EXPECT_EQ(minimal->log_offset, 0);
}

TEST(AttemptFileNameTest, IsASafeFileNameNamingOneAttempt) {
  EXPECT_EQ(AttemptFileName({.job_id = "abc-123_x", .attempt = 1}), "abc-123_x.1");
  EXPECT_EQ(AttemptFileName({.job_id = "abc:3", .attempt = 2}), "abc%3A3.2");
  EXPECT_EQ(AttemptFileName({.job_id = "abc#0", .attempt = 1}), "abc%230.1");
  EXPECT_EQ(AttemptFileName({.job_id = "../x", .attempt = 1}), "%2E%2E%2Fx.1");
  EXPECT_EQ(AttemptFileName({.job_id = "a%3A", .attempt = 1}), "a%253A.1");
  // The attempt number cannot be confused with the job id.
  EXPECT_NE(AttemptFileName({.job_id = "a.1", .attempt = 2}),
            AttemptFileName({.job_id = "a", .attempt = 12}));
}

TEST(LogStreamNameTest, OnlyRelativePathsWithoutDotSegmentsAreSafe) {
  EXPECT_TRUE(IsSafeLogStreamName("def/default/abc"));
  EXPECT_TRUE(IsSafeLogStreamName("abc"));
  EXPECT_TRUE(IsSafeLogStreamName("a..b/c"));
  EXPECT_FALSE(IsSafeLogStreamName(""));
  EXPECT_FALSE(IsSafeLogStreamName("/etc/passwd"));
  EXPECT_FALSE(IsSafeLogStreamName("def/../../x"));
  EXPECT_FALSE(IsSafeLogStreamName("def/./x"));
  EXPECT_FALSE(IsSafeLogStreamName("def//x"));
  EXPECT_FALSE(IsSafeLogStreamName("def/x/"));
  EXPECT_FALSE(IsSafeLogStreamName(".."));
}

}  // namespace
}  // namespace gleaner
