// The simulated cloud's durable state: what TakeChangedRecords hands the store, and a cloud made
// again from those records after a restart, over a state restored from its own records.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <memory>
#include <set>

#include "capacity/simulated_cloud.h"
#include "capacity/simulated_cloud_test_support.h"
#include "scheduler/batch_state.h"

namespace gleaner {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class SimulatedCloudRecordsTest : public testing::SimulatedCloudFixture {
 protected:
  // A state after a restart: the same compute environment, and nothing else.
  std::unique_ptr<BatchState> RestartedState() {
    auto restarted = std::make_unique<BatchState>(clock_, BatchStateOptions{});
    restarted->RestoreComputeEnvironment(*state_.FindComputeEnvironment("spot"));
    return restarted;
  }

  // A job RUNNING on an instance of compute environment "spot", launched for it.
  std::string RunOneJob() {
    Cloud();
    AddEnvironment("spot", "SPOT", 16);
    AddQueue({"spot"});
    RegisterDefinition("1", "512");
    std::string job = Submit("a");
    Step();
    return job;
  }

  static std::set<std::string> Keys(const std::vector<ProviderRecord>& records) {
    std::set<std::string> keys;
    for (const ProviderRecord& record : records) keys.insert(record.key);
    return keys;
  }
};

TEST_F(SimulatedCloudRecordsTest, ARestartedCloudHasItsInstancesRequestsAndNoticesBack) {
  std::string job = RunOneJob();
  ASSERT_EQ(JobOf(job).status, JobStatus::kRunning);
  std::string noticed = JobOf(job).placement->instance_id;
  RequestSpotInstancesSpec spec;
  spec.spot_price = "0.5";
  spec.launch_specification.image_id = "ami-0123456789abcdef0";
  spec.launch_specification.instance_type = "m5.large";
  auto requested = cloud_->RequestSpotInstances(state_, spec);
  ASSERT_TRUE(requested.ok()) << requested.status().message();
  InterruptRequest interrupt;
  interrupt.instance_id = noticed;
  interrupt.notice_millis = 60'000;
  ASSERT_TRUE(cloud_->Interrupt(state_, interrupt).ok());
  Step();  // the notice is delivered
  EpochMillis deadline = *cloud_->FindInstance(noticed)->deadline_at;

  std::vector<ProviderRecord> records = cloud_->TakeChangedRecords();
  std::set<std::string> keys = Keys(records);
  for (const auto& [id, instance] : cloud_->instances()) EXPECT_TRUE(keys.contains(id)) << id;
  EXPECT_TRUE(keys.contains((*requested)[0].spot_instance_request_id));
  EXPECT_THAT(cloud_->TakeChangedRecords(), IsEmpty()) << "nothing changed since";
  clock_.Advance(1000);
  Step();
  EXPECT_THAT(cloud_->TakeChangedRecords(), IsEmpty()) << "idle time is not durable state";

  std::unique_ptr<BatchState> restarted_state = RestartedState();
  BatchState& restarted = *restarted_state;
  SimulatedCloud cloud(clock_, testing::BuiltInCatalog(), SimulatedCloudOptions{});
  Status restored = cloud.Restore(records, restarted);
  ASSERT_TRUE(restored.ok()) << restored.message();
  ASSERT_THAT(cloud.instances(), SizeIs(cloud_->instances().size()));
  for (const auto& [id, instance] : cloud_->instances()) {
    const SimulatedInstance* again = cloud.FindInstance(id);
    ASSERT_NE(again, nullptr) << id;
    EXPECT_EQ(again->pool, instance.pool);
    EXPECT_EQ(again->capacity, instance.capacity);
    EXPECT_EQ(again->state, instance.state);
    EXPECT_EQ(again->notice_at, instance.notice_at);
    EXPECT_EQ(again->deadline_at, instance.deadline_at);
    EXPECT_EQ(again->spot_instance_request_id, instance.spot_instance_request_id);
    EXPECT_EQ(again->fleet_request_id, instance.fleet_request_id);
    EXPECT_EQ(again->hourly_price, instance.hourly_price);
  }
  const SpotInstanceRequest* request =
      cloud.FindSpotInstanceRequest((*requested)[0].spot_instance_request_id);
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(*request, *cloud_->FindSpotInstanceRequest((*requested)[0].spot_instance_request_id));
  // The compute environment's instance is a host again, still under its notice; the requested
  // one joined no cluster and serves nothing, as before.
  const Host* host = restarted.FindHost(noticed);
  ASSERT_NE(host, nullptr);
  EXPECT_FALSE(host->accepting);
  EXPECT_EQ(host->interruption_deadline, deadline);
  EXPECT_EQ(restarted.FindHost(request->instance_id), nullptr);
  EXPECT_THAT(cloud.TakeChangedRecords(), IsEmpty()) << "the store holds what was restored";

  // The pending interruption still ends the instance at its deadline.
  clock_.Advance(deadline - clock_.NowMillis());
  cloud.Advance(restarted);
  EXPECT_EQ(cloud.FindInstance(noticed)->state, InstanceState::kTerminated);
  std::vector<ProviderRecord> after = cloud.TakeChangedRecords();
  ASSERT_THAT(after, SizeIs(2)) << "the instance, and the spot request its fleet made for it";
  const std::string& fleet_request = cloud.FindInstance(noticed)->fleet_request_id;
  ASSERT_FALSE(fleet_request.empty());
  for (const ProviderRecord& record : after) {
    if (record.key == noticed) {
      EXPECT_THAT(record.document, HasSubstr("\"state\":\"terminated\""));
    } else {
      EXPECT_EQ(record.key, fleet_request);
      EXPECT_THAT(record.document, HasSubstr("\"statusCode\":\"instance-terminated-no-capacity\""));
    }
  }
}

TEST_F(SimulatedCloudRecordsTest, AnInstanceNoLongerShownIsDeleted) {
  std::string job = RunOneJob();
  std::string instance = JobOf(job).placement->instance_id;
  state_.OnAttemptExited(job, 0, 0);
  (void)cloud_->TakeChangedRecords();
  clock_.Advance(SimulatedCloudOptions{}.scale_in_idle_millis + 1);
  Step();  // scale-in: terminated, still shown
  ASSERT_EQ(cloud_->FindInstance(instance)->state, InstanceState::kTerminated);
  EXPECT_THAT(Keys(cloud_->TakeChangedRecords()), ::testing::Contains(instance));
  clock_.Advance(SimulatedCloudOptions{}.terminated_visible_millis);
  Step();
  ASSERT_EQ(cloud_->FindInstance(instance), nullptr);
  std::vector<ProviderRecord> records = cloud_->TakeChangedRecords();
  ASSERT_THAT(records, SizeIs(2));
  EXPECT_EQ(records[0], (ProviderRecord{instance, "", true}));
  // Kept for what it cost, as long as jobs are.
  EXPECT_EQ(records[1].key, "retired-" + instance);
  EXPECT_FALSE(records[1].is_delete);
  ASSERT_TRUE(cloud_->retired_instances().contains(instance));

  // A restart brings the retired instance back for its cost, not as an instance.
  std::unique_ptr<BatchState> restarted = RestartedState();
  SimulatedCloud again(clock_, testing::BuiltInCatalog(), SimulatedCloudOptions{});
  ASSERT_TRUE(again.Restore({records[1]}, *restarted).ok());
  EXPECT_EQ(again.FindInstance(instance), nullptr);
  ASSERT_TRUE(again.retired_instances().contains(instance));
  EXPECT_EQ(again.retired_instances().at(instance).terminated_at,
            cloud_->retired_instances().at(instance).terminated_at);
  EXPECT_EQ(restarted->FindHost(instance), nullptr);

  clock_.Advance(SimulatedCloudOptions{}.retired_kept_millis);
  Step();
  EXPECT_FALSE(cloud_->retired_instances().contains(instance));
  EXPECT_THAT(cloud_->TakeChangedRecords(),
              ::testing::Contains(ProviderRecord{"retired-" + instance, "", true}));
}

TEST_F(SimulatedCloudRecordsTest, ARecordThatDoesNotDecodeIsAnErrorNamingIt) {
  Cloud();
  AddEnvironment("spot", "SPOT", 16);
  std::unique_ptr<BatchState> restarted_state = RestartedState();
  BatchState& restarted = *restarted_state;
  SimulatedCloud cloud(clock_, testing::BuiltInCatalog(), SimulatedCloudOptions{});
  Status broken = cloud.Restore({{"i-0123", "{\"instanceId\": 5}", false}}, restarted);
  EXPECT_EQ(broken.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(broken.message(), HasSubstr("i-0123"));
  EXPECT_THAT(cloud.Restore({{"pools", "[1", false}}, restarted).message(),
              HasSubstr("not a JSON object"));
}

}  // namespace
}  // namespace gleaner
