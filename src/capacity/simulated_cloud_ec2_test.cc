// The simulated cloud's EC2 API (spot instance requests, TerminateInstances, Describe*) driving a
// real BatchState in virtual time: instances joining an UNMANAGED compute environment's cluster.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "capacity/ecs_user_data.h"
#include "capacity/simulated_cloud.h"
#include "capacity/simulated_cloud_test_support.h"
#include "model/arn.h"
#include "scheduler/batch_state.h"

namespace gleaner {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// A spot type with the highest interruption bucket, so the test can find a reclaim near.
std::string FrequentlyReclaimedType() {
  for (const auto& [name, type] : testing::BuiltInCatalog().types()) {
    if (type.spot && type.spot->interruption_bucket == 4 && type.vcpus >= 2 &&
        type.memory_mib >= 4096 && type.gpus == 0) {
      return name;
    }
  }
  return "";
}

class SimulatedCloudEc2Test : public testing::SimulatedCloudFixture {
 protected:
  // An UNMANAGED compute environment, a queue on it and a job definition; returns its cluster.
  std::string AddUnmanagedStack() {
    ComputeEnvironment environment;
    environment.name = "unmanaged";
    environment.type = "UNMANAGED";
    const ComputeEnvironment* created = state_.CreateComputeEnvironment(environment).value();
    ce_arn_ = created->arn;
    AddQueue({"unmanaged"});
    RegisterDefinition("2", "2048");
    return ArnResourceName(created->ecs_cluster_arn, "cluster");
  }

  static RequestSpotInstancesSpec Spec(const std::string& cluster,
                                       const std::string& type = "m5.large") {
    RequestSpotInstancesSpec spec;
    spec.spot_price = "0.5";
    spec.launch_specification.image_id = "ami-0123456789abcdef0";
    spec.launch_specification.instance_type = type;
    if (!cluster.empty()) {
      spec.launch_specification.user_data =
          Base64Encode("#!/bin/bash\necho ECS_CLUSTER=" + cluster + " >> /etc/ecs/ecs.config\n");
    }
    return spec;
  }

  SpotInstanceRequest RequestOne(const RequestSpotInstancesSpec& spec) {
    auto created = cloud_->RequestSpotInstances(state_, spec);
    EXPECT_TRUE(created.ok()) << created.status().message();
    EXPECT_THAT(*created, SizeIs(1));
    return created->front();
  }

  const SpotInstanceRequest& Request(const std::string& id) {
    return *cloud_->FindSpotInstanceRequest(id);
  }

