#include "server/state_records.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "model/json_codec.h"
#include "scheduler/batch_state_test_support.h"

namespace gleaner {
namespace {

using scheduler_test::MustOk;

class RestoreFromRecordsTest : public scheduler_test::BatchStateTest {
 protected:
  // 1,000 jobs (about four chunks of the parallel decoding), some waiting on others.
  void SubmitJobs() {
    AddStandardWorld();
    for (int i = 0; i < 1000; ++i) {
      std::string name = "job-" + std::to_string(i);
      ids_.push_back(i % 10 == 9 ? SubmitAfter(name, {ids_.back()}) : Submit(name));
    }
  }

  // What the engine has stored of state_ by now: the records of every change, in key order.
  StoreSnapshot Snapshot() {
    StoreSnapshot snapshot;
    const std::map<RecordKind, std::vector<StoredRecord>*> tables = {
        {RecordKind::kComputeEnvironment, &snapshot.compute_environments},
        {RecordKind::kJobQueue, &snapshot.job_queues},
        {RecordKind::kJobDefinition, &snapshot.job_definitions},
        {RecordKind::kSchedulingPolicy, &snapshot.scheduling_policies},
        {RecordKind::kJob, &snapshot.jobs},
    };
    for (Mutation& mutation : MutationsFor(state_, state_.TakeChanges())) {
      tables.at(mutation.kind)->push_back({mutation.key, std::move(mutation.document)});
    }
    return snapshot;
  }

  std::vector<std::string> ids_;
  FakeClock restored_clock_;
  BatchState restored_{restored_clock_, BatchStateOptions{}};
};

TEST_F(RestoreFromRecordsTest, RestoresEveryRecordAsStored) {
  SubmitJobs();
  StoreSnapshot snapshot = Snapshot();
  ASSERT_EQ(snapshot.jobs.size(), 1000u);
  ParallelDecodeStats stats;
  MustOk(RestoreFromRecords(snapshot, restored_, &stats));
  EXPECT_GE(stats.threads, 2u);  // the jobs were decoded on worker threads
  EXPECT_TRUE(restored_.FinishRestore().empty());
  ASSERT_NE(restored_.FindComputeEnvironment("ce"), nullptr);
  ASSERT_NE(restored_.FindJobQueue("q"), nullptr);
  ASSERT_EQ(restored_.job_count(), 1000u);
  for (const std::string& id : ids_) {
    const Job* job = restored_.FindJob(id);
    ASSERT_NE(job, nullptr) << id;
    EXPECT_EQ(ToRecord(*job).dump(), ToRecord(JobOf(id)).dump());
  }
}

TEST_F(RestoreFromRecordsTest, TheFirstRecordInStoreOrderThatIsNotJsonIsTheError) {
  SubmitJobs();
  StoreSnapshot snapshot = Snapshot();
  snapshot.jobs[600].document = "{\"jobId\":";
  snapshot.jobs[601].document = "[]";
  snapshot.jobs[900].document = "not json either";
  Status status = RestoreFromRecords(snapshot, restored_);
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_EQ(status.message(),
            "store holds a job record \"" + snapshot.jobs[600].key + "\" that is not JSON");
  // Every record before it was restored, none after.
  EXPECT_EQ(restored_.job_count(), 600u);
  EXPECT_NE(restored_.FindJob(snapshot.jobs[599].key), nullptr);
  EXPECT_EQ(restored_.FindJob(snapshot.jobs[602].key), nullptr);
}

TEST_F(RestoreFromRecordsTest, TheFirstRecordInStoreOrderThatDoesNotDecodeIsTheError) {
  SubmitJobs();
  StoreSnapshot snapshot = Snapshot();
  snapshot.jobs[300].document = R"({"jobId":5,"status":"RUNNABLE"})";
  snapshot.jobs[301].document = "{";
  snapshot.jobs[999].document = R"({"jobId":"x","status":"SLEEPING"})";
  Status status = RestoreFromRecords(snapshot, restored_);
  EXPECT_EQ(status.message(), "store holds a job record \"" + snapshot.jobs[300].key +
                                  "\" gleaner cannot read: jobId must be a string");
  EXPECT_EQ(restored_.job_count(), 300u);
}

TEST_F(RestoreFromRecordsTest, ACatalogRecordThatDoesNotDecodeStopsBeforeAnyJob) {
  SubmitJobs();
  StoreSnapshot snapshot = Snapshot();
  snapshot.job_queues[0].document = "[]";
  Status status = RestoreFromRecords(snapshot, restored_);
  EXPECT_EQ(status.message(),
            "store holds a job queue record \"q\" gleaner cannot read: the document must be an "
            "object");
  EXPECT_NE(restored_.FindComputeEnvironment("ce"), nullptr);
  EXPECT_EQ(restored_.job_count(), 0u);
}

TEST_F(RestoreFromRecordsTest, AFewRecordsAreRestoredWithoutThreads) {
  AddStandardWorld();
  std::string id = Submit("only");
  ParallelDecodeStats stats;
  MustOk(RestoreFromRecords(Snapshot(), restored_, &stats));
  EXPECT_EQ(stats.threads, 0u);
  ASSERT_NE(restored_.FindJob(id), nullptr);
  EXPECT_EQ(ToRecord(*restored_.FindJob(id)).dump(), ToRecord(JobOf(id)).dump());
}

}  // namespace
}  // namespace gleaner
