// The simulated cloud driving a real BatchState in virtual time.
#include "capacity/simulated_cloud.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>

#include "capacity/simulated_cloud_test_support.h"
#include "scheduler/batch_state.h"

namespace gleaner {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class SimulatedCloudTest : public testing::SimulatedCloudFixture {
 protected:
  // Queue "q" over `environments` and a 2-vCPU definition that retries on host loss.
  void AddQueue(const std::vector<std::string>& environments) {
    SimulatedCloudFixture::AddQueue(environments);
    RegisterDefinition("2", "2048", /*retry_on_host_loss=*/true);
  }

  const SimulatedInstance& InstanceOf(const std::string& job_id) {
    return *cloud_->FindInstance(JobOf(job_id).placement->instance_id);
  }
};

TEST_F(SimulatedCloudTest, LaunchesAnInstanceForAWaitingJobAndRunsItWhenReady) {
  SimulatedCloudOptions options;
  options.boot_millis = 2000;
  Cloud(options);
  std::string spot = AddEnvironment("spot", "SPOT", 16);
  AddQueue({"spot"});
  std::string job = Submit("a");
  Decisions first = Step();
  EXPECT_THAT(first.starts, IsEmpty()) << "the instance is booting";
  ASSERT_THAT(cloud_->instances(), SizeIs(1));
  const SimulatedInstance& instance = cloud_->instances().begin()->second;
  EXPECT_EQ(instance.state, InstanceState::kPending);
  EXPECT_EQ(instance.purchase, PurchaseOption::kSpot);
  EXPECT_EQ(instance.compute_environment_arn, spot);
  EXPECT_THAT(instance.instance_id, ::testing::MatchesRegex("i-[0-9a-f]{17}"));
  EXPECT_THAT(Step().starts, IsEmpty()) << "still booting; no second instance either";
  EXPECT_THAT(cloud_->instances(), SizeIs(1));
  EXPECT_THAT(state_.ExplainWaiting(JobOf(job)), HasSubstr("Instances are launching"));

  clock_.Advance(2000);
  EXPECT_THAT(Step().starts, SizeIs(1));
  EXPECT_EQ(JobOf(job).status, JobStatus::kRunning);
  EXPECT_EQ(InstanceOf(job).state, InstanceState::kRunning);
}

// AWS's timeline: the two-minute notice is only in instance metadata and events; the instance's
// shutdown stops the job, SIGTERM the stop timeout before the deadline and SIGKILL at it.
TEST_F(SimulatedCloudTest, OnAwsTheNoticeSendsNoSignalAndTheShutdownStopsTheJob) {
  SimulatedCloudOptions options;
  options.shutdown_grace_millis = 30'000;
  Cloud(options);
  AddEnvironment("spot", "SPOT", 16);
  AddQueue({"spot"});
  std::string job = Submit("a");
  Step();
  ASSERT_EQ(JobOf(job).status, JobStatus::kRunning);
  InterruptRequest request;
  request.job_id = job;  // the profile's notice: 120 s
  ASSERT_TRUE(cloud_->Interrupt(state_, request).ok());
  EXPECT_THAT(Step().signals, IsEmpty()) << "the notice itself signals nothing";
  EXPECT_FALSE(state_.FindHost(JobOf(job).placement->instance_id)->accepting);
  EXPECT_EQ(cloud_->NextEventAt(), clock_.NowMillis() + 90'000);
  clock_.Advance(89'999);
  EXPECT_THAT(Step().signals, IsEmpty());
  clock_.Advance(1);
  Decisions shutdown = Step();
  ASSERT_THAT(shutdown.signals, SizeIs(1));
  EXPECT_EQ(shutdown.signals[0].signal, SIGTERM);
  clock_.Advance(29'999);
  EXPECT_THAT(Step().signals, IsEmpty()) << "SIGTERM is sent once";
  clock_.Advance(1);
  Decisions deadline = Step();
  ASSERT_THAT(deadline.signals, SizeIs(1));
  EXPECT_EQ(deadline.signals[0].signal, SIGKILL);
}

class SignalAtNoticeTest : public SimulatedCloudTest, public ::testing::WithParamInterface<bool> {};

// --signal-at-notice (today's option), and GCP, whose ACPI shutdown starts at the notice.
TEST_P(SignalAtNoticeTest, SigtermComesWithTheNotice) {
  bool gcp = GetParam();
  SimulatedCloudOptions options;
  options.signal_at_notice = !gcp;
  if (gcp) options.profile = InterruptionProfile::GcpSpot();
  Cloud(options);
  AddEnvironment("spot", "SPOT", 16);
  AddQueue({"spot"});
  std::string job = Submit("a");
  Step();
  InterruptRequest request;
  request.job_id = job;
  ASSERT_TRUE(cloud_->Interrupt(state_, request).ok());
  Decisions notice = Step();
  ASSERT_THAT(notice.signals, SizeIs(1));
  EXPECT_EQ(notice.signals[0].signal, SIGTERM);
}

INSTANTIATE_TEST_SUITE_P(AwsOptionAndGcp, SignalAtNoticeTest, ::testing::Bool());

TEST_F(SimulatedCloudTest, InstanceTypesThatDoNotResolveMakeTheComputeEnvironmentInvalid) {
  Cloud();
  std::string arn = AddEnvironment("bad", "EC2", 16, {"m5.nosuchsize"});
  Step();
  const ComputeEnvironment* environment = state_.FindComputeEnvironment(arn);
  EXPECT_EQ(environment->status, ResourceStatus::kInvalid);
  EXPECT_THAT(environment->status_reason, HasSubstr("CLIENT_ERROR"));
  EXPECT_THAT(environment->status_reason, HasSubstr("m5.nosuchsize"));
  EXPECT_THAT(cloud_->instances(), IsEmpty());

  UpdateComputeEnvironmentRequest fix;
  fix.compute_environment = "bad";
  fix.instance_types = std::vector<std::string>{"m5"};
  ASSERT_TRUE(state_.UpdateComputeEnvironment(fix).ok());
  AddQueue({"bad"});
  std::string job = Submit("a");
  EXPECT_THAT(Step().starts, SizeIs(1));
  EXPECT_EQ(state_.FindComputeEnvironment(arn)->status, ResourceStatus::kValid);
  EXPECT_EQ(JobOf(job).status, JobStatus::kRunning);

  // A typo in a later update: INVALID again, but what runs keeps running (as on AWS).
  fix.instance_types = std::vector<std::string>{"m5.typo"};
  ASSERT_TRUE(state_.UpdateComputeEnvironment(fix).ok());
  Step();
  EXPECT_EQ(state_.FindComputeEnvironment(arn)->status, ResourceStatus::kInvalid);
  EXPECT_EQ(JobOf(job).status, JobStatus::kRunning);
  EXPECT_EQ(InstanceOf(job).state, InstanceState::kRunning);
}

TEST_F(SimulatedCloudTest, MinvCpusAreLaunchedAheadOfDemandAndKeptThroughScaleIn) {
  SimulatedCloudOptions options;
  options.scale_in_idle_millis = 1000;
  Cloud(options);
  ComputeEnvironment environment = *state_.FindComputeEnvironment(
      AddEnvironment("warm", "EC2", 64, {"m5.xlarge"}));  // 4 vCPUs each
  UpdateComputeEnvironmentRequest warm;
  warm.compute_environment = "warm";
  warm.minv_cpus = 6;
  ASSERT_TRUE(state_.UpdateComputeEnvironment(warm).ok());
  Step();
  ASSERT_THAT(cloud_->instances(), SizeIs(2)) << "6 vCPUs take two 4-vCPU instances";
  clock_.Advance(60'000);
  Step();
  EXPECT_THAT(cloud_->instances(), SizeIs(2)) << "idle, but minvCpus keeps them";
  AddQueue({"warm"});
  std::string job = Submit("a");
  EXPECT_THAT(Step().starts, SizeIs(1)) << "a waiting job starts on warm capacity at once";
  EXPECT_THAT(cloud_->instances(), SizeIs(2));
}

TEST_F(SimulatedCloudTest, InterruptedJobGetsSigtermThenTheHostGoesAndTheRetryRunsElsewhere) {
  Cloud();
  AddEnvironment("spot", "SPOT", 16);
  AddQueue({"spot"});
  std::string job = Submit("a");
  Step();
  ASSERT_EQ(JobOf(job).status, JobStatus::kRunning);
  std::string first_instance = JobOf(job).placement->instance_id;

  InterruptRequest request;
  request.job_id = job;
  request.notice_millis = 5000;
  auto interrupted = cloud_->Interrupt(state_, request);
  ASSERT_TRUE(interrupted.ok()) << interrupted.status().message();
  ASSERT_THAT(*interrupted, SizeIs(1));
  EXPECT_EQ((*interrupted)[0].deadline_at, clock_.NowMillis() + 5000);
  Decisions at_notice = Step();
  ASSERT_THAT(at_notice.signals, SizeIs(1));
  EXPECT_EQ(at_notice.signals[0].signal, SIGTERM);

  clock_.Advance(5000);
  Decisions at_deadline = Step();
  ASSERT_THAT(at_deadline.signals, SizeIs(1));
  EXPECT_EQ(at_deadline.signals[0].signal, SIGKILL);
  EXPECT_EQ(cloud_->FindInstance(first_instance)->state, InstanceState::kTerminated);
  state_.OnAttemptExited(job, 137, SIGKILL);
  EXPECT_EQ(JobOf(job).status, JobStatus::kRunnable);
  EXPECT_EQ(JobOf(job).attempts[0].status_reason,
            "Host EC2 (instance " + first_instance + ") terminated.");

  Step();  // replacement capacity
  ASSERT_EQ(JobOf(job).status, JobStatus::kRunning);
  EXPECT_NE(JobOf(job).placement->instance_id, first_instance);
}

TEST_F(SimulatedCloudTest, SpotAtMaxvCpusFallsBackToOnDemand) {
  Cloud();
  std::string spot = AddEnvironment("spot", "SPOT", 2, {"c5.large"});
  std::string on_demand = AddEnvironment("ondemand", "EC2", 16, {"c5.large"});
  AddQueue({"spot", "ondemand"});
  std::string a = Submit("a");
  std::string b = Submit("b");
  Step();
  Step();
  ASSERT_EQ(JobOf(a).status, JobStatus::kRunning);
  ASSERT_EQ(JobOf(b).status, JobStatus::kRunning);
  EXPECT_EQ(JobOf(a).placement->compute_environment_arn, spot);
  EXPECT_EQ(JobOf(b).placement->compute_environment_arn, on_demand);
  EXPECT_EQ(InstanceOf(b).purchase, PurchaseOption::kOnDemand);
}

TEST_F(SimulatedCloudTest, SpotPricedAboveTheBidFallsBackToOnDemand) {
  Cloud();
  ComputeEnvironment low_bid;
  low_bid.name = "lowbid";
  low_bid.type = "MANAGED";
  ComputeResources resources;
  resources.type = "SPOT";
  resources.maxv_cpus = 16;
  resources.instance_types = {"c5.large"};
  resources.bid_percentage = 1;  // no pool is that cheap
  low_bid.compute_resources = resources;
  ASSERT_TRUE(state_.CreateComputeEnvironment(low_bid).ok());
  std::string on_demand = AddEnvironment("ondemand", "EC2", 16, {"c5.large"});
  AddQueue({"lowbid", "ondemand"});
  std::string a = Submit("a");
  Step();
  ASSERT_EQ(JobOf(a).status, JobStatus::kRunning);
  EXPECT_EQ(JobOf(a).placement->compute_environment_arn, on_demand);
}

TEST_F(SimulatedCloudTest, IdleInstancesScaleIn) {
  SimulatedCloudOptions options;
  options.scale_in_idle_millis = 30'000;
  Cloud(options);
  AddEnvironment("spot", "SPOT", 16);
  AddQueue({"spot"});
  auto desired = [this] {
    return state_.FindComputeEnvironment("spot")->compute_resources->desiredv_cpus;
  };
  std::string job = Submit("a");
  Step();
  std::string instance = JobOf(job).placement->instance_id;
  // desiredvCpus follows what runs, as AWS Batch moves it with the demand.
  EXPECT_EQ(desired(), cloud_->FindInstance(instance)->capacity.millivcpus / 1000);
  state_.OnAttemptExited(job, 0, 0);
  clock_.Advance(29'000);
  Step();
  EXPECT_EQ(cloud_->FindInstance(instance)->state, InstanceState::kRunning);
  clock_.Advance(1'000);
  Step();
  EXPECT_EQ(cloud_->FindInstance(instance)->state, InstanceState::kTerminated);
  EXPECT_EQ(state_.FindHost(instance), nullptr);
  EXPECT_EQ(desired(), 0);
}

// As Spot Fleet does for AWS Batch, each spot instance of a compute environment comes with a spot
// instance request: closed with "instance-terminated-no-capacity" when the instance is reclaimed
// (what the tutorial's monitoring command looks for), "instance-terminated-by-user" when AWS
// Batch scales it in.
TEST_F(SimulatedCloudTest, ASpotInstanceOfAComputeEnvironmentComesWithASpotRequest) {
  SimulatedCloudOptions options;
  options.scale_in_idle_millis = 30'000;
  Cloud(options);
  AddEnvironment("spot", "SPOT", 16);
  AddEnvironment("ondemand", "EC2", 16);
  AddQueue({"spot"});
  std::string reclaimed = Submit("reclaimed");
  std::string scaled_in = Submit("scaled-in");
  Step();
  std::string first = JobOf(reclaimed).placement->instance_id;
  std::string second = JobOf(scaled_in).placement->instance_id;
  ASSERT_NE(first, second) << "one 2-vCPU job per instance";
  auto request_of = [this](const std::string& instance) {
    return cloud_->FindSpotInstanceRequest(cloud_->FindInstance(instance)->RequestId());
  };
  const SpotInstanceRequest* request = request_of(first);
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(request->state, SpotRequestState::kActive);
  EXPECT_EQ(request->status_code, "fulfilled");
  EXPECT_EQ(request->instance_id, first);
  EXPECT_EQ(request->type, "one-time");
  EXPECT_EQ(request->launch_specification.instance_type,
            cloud_->FindInstance(first)->pool.instance_type);
  EXPECT_TRUE(cloud_->FindInstance(first)->spot_instance_request_id.empty())
      << "still the compute environment's own instance";
  // The tags AWS Batch puts on its instances.
  const std::map<std::string, std::string>& tags = cloud_->FindInstance(first)->tags;
  EXPECT_EQ(tags.at("AWSBatchServiceTag"), "batch");
  EXPECT_THAT(tags.at("aws:ec2spot:fleet-request-id"), ::testing::StartsWith("sfr-"));
  auto tagged = cloud_->DescribeInstances({}, {{"tag:AWSBatchServiceTag", {"batch"}}});
  ASSERT_TRUE(tagged.ok());
  EXPECT_THAT(*tagged, SizeIs(2));
  auto untagged = cloud_->DescribeInstances({}, {{"tag:Name", {"*"}}});
  ASSERT_TRUE(untagged.ok());
  EXPECT_THAT(*untagged, IsEmpty());
  auto active = cloud_->DescribeSpotInstanceRequests({}, {{"state", {"active"}}});
  ASSERT_TRUE(active.ok());
  EXPECT_THAT(*active, SizeIs(2));

  InterruptRequest interrupt;
  interrupt.instance_id = first;
  interrupt.notice_millis = 0;
  ASSERT_TRUE(cloud_->Interrupt(state_, interrupt).ok());
  Step();
  EXPECT_EQ(cloud_->FindInstance(first)->state, InstanceState::kTerminated);
  EXPECT_EQ(request_of(first)->state, SpotRequestState::kClosed);
  EXPECT_EQ(request_of(first)->status_code, "instance-terminated-no-capacity");

  state_.OnAttemptExited(scaled_in, 0, 0);
  clock_.Advance(30'000);
  Step();
  ASSERT_EQ(cloud_->FindInstance(second)->state, InstanceState::kTerminated);
  EXPECT_EQ(request_of(second)->state, SpotRequestState::kClosed);
  EXPECT_EQ(request_of(second)->status_code, "instance-terminated-by-user");
  auto closed = cloud_->DescribeSpotInstanceRequests(
      {}, {{"state", {"closed"}}, {"status-code", {"instance-terminated-no-capacity"}}});
  ASSERT_TRUE(closed.ok());
  ASSERT_THAT(*closed, SizeIs(1));
  EXPECT_EQ((*closed)[0]->instance_id, first);
}

TEST_F(SimulatedCloudTest, ABootedInstanceTakesItsJobEvenWithImmediateScaleIn) {
  SimulatedCloudOptions options;
  options.boot_millis = 2000;
  options.scale_in_idle_millis = 0;
  Cloud(options);
  AddEnvironment("spot", "SPOT", 16);
  AddQueue({"spot"});
  std::string job = Submit("a");
  Step();
  clock_.Advance(2000);
  EXPECT_THAT(Step().starts, SizeIs(1));
  std::string instance = JobOf(job).placement->instance_id;
  state_.OnAttemptExited(job, 0, 0);
  clock_.Advance(1);
  Step();
  EXPECT_EQ(cloud_->FindInstance(instance)->state, InstanceState::kTerminated) << "idle: scaled in";
}

TEST_F(SimulatedCloudTest, FargateGivesEachJobCapacityOfItsSize) {
  Cloud();
  AddEnvironment("fargate", "FARGATE", 16, {});
  AddQueue({"fargate"});
  RegisterDefinition("2", "2048", /*retry_on_host_loss=*/false, {"FARGATE"});
  std::string a = Submit("a");
  std::string b = Submit("b");
  Step();
  ASSERT_EQ(JobOf(a).status, JobStatus::kRunning);
  ASSERT_EQ(JobOf(b).status, JobStatus::kRunning);
  EXPECT_NE(JobOf(a).placement->instance_id, JobOf(b).placement->instance_id);
  EXPECT_EQ(InstanceOf(a).capacity, (Resources{2000, 2048, 0}));
}

TEST_F(SimulatedCloudTest, InterruptChecksItsTarget) {
  Cloud();
  AddEnvironment("spot", "SPOT", 16);
  AddQueue({"spot"});
  InterruptRequest none;
  EXPECT_FALSE(cloud_->Interrupt(state_, none).ok());
  InterruptRequest unknown;
  unknown.instance_id = "i-00000000000000000";
  EXPECT_THAT(cloud_->Interrupt(state_, unknown).status().message(), HasSubstr("instanceId"));
  InterruptRequest empty;
  empty.compute_environment = "spot";
  EXPECT_THAT(cloud_->Interrupt(state_, empty).status().message(),
              HasSubstr("no running spot instance"));
  InterruptRequest both;
  both.compute_environment = "spot";
  both.count = 1;
  both.percent = 50;
  EXPECT_FALSE(cloud_->Interrupt(state_, both).ok());
}

TEST_F(SimulatedCloudTest, AnOnDemandInstanceIsNeverInterrupted) {
  Cloud();
  AddEnvironment("ondemand", "EC2", 16);
  AddQueue({"ondemand"});
  std::string job = Submit("a");
  Step();
  ASSERT_EQ(JobOf(job).status, JobStatus::kRunning);
  InterruptRequest by_job;
  by_job.job_id = job;
  EXPECT_THAT(cloud_->Interrupt(state_, by_job).status().message(),
              HasSubstr("on-demand instance: EC2 interrupts spot instances only"));
  InterruptRequest by_instance;
  by_instance.instance_id = JobOf(job).placement->instance_id;
  EXPECT_FALSE(cloud_->Interrupt(state_, by_instance).ok());
  InterruptRequest by_environment;
  by_environment.compute_environment = "ondemand";
  EXPECT_THAT(cloud_->Interrupt(state_, by_environment).status().message(),
              HasSubstr("no running spot instance"));
  EXPECT_FALSE(cloud_->FindInstance(JobOf(job).placement->instance_id)->notice_at);
}

TEST_F(SimulatedCloudTest, InterruptAShareOfAComputeEnvironmentWithRebalanceLead) {
  Cloud();
  AddEnvironment("spot", "SPOT", 64, {"c5.large"});
  AddQueue({"spot"});
  for (int i = 0; i < 4; ++i) Submit("j" + std::to_string(i));
  Step();
  ASSERT_THAT(cloud_->instances(), SizeIs(4));
  InterruptRequest request;
  request.compute_environment = "spot";
  request.percent = 50;
  request.rebalance_lead_millis = 10'000;
  request.notice_millis = 30'000;
  auto interrupted = cloud_->Interrupt(state_, request);
  ASSERT_TRUE(interrupted.ok());
  ASSERT_THAT(*interrupted, SizeIs(2));
  const SimulatedInstance& first = *cloud_->FindInstance((*interrupted)[0].instance_id);
  EXPECT_EQ(first.rebalance_at, clock_.NowMillis());
  EXPECT_EQ(first.notice_at, clock_.NowMillis() + 10'000);
  EXPECT_EQ(first.deadline_at, clock_.NowMillis() + 40'000);
  EXPECT_THAT(Step().signals, IsEmpty()) << "a rebalance recommendation is advisory";
  clock_.Advance(10'000);
  EXPECT_THAT(Step().signals, SizeIs(2));
}

// c7a.large is in the Spot Advisor's top bucket (>20 % interrupted per month): over half a year,
// its three pools are reclaimed several times. The same seed gives the same reclaims.
TEST_F(SimulatedCloudTest, BackgroundHazardReclaimsSpotInstancesDeterministically) {
  background_ = true;
  auto run = [this](uint64_t seed) {
    clock_.Set(1'700'000'000'000);
    state_.~BatchState();
    new (&state_) BatchState(clock_, BatchStateOptions{});
    SimulatedCloudOptions options;
    options.seed = seed;
    options.scale_in_idle_millis = INT64_MAX / 4;
    Cloud(options);
    AddEnvironment("spot", "SPOT", 400, {"c7a.large"});
    AddQueue({"spot"});
    for (int i = 0; i < 60; ++i) Submit("j" + std::to_string(i));  // they never exit
    Step();
    std::vector<std::string> reclaimed;
    for (int hour = 0; hour < 180 * 24; ++hour) {
      clock_.Advance(3600LL * 1000);
      for (const StartAttempt& start : Step().starts) reclaimed.push_back("start " + start.job_id);
      for (const auto& [id, instance] : cloud_->instances()) {
        if (instance.notice_at &&
            std::find(reclaimed.begin(), reclaimed.end(), id) == reclaimed.end()) {
          reclaimed.push_back(id);
        }
      }
    }
    return reclaimed;
  };
  std::vector<std::string> first = run(4);
  EXPECT_GE(first.size(), 10u) << "reclaims, and the retried jobs starting again";
  EXPECT_EQ(run(4), first);
}

}  // namespace
}  // namespace gleaner