  std::string ce_arn_;
};

TEST_F(SimulatedCloudEc2Test, AnInstanceJoiningTheClusterRunsTheWaitingJob) {
  Cloud();
  std::string cluster = AddUnmanagedStack();
  std::string job = Submit("a");
  EXPECT_THAT(Step().starts, IsEmpty());
  EXPECT_THAT(state_.ExplainWaiting(*state_.FindJob(job)), HasSubstr("no instance serves"));

  SpotInstanceRequest request = RequestOne(Spec(cluster));
  EXPECT_THAT(request.spot_instance_request_id, ::testing::MatchesRegex("sir-[0-9a-z]{8}"));
  EXPECT_EQ(request.state, SpotRequestState::kActive);
  EXPECT_EQ(request.status_code, "fulfilled");
  EXPECT_EQ(request.spot_price, 500'000);
  const SimulatedInstance* instance = cloud_->FindInstance(request.instance_id);
  ASSERT_NE(instance, nullptr);
  EXPECT_EQ(instance->purchase, PurchaseOption::kSpot);
  EXPECT_EQ(instance->spot_instance_request_id, request.spot_instance_request_id);
  EXPECT_EQ(instance->pool.availability_zone, request.launched_availability_zone);
  const Host* host = state_.FindHost(request.instance_id);
  ASSERT_NE(host, nullptr);
  EXPECT_EQ(host->compute_environment_arn, ce_arn_);
  EXPECT_EQ(host->total, (Resources{2000, 8192, 0}));
  EXPECT_EQ(host->container_instance_arn,
            state_.scope().EcsContainerInstance(cluster + "/" + request.instance_id));

  EXPECT_THAT(Step().starts, SizeIs(1));
  EXPECT_EQ(state_.FindJob(job)->placement->instance_id, request.instance_id);
}

TEST_F(SimulatedCloudEc2Test, TheClusterMayBeGivenAsAnArnAndBootingDelaysTheJob) {
  SimulatedCloudOptions options;
  options.boot_millis = 5000;
  Cloud(options);
  std::string cluster = AddUnmanagedStack();
  Submit("a");
  RequestSpotInstancesSpec spec = Spec("");
  spec.launch_specification.user_data =
      Base64Encode("ECS_CLUSTER=" + state_.FindComputeEnvironment("unmanaged")->ecs_cluster_arn);
  SpotInstanceRequest request = RequestOne(spec);
  EXPECT_EQ(cloud_->FindInstance(request.instance_id)->state, InstanceState::kPending);
  EXPECT_THAT(Step().starts, IsEmpty()) << "booting";
  EXPECT_EQ(cloud_->NextEventAt(), clock_.NowMillis() + 5000);
  clock_.Advance(5000);
  EXPECT_THAT(Step().starts, SizeIs(1));
}

TEST_F(SimulatedCloudEc2Test, AnInstanceWithoutAKnownClusterServesNothing) {
  Cloud();
  AddUnmanagedStack();
  std::string job = Submit("a");
  SpotInstanceRequest other = RequestOne(Spec("someone-elses-cluster"));
  SpotInstanceRequest none = RequestOne(Spec(""));
  EXPECT_EQ(cloud_->FindInstance(other.instance_id)->state, InstanceState::kRunning);
  EXPECT_EQ(state_.FindHost(other.instance_id), nullptr);
  EXPECT_EQ(state_.FindHost(none.instance_id), nullptr);
  EXPECT_THAT(Step().starts, IsEmpty());
  EXPECT_EQ(state_.FindJob(job)->status, JobStatus::kRunnable);
}

TEST_F(SimulatedCloudEc2Test, ValidatesTheRequest) {
  Cloud();
  auto message = [this](RequestSpotInstancesSpec spec) {
    auto result = cloud_->RequestSpotInstances(state_, spec);
    EXPECT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
    return result.status().message();
  };
  RequestSpotInstancesSpec spec = Spec("");
  spec.block_duration_minutes = 45;
  EXPECT_THAT(message(spec), HasSubstr("blockDurationMinutes"));
  spec.block_duration_minutes = 420;
  EXPECT_THAT(message(spec), HasSubstr("blockDurationMinutes"));
  spec.block_duration_minutes = 60;
  spec.type = "persistent";
  EXPECT_THAT(message(spec), HasSubstr("one-time"));
  spec = Spec("");
  spec.launch_specification.instance_type = "m5.huge";
  EXPECT_THAT(message(spec), HasSubstr("m5.huge"));
  spec.launch_specification.instance_type = "";
  EXPECT_THAT(message(spec), HasSubstr("InstanceType"));
  spec = Spec("");
  spec.launch_specification.image_id = "";
  EXPECT_THAT(message(spec), HasSubstr("ImageId"));
  spec = Spec("");
  spec.launch_specification.user_data = "#!/bin/bash";
  EXPECT_THAT(message(spec), HasSubstr("BASE64"));
  spec = Spec("");
  spec.spot_price = "cheap";
  EXPECT_THAT(message(spec), HasSubstr("SpotPrice"));
  spec = Spec("");
  spec.instance_count = 0;
  EXPECT_THAT(message(spec), HasSubstr("InstanceCount"));
  spec = Spec("");
  spec.type = "sometimes";
  EXPECT_THAT(message(spec), HasSubstr("Type"));
  spec = Spec("");
  spec.launch_specification.availability_zone = "us-west-2a";
  EXPECT_THAT(message(spec), HasSubstr("us-west-2a"));
  EXPECT_THAT(cloud_->instances(), IsEmpty());
}

TEST_F(SimulatedCloudEc2Test, PlacementAndSubnetChooseTheZoneElseTheCheapestZone) {
  Cloud();
  RequestSpotInstancesSpec spec = Spec("");
  spec.launch_specification.availability_zone = "us-east-1d";
  EXPECT_EQ(RequestOne(spec).launched_availability_zone, "us-east-1d");
  spec = Spec("");
  spec.launch_specification.subnet_id = "subnet-0aaa1111";
  EXPECT_EQ(RequestOne(spec).launched_availability_zone,
            AvailabilityZoneForSubnet("subnet-0aaa1111"));
  SpotInstanceRequest cheapest = RequestOne(Spec(""));
  MicroUsdPerHour chosen = *cloud_->prices().SpotPrice(
      {"m5.large", cheapest.launched_availability_zone}, clock_.NowMillis());
  for (const std::string& zone : AvailabilityZones()) {
    EXPECT_LE(chosen, *cloud_->prices().SpotPrice({"m5.large", zone}, clock_.NowMillis()));
  }
}

TEST_F(SimulatedCloudEc2Test, ASubnetIsInTheZoneItsFirstAcceptedRequestNamed) {
  Cloud();
  RequestSpotInstancesSpec refused = Spec("");
  refused.launch_specification.subnet_id = "subnet-c8d30ae4";
  refused.launch_specification.availability_zone = "us-east-1a";
  refused.spot_price = "cheap";
  EXPECT_FALSE(cloud_->RequestSpotInstances(state_, refused).ok());  // teaches nothing
  RequestSpotInstancesSpec spec = Spec("");
  spec.launch_specification.subnet_id = "subnet-c8d30ae4";
  spec.launch_specification.availability_zone = "us-east-1c";
  EXPECT_EQ(RequestOne(spec).launched_availability_zone, "us-east-1c");
  spec.launch_specification.availability_zone = "";
  EXPECT_EQ(RequestOne(spec).launched_availability_zone, "us-east-1c");
  spec.launch_specification.availability_zone = "us-east-1a";
  auto moved = cloud_->RequestSpotInstances(state_, spec);
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.status().message(),
            "The subnet subnet-c8d30ae4 is in us-east-1c, not in us-east-1a.");
}

TEST_F(SimulatedCloudEc2Test, InstanceCountMakesOneRequestPerInstanceFromTheSeed) {
  Cloud();
  RequestSpotInstancesSpec spec = Spec("");
  spec.instance_count = 3;
  auto created = cloud_->RequestSpotInstances(state_, spec);
  ASSERT_TRUE(created.ok());
  ASSERT_THAT(*created, SizeIs(3));
  EXPECT_NE((*created)[0].instance_id, (*created)[1].instance_id);

  FakeClock other_clock;
  BatchState other_state(other_clock, BatchStateOptions{});
  SimulatedCloud same_seed(other_clock, testing::BuiltInCatalog(), SimulatedCloudOptions{});
  auto again = same_seed.RequestSpotInstances(other_state, spec);
  ASSERT_TRUE(again.ok());
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*again)[i].spot_instance_request_id, (*created)[i].spot_instance_request_id);
    EXPECT_EQ((*again)[i].instance_id, (*created)[i].instance_id);
  }
}

TEST_F(SimulatedCloudEc2Test, APriceBelowTheMarketStaysOpenUntilThePriceFalls) {
  Cloud();
  RequestSpotInstancesSpec spec = Spec("");
  spec.spot_price = "0.000001";
  SpotInstanceRequest request = RequestOne(spec);
  EXPECT_EQ(request.state, SpotRequestState::kOpen);
  EXPECT_EQ(request.status_code, "price-too-low");
  EXPECT_THAT(request.status_message, HasSubstr("0.000001 is lower than"));
  EXPECT_TRUE(request.instance_id.empty());
  EpochMillis next_hour = (clock_.NowMillis() / 3'600'000 + 1) * 3'600'000;
  EXPECT_EQ(request.next_evaluation_at, next_hour);
  EXPECT_EQ(cloud_->NextEventAt(), next_hour);
  clock_.Set(next_hour);
  Step();
  EXPECT_EQ(Request(request.spot_instance_request_id).status_code, "price-too-low");
  EXPECT_EQ(Request(request.spot_instance_request_id).next_evaluation_at, next_hour + 3'600'000);
}

TEST_F(SimulatedCloudEc2Test, APoolInARecoveryGapHasNoCapacityUntilTheGapEnds) {
  std::string type = FrequentlyReclaimedType();
  ASSERT_FALSE(type.empty());
  SimulatedCloudOptions options;
  Cloud(options);
  CapacityPool pool{type, "us-east-1a"};
  // The same seed and start give the same reclaim timeline: find the pool's first reclaim.
  InterruptionModel twin(testing::BuiltInCatalog(), options.profile, options.seed,
                         clock_.NowMillis());
  std::optional<EpochMillis> reclaim = twin.NextInterruption(pool, clock_.NowMillis());
  ASSERT_TRUE(reclaim);
  clock_.Set(*reclaim);
  std::optional<EpochMillis> gap_end = twin.RecoveryGapEnd(pool, *reclaim);
  ASSERT_TRUE(gap_end);

  RequestSpotInstancesSpec spec = Spec("", type);
  spec.spot_price.reset();  // the on-demand price: never below the spot price
  spec.launch_specification.availability_zone = "us-east-1a";
  SpotInstanceRequest request = RequestOne(spec);
  EXPECT_EQ(request.state, SpotRequestState::kOpen);
  EXPECT_EQ(request.status_code, "capacity-not-available");
  for (int i = 0; i < 10 && clock_.NowMillis() < *gap_end; ++i) {
    std::optional<EpochMillis> next = Request(request.spot_instance_request_id).next_evaluation_at;
    ASSERT_TRUE(next);
    EXPECT_LE(*next, *gap_end);
    clock_.Set(*next);
    Step();
  }
  EXPECT_EQ(clock_.NowMillis(), *gap_end);
  EXPECT_EQ(Request(request.spot_instance_request_id).state, SpotRequestState::kActive);
  EXPECT_EQ(Request(request.spot_instance_request_id).status_code, "fulfilled");
}

TEST_F(SimulatedCloudEc2Test, TerminateInstancesEndsTheAttemptAndClosesTheRequest) {
  Cloud();
  std::string cluster = AddUnmanagedStack();
  std::string job = Submit("a");
  SpotInstanceRequest request = RequestOne(Spec(cluster));
  Step();
  ASSERT_TRUE(state_.FindJob(job)->placement);

  auto unknown = cloud_->TerminateInstances(state_, {request.instance_id, "i-0123456789abcdef0"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(unknown.status().message(), HasSubstr("'i-0123456789abcdef0' does not exist"));
  EXPECT_EQ(cloud_->FindInstance(request.instance_id)->state, InstanceState::kRunning)
      << "nothing is terminated when an id is unknown";

  auto changes = cloud_->TerminateInstances(state_, {request.instance_id});
  ASSERT_TRUE(changes.ok());
  ASSERT_THAT(*changes, SizeIs(1));
  EXPECT_EQ((*changes)[0].previous_state, InstanceState::kRunning);
  EXPECT_EQ((*changes)[0].current_state, InstanceState::kTerminated);
  EXPECT_EQ(state_.FindHost(request.instance_id), nullptr);
  const SpotInstanceRequest& closed = Request(request.spot_instance_request_id);
  EXPECT_EQ(closed.state, SpotRequestState::kClosed);
  EXPECT_EQ(closed.status_code, "instance-terminated-by-user");
  Decisions after = Step();
  ASSERT_THAT(after.signals, SizeIs(1));
  EXPECT_EQ(after.signals[0].signal, SIGKILL);
  state_.OnAttemptExited(job, 137, SIGKILL);
  EXPECT_EQ(state_.FindJob(job)->attempts.back().status_reason,
            "Host EC2 (instance " + request.instance_id + ") terminated.");

  auto again = cloud_->TerminateInstances(state_, {request.instance_id});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].previous_state, InstanceState::kTerminated);
}

TEST_F(SimulatedCloudEc2Test, AReclaimClosesAOneTimeRequestAndReopensAPersistentOne) {
  Cloud();
  std::string cluster = AddUnmanagedStack();
  SpotInstanceRequest one_time = RequestOne(Spec(cluster));
  RequestSpotInstancesSpec persistent_spec = Spec(cluster);
  persistent_spec.type = "persistent";
  SpotInstanceRequest persistent = RequestOne(persistent_spec);

  for (const SpotInstanceRequest* request : {&one_time, &persistent}) {
    InterruptRequest interrupt;
    interrupt.instance_id = request->instance_id;
    interrupt.notice_millis = 10'000;
    ASSERT_TRUE(cloud_->Interrupt(state_, interrupt).ok());
    EXPECT_EQ(Request(request->spot_instance_request_id).status_code, "marked-for-termination");
    EXPECT_EQ(Request(request->spot_instance_request_id).state, SpotRequestState::kActive);
  }
  clock_.Advance(10'000);
  Step();
  EXPECT_EQ(Request(one_time.spot_instance_request_id).state, SpotRequestState::kClosed);
  EXPECT_EQ(Request(one_time.spot_instance_request_id).status_code,
            "instance-terminated-no-capacity");
  EXPECT_EQ(Request(persistent.spot_instance_request_id).state, SpotRequestState::kOpen);
  Step();  // evaluated again: a new instance in the same cluster
  const SpotInstanceRequest& relaunched = Request(persistent.spot_instance_request_id);
  EXPECT_EQ(relaunched.state, SpotRequestState::kActive);
  EXPECT_NE(relaunched.instance_id, persistent.instance_id);
  ASSERT_NE(state_.FindHost(relaunched.instance_id), nullptr);
  EXPECT_EQ(state_.FindHost(relaunched.instance_id)->compute_environment_arn, ce_arn_);
}

TEST_F(SimulatedCloudEc2Test, ASpotBlockRunsItsDurationThenGetsTheNoticeAndEnds) {
  SimulatedCloudOptions options;
  options.profile.notice_millis = 120'000;
  Cloud(options);
  std::string cluster = AddUnmanagedStack();
  RequestSpotInstancesSpec spec = Spec(cluster);
  spec.block_duration_minutes = 60;
  SpotInstanceRequest request = RequestOne(spec);
  EpochMillis block_end = clock_.NowMillis() + 3'600'000;
  EXPECT_EQ(cloud_->FindInstance(request.instance_id)->block_ends_at, block_end);
  EXPECT_TRUE(request.actual_block_hourly_price);
  EXPECT_EQ(cloud_->NextEventAt(), block_end);
  clock_.Set(block_end);
  Step();
  EXPECT_EQ(Request(request.spot_instance_request_id).status_code, "marked-for-termination");
  EXPECT_FALSE(state_.FindHost(request.instance_id)->accepting);
  EXPECT_EQ(state_.FindHost(request.instance_id)->interruption_deadline, block_end + 120'000);
  clock_.Set(block_end + 120'000);
  Step();
  EXPECT_EQ(cloud_->FindInstance(request.instance_id)->state, InstanceState::kTerminated);
  EXPECT_EQ(Request(request.spot_instance_request_id).state, SpotRequestState::kClosed);
  EXPECT_EQ(Request(request.spot_instance_request_id).status_code,
            "instance-terminated-by-schedule");
}

TEST_F(SimulatedCloudEc2Test, CancelLeavesARunningInstanceRunning) {
  Cloud();
  SpotInstanceRequest active = RequestOne(Spec(""));
  RequestSpotInstancesSpec low = Spec("");
  low.spot_price = "0.000001";
  SpotInstanceRequest open = RequestOne(low);

  auto unknown = cloud_->CancelSpotInstanceRequests({"sir-00000000"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);

  auto cancelled = cloud_->CancelSpotInstanceRequests(
      {active.spot_instance_request_id, open.spot_instance_request_id});
  ASSERT_TRUE(cancelled.ok());
  ASSERT_THAT(*cancelled, SizeIs(2));
  EXPECT_EQ((*cancelled)[0].state, SpotRequestState::kCancelled);
  EXPECT_EQ(Request(active.spot_instance_request_id).status_code,
            "request-canceled-and-instance-running");
  EXPECT_EQ(cloud_->FindInstance(active.instance_id)->state, InstanceState::kRunning);
  EXPECT_EQ(Request(open.spot_instance_request_id).status_code, "canceled-before-fulfillment");
  EXPECT_FALSE(Request(open.spot_instance_request_id).next_evaluation_at);

  ASSERT_TRUE(cloud_->TerminateInstances(state_, {active.instance_id}).ok());
  EXPECT_EQ(Request(active.spot_instance_request_id).state, SpotRequestState::kCancelled);
  EXPECT_EQ(Request(active.spot_instance_request_id).status_code, "instance-terminated-by-user");
}

TEST_F(SimulatedCloudEc2Test, DescribeSpotInstanceRequestsFilters) {
  Cloud();
  SpotInstanceRequest active = RequestOne(Spec(""));
  RequestSpotInstancesSpec low = Spec("", "c5.xlarge");
  low.spot_price = "0.000001";
  SpotInstanceRequest open = RequestOne(low);
  auto ids = [](const std::vector<const SpotInstanceRequest*>& requests) {
    std::vector<std::string> out;
    for (const auto* request : requests) out.push_back(request->spot_instance_request_id);
    return out;
  };
  auto all = cloud_->DescribeSpotInstanceRequests({}, {});
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(ids(*all),
              ElementsAre(active.spot_instance_request_id, open.spot_instance_request_id));
  auto by_state = cloud_->DescribeSpotInstanceRequests({}, {{"state", {"active"}}});
  EXPECT_THAT(ids(*by_state), ElementsAre(active.spot_instance_request_id));
  auto by_type =
      cloud_->DescribeSpotInstanceRequests({}, {{"launch.instance-type", {"c5.*", "x"}}});
  EXPECT_THAT(ids(*by_type), ElementsAre(open.spot_instance_request_id));
  auto both = cloud_->DescribeSpotInstanceRequests(
      {}, {{"status-code", {"price-too-low"}}, {"instance-id", {active.instance_id}}});
  EXPECT_THAT(ids(*both), IsEmpty());
  auto by_id = cloud_->DescribeSpotInstanceRequests({open.spot_instance_request_id}, {});
  EXPECT_THAT(ids(*by_id), ElementsAre(open.spot_instance_request_id));

  auto bad_filter = cloud_->DescribeSpotInstanceRequests({}, {{"colour", {"red"}}});
  EXPECT_EQ(bad_filter.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_filter.status().message(), HasSubstr("'colour'"));
  auto bad_id = cloud_->DescribeSpotInstanceRequests({"sir-zzzzzzzz"}, {});
  EXPECT_EQ(bad_id.status().code(), StatusCode::kNotFound);
}

TEST_F(SimulatedCloudEc2Test, DescribeInstancesShowsManagedAndRequestedInstances) {
  Cloud();
  AddEnvironment("managed", "EC2", 16, {"c5.large"});
  AddQueue({"managed"});
  RegisterDefinition("1", "512");
  Submit("a");
  Step();
  ASSERT_THAT(cloud_->instances(), SizeIs(1));
  std::string on_demand = cloud_->instances().begin()->first;
  clock_.Advance(1);
  SpotInstanceRequest request = RequestOne(Spec(""));

  auto all = cloud_->DescribeInstances({}, {});
  ASSERT_TRUE(all.ok());
  ASSERT_THAT(*all, SizeIs(2));
  EXPECT_EQ((*all)[0]->instance_id, on_demand) << "by launch time";
  auto spot = cloud_->DescribeInstances({}, {{"instance-lifecycle", {"spot"}}});
  ASSERT_THAT(*spot, SizeIs(1));
  EXPECT_EQ((*spot)[0]->instance_id, request.instance_id);
  auto by_type = cloud_->DescribeInstances(
      {}, {{"instance-type", {"c5.large"}}, {"instance-state-name", {"running"}}});
  ASSERT_THAT(*by_type, SizeIs(1));
  EXPECT_EQ((*by_type)[0]->instance_id, on_demand);
  auto tagged = cloud_->DescribeInstances({}, {{"tag:Name", {"x"}}});
  EXPECT_THAT(*tagged, IsEmpty());
  EXPECT_EQ(cloud_->DescribeInstances({"i-00000000000000000"}, {}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(cloud_->DescribeInstances({}, {{"bogus", {"x"}}}).status().code(),
            StatusCode::kInvalidArgument);

  // Managed instances may be terminated too; the compute environment launches again on demand.
  ASSERT_TRUE(cloud_->TerminateInstances(state_, {on_demand}).ok());
  auto terminated = cloud_->DescribeInstances({on_demand}, {});
  EXPECT_EQ((*terminated)[0]->state, InstanceState::kTerminated);
}

TEST_F(SimulatedCloudEc2Test, RequestedInstancesAreNeverScaledIn) {
  SimulatedCloudOptions options;
  options.scale_in_idle_millis = 1000;
  Cloud(options);
  std::string cluster = AddUnmanagedStack();
  SpotInstanceRequest request = RequestOne(Spec(cluster));
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(2000);
    Step();
  }
  EXPECT_EQ(cloud_->FindInstance(request.instance_id)->state, InstanceState::kRunning);
  EXPECT_NE(state_.FindHost(request.instance_id), nullptr);
}

TEST_F(SimulatedCloudEc2Test, SpotPriceHistoryHasOneEntryPerPoolPerHourNewestFirst) {
  Cloud();
  clock_.Set(1'700'000'000'000);  // 22:13:20 UTC: the last three hours touch four price periods
  SpotPriceHistoryQuery query;
  query.instance_types = {"m5.large"};
  query.availability_zone = "us-east-1b";
  auto history = cloud_->DescribeSpotPriceHistory(query);
  ASSERT_TRUE(history.ok());
  ASSERT_THAT(*history, SizeIs(4));
  EpochMillis hour = 1'700'000'000'000 / 3'600'000 * 3'600'000;
  for (size_t i = 0; i < history->size(); ++i) {
    const SpotPriceHistoryEntry& entry = (*history)[i];
    EXPECT_EQ(entry.timestamp, hour - static_cast<int64_t>(i) * 3'600'000);
    EXPECT_EQ(entry.product_description, "Linux/UNIX");
    EXPECT_EQ(entry.spot_price,
              cloud_->prices().SpotPrice({"m5.large", "us-east-1b"}, entry.timestamp));
  }

  query.availability_zone.clear();
  query.instance_types = {"m5.large", "c5.large"};
  query.product_descriptions = {"Linux/UNIX (Amazon VPC)", "Windows"};
  query.start_time = hour + 1;
  query.filters = {{"availability-zone", {"us-east-1a", "us-east-1f"}}};
  history = cloud_->DescribeSpotPriceHistory(query);
  ASSERT_TRUE(history.ok());
  ASSERT_THAT(*history, SizeIs(4));  // one period, two types, two zones
  EXPECT_EQ((*history)[0].instance_type, "c5.large");
  EXPECT_EQ((*history)[0].product_description, "Linux/UNIX (Amazon VPC)");

  query.max_entries = 3;
  EXPECT_THAT(*cloud_->DescribeSpotPriceHistory(query), SizeIs(3)) << "a page needs no more";

  query = {};
  query.instance_types = {"m5.gigantic"};
  EXPECT_EQ(cloud_->DescribeSpotPriceHistory(query).status().code(), StatusCode::kInvalidArgument);
  query = {};
  query.filters = {{"flavour", {"x"}}};
  EXPECT_EQ(cloud_->DescribeSpotPriceHistory(query).status().code(), StatusCode::kInvalidArgument);
}

TEST(SpotFormatTest, PricesHaveSixDecimalsAndFiltersTakeWildcards) {
  EXPECT_EQ(FormatUsd(34'500), "0.034500");
  EXPECT_EQ(FormatUsd(1'250'000), "1.250000");
  EXPECT_EQ(FormatUsd(0), "0.000000");
  EXPECT_TRUE(MatchesFilterValue("m5.*", "m5.large"));
  EXPECT_TRUE(MatchesFilterValue("*", ""));
  EXPECT_TRUE(MatchesFilterValue("us-east-1?", "us-east-1a"));
  EXPECT_TRUE(MatchesFilterValue("*-terminated-*", "instance-terminated-by-user"));
  EXPECT_FALSE(MatchesFilterValue("m5.*", "c5.large"));
  EXPECT_FALSE(MatchesFilterValue("us-east-1?", "us-east-1"));
  EXPECT_FALSE(MatchesFilterValue("active", "Active"));
}

}  // namespace
}  // namespace gleaner
