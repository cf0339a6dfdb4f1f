// BatchState's catalog: compute environments, job queues, scheduling policies, job definitions,
// their listings, tags, and the change set handed to the store.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "scheduler/batch_state_test_support.h"

namespace gleaner {
namespace {

using scheduler_test::BatchStateTest;
using scheduler_test::Must;
using scheduler_test::MustOk;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kArnPrefix[] = "arn:aws:batch:us-east-1:123456789012:";

// ---- compute environments ----

class ComputeEnvironmentTest : public BatchStateTest {
 protected:
  UpdateComputeEnvironmentRequest Update(const std::string& name) {
    UpdateComputeEnvironmentRequest request;
    request.compute_environment = name;
    return request;
  }
};

TEST_F(ComputeEnvironmentTest, CreateFillsInWhatAwsFillsIn) {
  clock_.Set(1'700'000'123'456);
  const ComputeEnvironment& environment = AddEnvironment("ce1", 64);

  EXPECT_EQ(environment.arn, std::string(kArnPrefix) + "compute-environment/ce1");
  EXPECT_EQ(environment.state, ResourceState::kEnabled);
  EXPECT_EQ(environment.status, ResourceStatus::kValid);
  EXPECT_EQ(environment.status_reason, "ComputeEnvironment Healthy");
  ASSERT_TRUE(environment.compute_resources.has_value());
  EXPECT_EQ(environment.compute_resources->allocation_strategy, "BEST_FIT");
  EXPECT_EQ(environment.compute_resources->minv_cpus, 0);
  EXPECT_EQ(environment.compute_resources->desiredv_cpus, 0);
  EXPECT_EQ(environment.compute_resources->maxv_cpus, 64);
  EXPECT_FALSE(environment.uuid.empty());
  EXPECT_EQ(environment.ecs_cluster_arn,
            "arn:aws:ecs:us-east-1:123456789012:cluster/ce1_Batch_" + environment.uuid);
  EXPECT_EQ(environment.created_at, 1'700'000'123'456);

  EXPECT_EQ(state_.FindComputeEnvironment("ce1"), &environment);
  EXPECT_EQ(state_.FindComputeEnvironment(environment.arn), &environment);
  // The same name in another account is another resource.
  EXPECT_EQ(
      state_.FindComputeEnvironment("arn:aws:batch:us-east-1:999999999999:compute-environment/ce1"),
      nullptr);
}

TEST_F(ComputeEnvironmentTest, ABareServiceRoleNameBecomesTheRolesArn) {
  CreateComputeEnvironmentRequest request;
  request.name = "ce-role";
  request.type = "UNMANAGED";
  request.service_role = "AWSBatchServiceRole";
  const ComputeEnvironment* environment = Must(state_.CreateComputeEnvironment(request));
  EXPECT_EQ(environment->service_role, "arn:aws:iam::123456789012:role/AWSBatchServiceRole");
  UpdateComputeEnvironmentRequest update = Update("ce-role");
  update.service_role = "arn:aws:iam::123456789012:role/service-role/Mine";
  EXPECT_EQ(Must(state_.UpdateComputeEnvironment(update))->service_role,
            "arn:aws:iam::123456789012:role/service-role/Mine");
}

class CheckedComputeEnvironmentTest : public BatchStateTest {
 protected:
  static BatchStateOptions Checked() {
    BatchStateOptions options;
    options.check_compute_resources = [](const ComputeResources& resources) {
      for (const std::string& type : resources.instance_types) {
        if (type == "m5.bogus") return Status::InvalidArgument("no such type: " + type);
      }
      return Status::Ok();
    };
    return options;
  }
  CheckedComputeEnvironmentTest() : BatchStateTest(Checked()) {}

  static CreateComputeEnvironmentRequest Managed(const std::string& name, const char* type,
                                                 std::vector<std::string> instance_types) {
    CreateComputeEnvironmentRequest request;
    request.name = name;
    request.type = "MANAGED";
    ComputeResources& resources = request.compute_resources.emplace();
    resources.type = type;
    resources.maxv_cpus = 16;
    resources.instance_types = std::move(instance_types);
    return request;
  }
};

TEST_F(CheckedComputeEnvironmentTest, InstanceTypesAreCheckedAtCreateAndUpdate) {
  Result<const ComputeEnvironment*> refused =
      state_.CreateComputeEnvironment(Managed("bad", "EC2", {"m5.bogus"}));
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("m5.bogus"));
  EXPECT_EQ(state_.FindComputeEnvironment("bad"), nullptr);
  // Fargate has no instance types to check.
  Must(state_.CreateComputeEnvironment(Managed("fargate", "FARGATE", {"m5.bogus"})));
  Must(state_.CreateComputeEnvironment(Managed("good", "SPOT", {"m5.large"})));
  UpdateComputeEnvironmentRequest update;
  update.compute_environment = "good";
  update.instance_types = std::vector<std::string>{"m5.bogus"};
  EXPECT_FALSE(state_.UpdateComputeEnvironment(update).ok());
  EXPECT_EQ(state_.FindComputeEnvironment("good")->compute_resources->instance_types,
            std::vector<std::string>{"m5.large"});
}

TEST_F(ComputeEnvironmentTest, CreateKeepsWhatTheClientChose) {
  ComputeEnvironment request = Ec2Environment("ce1", 64);
  request.state = ResourceState::kDisabled;
  request.compute_resources->allocation_strategy = "BEST_FIT_PROGRESSIVE";
  request.compute_resources->minv_cpus = 2;
  request.compute_resources->desiredv_cpus = 8;
  const ComputeEnvironment& environment = *Must(state_.CreateComputeEnvironment(request));

  EXPECT_EQ(environment.state, ResourceState::kDisabled);
  EXPECT_EQ(environment.compute_resources->allocation_strategy, "BEST_FIT_PROGRESSIVE");
  EXPECT_EQ(environment.compute_resources->minv_cpus, 2);
  EXPECT_EQ(environment.compute_resources->desiredv_cpus, 8);
}

TEST_F(ComputeEnvironmentTest, DesiredDefaultsToMin) {
  ComputeEnvironment request = Ec2Environment("ce1", 64);
  request.compute_resources->minv_cpus = 4;
  const ComputeEnvironment& environment = *Must(state_.CreateComputeEnvironment(request));
  EXPECT_EQ(environment.compute_resources->desiredv_cpus, 4);
}

TEST_F(ComputeEnvironmentTest, FargateGetsNoAllocationStrategyOrMinDesired) {
  const ComputeEnvironment& environment =
      *Must(state_.CreateComputeEnvironment(FargateEnvironment("fargate")));
  EXPECT_TRUE(environment.IsFargate());
  EXPECT_EQ(environment.compute_resources->allocation_strategy, "");
  EXPECT_FALSE(environment.compute_resources->minv_cpus.has_value());
  EXPECT_FALSE(environment.compute_resources->desiredv_cpus.has_value());
}

TEST_F(ComputeEnvironmentTest, DuplicateNameRejected) {
  const ComputeEnvironment& first = AddEnvironment("ce1", 64);
  std::string uuid = first.uuid;

  Result<const ComputeEnvironment*> second =
      state_.CreateComputeEnvironment(Ec2Environment("ce1", 8));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(second.status().message(), HasSubstr("\"ce1\""));
  EXPECT_TRUE(second.status().IsClientError());
  // The existing environment is untouched.
  EXPECT_EQ(state_.FindComputeEnvironment("ce1")->uuid, uuid);
  EXPECT_EQ(state_.FindComputeEnvironment("ce1")->compute_resources->maxv_cpus, 64);
}

TEST_F(ComputeEnvironmentTest, VcpuBoundsChecked) {
  ComputeEnvironment min_above_max = Ec2Environment("bad1", 4);
  min_above_max.compute_resources->minv_cpus = 8;
  Result<const ComputeEnvironment*> result = state_.CreateComputeEnvironment(min_above_max);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("minvCpus"));

  ComputeEnvironment desired_above_max = Ec2Environment("bad2", 4);
  desired_above_max.compute_resources->desiredv_cpus = 8;
  result = state_.CreateComputeEnvironment(desired_above_max);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("desiredvCpus"));

  EXPECT_EQ(state_.FindComputeEnvironment("bad1"), nullptr);
  EXPECT_EQ(state_.FindComputeEnvironment("bad2"), nullptr);
}

TEST_F(ComputeEnvironmentTest, DesiredVcpusMayOnlyRise) {
  ComputeEnvironment request = Ec2Environment("ce1", 64);
  request.compute_resources->desiredv_cpus = 8;
  const ComputeEnvironment& environment = *Must(state_.CreateComputeEnvironment(request));

  UpdateComputeEnvironmentRequest lower = Update("ce1");
  lower.desiredv_cpus = 4;
  Result<const ComputeEnvironment*> lowered = state_.UpdateComputeEnvironment(lower);
  ASSERT_FALSE(lowered.ok());
  EXPECT_EQ(lowered.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(lowered.status().message(), HasSubstr("desiredvCpus"));
  EXPECT_EQ(environment.compute_resources->desiredv_cpus, 8);

  UpdateComputeEnvironmentRequest raise = Update(environment.arn);  // by ARN
  raise.desiredv_cpus = 16;
  Must(state_.UpdateComputeEnvironment(raise));
  EXPECT_EQ(environment.compute_resources->desiredv_cpus, 16);
}

TEST_F(ComputeEnvironmentTest, RaisingMinRaisesDesired) {
  const ComputeEnvironment& environment = AddEnvironment("ce1", 64);
  UpdateComputeEnvironmentRequest request = Update("ce1");
  request.minv_cpus = 4;
  Must(state_.UpdateComputeEnvironment(request));
  EXPECT_EQ(environment.compute_resources->minv_cpus, 4);
  EXPECT_EQ(environment.compute_resources->desiredv_cpus, 4);
}

// Found by the engine simulation once the simulated cloud set desiredvCpus: a lower maxvCpus was
// refused because the desiredvCpus the cloud had set no longer fitted.
TEST_F(ComputeEnvironmentTest, LoweringMaxBringsDesiredDownWithIt) {
  const ComputeEnvironment& environment = AddEnvironment("ce1", 64);
  state_.SetDesiredvCpus(environment.arn, 20);  // what the provider runs
  EXPECT_EQ(environment.compute_resources->desiredv_cpus, 20);
  UpdateComputeEnvironmentRequest request = Update("ce1");
  request.maxv_cpus = 8;
  Must(state_.UpdateComputeEnvironment(request));
  EXPECT_EQ(environment.compute_resources->desiredv_cpus, 8);

  UpdateComputeEnvironmentRequest too_high = Update("ce1");
  too_high.maxv_cpus = 4;
  too_high.desiredv_cpus = 10;  // named: it must fit
  EXPECT_FALSE(state_.UpdateComputeEnvironment(too_high).ok());
}

TEST_F(ComputeEnvironmentTest, AllocationStrategyCannotChangeToBestFit) {
  const ComputeEnvironment& environment = AddEnvironment("ce1");

  UpdateComputeEnvironmentRequest to_best_fit = Update("ce1");
  to_best_fit.state = ResourceState::kDisabled;
  to_best_fit.allocation_strategy = "BEST_FIT";
  Result<const ComputeEnvironment*> rejected = state_.UpdateComputeEnvironment(to_best_fit);
  ASSERT_FALSE(rejected.ok());
  EXPECT_THAT(rejected.status().message(), HasSubstr("BEST_FIT"));
  // A rejected update changes nothing, not even its valid parts.
  EXPECT_EQ(environment.state, ResourceState::kEnabled);

  UpdateComputeEnvironmentRequest progressive = Update("ce1");
  progressive.allocation_strategy = "BEST_FIT_PROGRESSIVE";
  Must(state_.UpdateComputeEnvironment(progressive));
  EXPECT_EQ(environment.compute_resources->allocation_strategy, "BEST_FIT_PROGRESSIVE");
}

TEST_F(ComputeEnvironmentTest, UpdateOfUnknownEnvironmentRejected) {
  AddEnvironment("ce1");
  UpdateComputeEnvironmentRequest request = Update("missing");
  request.state = ResourceState::kDisabled;
  Result<const ComputeEnvironment*> result = state_.UpdateComputeEnvironment(request);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("\"missing\""));
}

TEST_F(ComputeEnvironmentTest, DeleteRequiresDisabledAndNoQueue) {
  const ComputeEnvironment& environment = AddEnvironment("ce1");
  std::string arn = environment.arn;
  AddQueue("q", 1, {"ce1"});

  Status enabled = state_.DeleteComputeEnvironment("ce1");
  ASSERT_FALSE(enabled.ok());
  EXPECT_THAT(enabled.message(), HasSubstr("DISABLED"));

  UpdateComputeEnvironmentRequest disable = Update("ce1");
  disable.state = ResourceState::kDisabled;
  Must(state_.UpdateComputeEnvironment(disable));
  Status attached = state_.DeleteComputeEnvironment("ce1");
  ASSERT_FALSE(attached.ok());
  EXPECT_THAT(attached.message(), HasSubstr("\"q\""));
  ASSERT_NE(state_.FindComputeEnvironment("ce1"), nullptr);

  UpdateJobQueueRequest disable_queue;
  disable_queue.job_queue = "q";
  disable_queue.state = ResourceState::kDisabled;
  Must(state_.UpdateJobQueue(disable_queue));
  MustOk(state_.DeleteJobQueue("q"));
  (void)state_.TakeChanges();

  EXPECT_TRUE(state_.DeleteComputeEnvironment(arn).ok());
  EXPECT_EQ(state_.FindComputeEnvironment("ce1"), nullptr);
  StateChanges changes = state_.TakeChanges();
  EXPECT_EQ(changes.deleted_compute_environments, std::set<std::string>{"ce1"});
  EXPECT_TRUE(changes.compute_environments.empty());

  EXPECT_FALSE(state_.DeleteComputeEnvironment("ce1").ok());
}

TEST_F(ComputeEnvironmentTest, ADeletedEnvironmentsClusterIsRememberedInactiveUpToALimit) {
  std::string first_cluster;
  for (size_t i = 0; i <= BatchState::kMaxInactiveClusters; ++i) {
    std::string name = "ce" + std::to_string(i);
    ComputeEnvironment environment = Ec2Environment(name);
    environment.state = ResourceState::kDisabled;
    std::string cluster = Must(state_.CreateComputeEnvironment(environment))->ecs_cluster_arn;
    if (i == 0) first_cluster = cluster;
    MustOk(state_.DeleteComputeEnvironment(name));
    EXPECT_EQ(state_.inactive_clusters().count(cluster), 1u);
  }
  EXPECT_EQ(state_.inactive_clusters().size(), BatchState::kMaxInactiveClusters);
  EXPECT_EQ(state_.inactive_clusters().count(first_cluster), 0u) << "the oldest is forgotten";
}

// ---- job queues ----

class JobQueueTest : public BatchStateTest {};

TEST_F(JobQueueTest, CreateResolvesEnvironmentsToArnsSortedByOrder) {
  const ComputeEnvironment& a = AddEnvironment("a");
  const ComputeEnvironment& b = AddEnvironment("b");
  const ComputeEnvironment& c = AddEnvironment("c");
  JobQueue request;
  request.name = "q";
  request.priority = 5;
  request.compute_environment_order = {{30, "c"}, {10, a.arn}, {20, "b"}};
  const JobQueue& queue = *Must(state_.CreateJobQueue(request));

  EXPECT_EQ(queue.arn, std::string(kArnPrefix) + "job-queue/q");
  EXPECT_EQ(queue.state, ResourceState::kEnabled);
  EXPECT_EQ(queue.status, ResourceStatus::kValid);
  EXPECT_EQ(queue.priority, 5);
  ASSERT_EQ(queue.compute_environment_order.size(), 3u);
  EXPECT_EQ(queue.compute_environment_order[0].order, 10);
  EXPECT_EQ(queue.compute_environment_order[0].compute_environment, a.arn);
  EXPECT_EQ(queue.compute_environment_order[1].order, 20);
  EXPECT_EQ(queue.compute_environment_order[1].compute_environment, b.arn);
  EXPECT_EQ(queue.compute_environment_order[2].order, 30);
  EXPECT_EQ(queue.compute_environment_order[2].compute_environment, c.arn);
  EXPECT_EQ(state_.FindJobQueue("q"), &queue);
  EXPECT_EQ(state_.FindJobQueue(queue.arn), &queue);
}

TEST_F(JobQueueTest, UnknownEnvironmentRejectedNamingTheEntry) {
  AddEnvironment("a");
  Result<const JobQueue*> result = state_.CreateJobQueue(Queue("q", 1, {"a", "missing"}));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(),
              HasSubstr("computeEnvironmentOrder[1].computeEnvironment"));
  EXPECT_THAT(result.status().message(), HasSubstr("\"missing\""));
  EXPECT_EQ(state_.FindJobQueue("q"), nullptr);
}

TEST_F(JobQueueTest, FargateAndEc2CannotMix) {
  AddEnvironment("ec2");
  Must(state_.CreateComputeEnvironment(FargateEnvironment("fargate")));
  Must(state_.CreateComputeEnvironment(FargateEnvironment("fargate2")));

  Result<const JobQueue*> mixed = state_.CreateJobQueue(Queue("mixed", 1, {"ec2", "fargate"}));
  ASSERT_FALSE(mixed.ok());
  EXPECT_THAT(mixed.status().message(), HasSubstr("Fargate"));
  EXPECT_EQ(state_.FindJobQueue("mixed"), nullptr);

  EXPECT_TRUE(state_.CreateJobQueue(Queue("fargate-only", 1, {"fargate", "fargate2"})).ok());
}

TEST_F(JobQueueTest, DuplicateNameRejected) {
  AddEnvironment("ce");
  AddQueue("q", 1, {"ce"});
  Result<const JobQueue*> again = state_.CreateJobQueue(Queue("q", 9, {"ce"}));
  ASSERT_FALSE(again.ok());
  EXPECT_THAT(again.status().message(), HasSubstr("\"q\""));
  EXPECT_EQ(state_.FindJobQueue("q")->priority, 1);
}

TEST_F(JobQueueTest, SchedulingPolicyMustExist) {
  AddEnvironment("ce");
  JobQueue request = Queue("fair", 1, {"ce"});
  request.scheduling_policy_arn = std::string(kArnPrefix) + "scheduling-policy/missing";
  Result<const JobQueue*> result = state_.CreateJobQueue(request);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("schedulingPolicyArn"));

  SchedulingPolicy policy;
  policy.name = "policy";
  request.scheduling_policy_arn = Must(state_.CreateSchedulingPolicy(policy))->arn;
  EXPECT_EQ(Must(state_.CreateJobQueue(request))->scheduling_policy_arn,
            std::string(kArnPrefix) + "scheduling-policy/policy");
}

TEST_F(JobQueueTest, FifoQueueCannotGainASchedulingPolicy) {
  AddEnvironment("ce");
  AddQueue("q", 1, {"ce"});
  SchedulingPolicy policy;
  policy.name = "policy";
  UpdateJobQueueRequest request;
  request.job_queue = "q";
  request.scheduling_policy_arn = Must(state_.CreateSchedulingPolicy(policy))->arn;
  Result<const JobQueue*> result = state_.UpdateJobQueue(request);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("FIFO"));
  EXPECT_EQ(state_.FindJobQueue("q")->scheduling_policy_arn, "");
}

TEST_F(JobQueueTest, DeleteRequiresDisabled) {
  AddEnvironment("ce");
  const JobQueue& queue = AddQueue("q", 1, {"ce"});
  std::string arn = queue.arn;

  Status enabled = state_.DeleteJobQueue("q");
  ASSERT_FALSE(enabled.ok());
  EXPECT_THAT(enabled.message(), HasSubstr("DISABLED"));
  ASSERT_NE(state_.FindJobQueue("q"), nullptr);

  UpdateJobQueueRequest disable;
  disable.job_queue = "q";
  disable.state = ResourceState::kDisabled;
  Must(state_.UpdateJobQueue(disable));
  EXPECT_TRUE(state_.DeleteJobQueue(arn).ok());
  EXPECT_EQ(state_.FindJobQueue("q"), nullptr);

  StateChanges changes = state_.TakeChanges();
  EXPECT_EQ(changes.deleted_job_queues, std::set<std::string>{"q"});
  EXPECT_TRUE(changes.job_queues.empty());
  EXPECT_FALSE(state_.DeleteJobQueue("q").ok());
}

TEST_F(JobQueueTest, DeletingAQueueFailsItsWaitingJobs) {
  AddStandardWorld();
  std::string waiting = Submit("waiting");
  ASSERT_EQ(StatusOf(waiting), JobStatus::kRunnable);

  UpdateJobQueueRequest disable;
  disable.job_queue = "q";
  disable.state = ResourceState::kDisabled;
  Must(state_.UpdateJobQueue(disable));
  MustOk(state_.DeleteJobQueue("q"));

  EXPECT_EQ(StatusOf(waiting), JobStatus::kFailed);
  EXPECT_THAT(JobOf(waiting).status_reason, HasSubstr(" q "));
}

// ---- scheduling policies ----

class SchedulingPolicyTest : public BatchStateTest {};

TEST_F(SchedulingPolicyTest, CreateDuplicateAndDeleteWhileInUse) {
  SchedulingPolicy request;
  request.name = "policy";
  const SchedulingPolicy& policy = *Must(state_.CreateSchedulingPolicy(request));
  EXPECT_EQ(policy.arn, std::string(kArnPrefix) + "scheduling-policy/policy");
  EXPECT_FALSE(state_.CreateSchedulingPolicy(request).ok());

  AddEnvironment("ce");
  JobQueue fair = Queue("fair", 1, {"ce"});
  fair.scheduling_policy_arn = policy.arn;
  Must(state_.CreateJobQueue(fair));
  std::string arn = policy.arn;
  Status in_use = state_.DeleteSchedulingPolicy(arn);
  ASSERT_FALSE(in_use.ok());
  EXPECT_THAT(in_use.message(), HasSubstr("\"fair\""));

  UpdateJobQueueRequest disable;
  disable.job_queue = "fair";
  disable.state = ResourceState::kDisabled;
  Must(state_.UpdateJobQueue(disable));
  MustOk(state_.DeleteJobQueue("fair"));
  EXPECT_TRUE(state_.DeleteSchedulingPolicy(arn).ok());
  EXPECT_EQ(state_.FindSchedulingPolicy(arn), nullptr);
}

// ---- job definitions ----

class JobDefinitionTest : public BatchStateTest {
 protected:
  // Every page of DescribeJobDefinitions as "name:revision", failing on a page that repeats.
  std::vector<std::string> DescribeAll(DescribeJobDefinitionsRequest request, int page_size) {
    std::vector<std::string> seen;
    request.page.max_results = page_size;
    request.page.next_token.clear();
    for (int page = 0; page < 100; ++page) {
      std::string next_token;
      std::vector<const JobDefinition*> found =
          Must(state_.DescribeJobDefinitions(request, &next_token));
      EXPECT_LE(found.size(), static_cast<size_t>(page_size));
      for (const JobDefinition* definition : found) {
        seen.push_back(definition->name + ":" + std::to_string(definition->revision));
      }
      if (next_token.empty()) return seen;
      EXPECT_FALSE(found.empty()) << "a page with a next token must not be empty";
      request.page.next_token = next_token;
    }
    ADD_FAILURE() << "paging did not end";
    return seen;
  }
};

TEST_F(JobDefinitionTest, EachRegistrationIsTheNextRevision) {
  for (int revision = 1; revision <= 3; ++revision) {
    clock_.Advance(1000);
    const JobDefinition& definition = Register("def");
    EXPECT_EQ(definition.revision, revision);
    EXPECT_EQ(definition.status, "ACTIVE");
    EXPECT_EQ(definition.arn,
              std::string(kArnPrefix) + "job-definition/def:" + std::to_string(revision));
    EXPECT_EQ(definition.created_at, clock_.NowMillis());
  }

  ASSERT_NE(state_.FindJobDefinition("def"), nullptr);
  EXPECT_EQ(state_.FindJobDefinition("def")->revision, 3);
  ASSERT_NE(state_.FindJobDefinition("def:2"), nullptr);
  EXPECT_EQ(state_.FindJobDefinition("def:2")->revision, 2);
  const JobDefinition* by_arn =
      state_.FindJobDefinition(std::string(kArnPrefix) + "job-definition/def:1");
  ASSERT_NE(by_arn, nullptr);
  EXPECT_EQ(by_arn->revision, 1);

  EXPECT_EQ(state_.FindJobDefinition("def:4"), nullptr);
  EXPECT_EQ(state_.FindJobDefinition("def:x"), nullptr);
  EXPECT_EQ(state_.FindJobDefinition("def:"), nullptr);
  EXPECT_EQ(state_.FindJobDefinition("other"), nullptr);
  EXPECT_EQ(state_.FindJobDefinition(std::string(kArnPrefix) + "job-queue/def"), nullptr);
}

TEST_F(JobDefinitionTest, DeregisterMakesARevisionInactiveAndNameLookupSkipsIt) {
  Register("def");
  Register("def");
  Register("def");

  MustOk(state_.DeregisterJobDefinition("def:3"));
  EXPECT_EQ(state_.FindJobDefinition("def:3")->status, "INACTIVE");
  EXPECT_EQ(state_.FindJobDefinition("def")->revision, 2);

  MustOk(state_.DeregisterJobDefinition(std::string(kArnPrefix) + "job-definition/def:2"));
  EXPECT_EQ(state_.FindJobDefinition("def")->revision, 1);

  // Revision numbers are never reused.
  EXPECT_EQ(Register("def").revision, 4);
  EXPECT_EQ(state_.FindJobDefinition("def")->revision, 4);
}

TEST_F(JobDefinitionTest, NoActiveRevisionMeansTheNameDoesNotResolve) {
  Register("def");
  MustOk(state_.DeregisterJobDefinition("def:1"));
  EXPECT_EQ(state_.FindJobDefinition("def"), nullptr);
  EXPECT_NE(state_.FindJobDefinition("def:1"), nullptr);
}

TEST_F(JobDefinitionTest, DeregisterNeedsAnExistingRevision) {
  Register("def");
  Status by_name = state_.DeregisterJobDefinition("def");
  ASSERT_FALSE(by_name.ok());
  EXPECT_THAT(by_name.message(), HasSubstr("name:revision"));
  EXPECT_FALSE(state_.DeregisterJobDefinition("def:2").ok());
  EXPECT_FALSE(state_.DeregisterJobDefinition("missing:1").ok());
  EXPECT_EQ(state_.FindJobDefinition("def")->status, "ACTIVE");
}

TEST_F(JobDefinitionTest, SubmitToAnInactiveRevisionRejected) {
  AddEnvironment("ce");
  AddQueue("q", 1, {"ce"});
  Register("def");
  Register("def");
  MustOk(state_.DeregisterJobDefinition("def:1"));

  Result<const Job*> inactive = state_.SubmitJob(Request("job", "q", "def:1"));
  ASSERT_FALSE(inactive.ok());
  EXPECT_EQ(inactive.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(inactive.status().message(), HasSubstr("INACTIVE"));

  const Job& job = *Must(state_.SubmitJob(Request("job", "q", "def")));
  EXPECT_EQ(job.job_definition, std::string(kArnPrefix) + "job-definition/def:2");

  MustOk(state_.DeregisterJobDefinition("def:2"));
  Result<const Job*> none_active = state_.SubmitJob(Request("job", "q", "def"));
  ASSERT_FALSE(none_active.ok());
  EXPECT_THAT(none_active.status().message(), HasSubstr("jobDefinition"));
  EXPECT_EQ(state_.job_count(), 1u);
}

TEST_F(JobDefinitionTest, DescribePagesCoverEveryRevisionOnceInOrder) {
  // "job" is a prefix of "job-b" and "job1", whose next characters sort before ':'; revision 10
  // must come after 9.
  Register("a");
  for (int i = 0; i < 11; ++i) Register("job");
  Register("job-b");
  Register("job-b");
  Register("job1");
  Register("job1");
  std::vector<std::string> expected = {"a:1"};
  for (int revision = 1; revision <= 11; ++revision) {
    expected.push_back("job:" + std::to_string(revision));
  }
  expected.insert(expected.end(), {"job-b:1", "job-b:2", "job1:1", "job1:2"});

  for (int page_size : {1, 2, 3, 5, 16, 100}) {
    SCOPED_TRACE("page size " + std::to_string(page_size));
    EXPECT_EQ(DescribeAll({}, page_size), expected);
  }
}

TEST_F(JobDefinitionTest, DescribeFiltersByNameAndStatusWhilePaging) {
  for (int i = 0; i < 5; ++i) Register("job");
  Register("job1");
  Register("jo");
  MustOk(state_.DeregisterJobDefinition("job:2"));
  MustOk(state_.DeregisterJobDefinition("job:4"));
  MustOk(state_.DeregisterJobDefinition("job1:1"));

  DescribeJobDefinitionsRequest by_name;
  by_name.job_definition_name = "job";
  EXPECT_EQ(DescribeAll(by_name, 2),
            (std::vector<std::string>{"job:1", "job:2", "job:3", "job:4", "job:5"}));

  DescribeJobDefinitionsRequest active = by_name;
  active.status = "ACTIVE";
  EXPECT_EQ(DescribeAll(active, 1), (std::vector<std::string>{"job:1", "job:3", "job:5"}));

  DescribeJobDefinitionsRequest inactive;
  inactive.status = "INACTIVE";
  EXPECT_EQ(DescribeAll(inactive, 1), (std::vector<std::string>{"job:2", "job:4", "job1:1"}));

  DescribeJobDefinitionsRequest listed;
  listed.job_definitions = {"job:3", std::string(kArnPrefix) + "job-definition/jo:1", "job:9"};
  std::string next_token;
  std::vector<const JobDefinition*> found =
      Must(state_.DescribeJobDefinitions(listed, &next_token));
  ASSERT_EQ(found.size(), 2u);  // unknown revisions are left out
  EXPECT_EQ(found[0]->arn, std::string(kArnPrefix) + "job-definition/job:3");
  EXPECT_EQ(found[1]->arn, std::string(kArnPrefix) + "job-definition/jo:1");
}

// ---- describing, tags and changes ----

class CatalogListingTest : public BatchStateTest {};

TEST_F(CatalogListingTest, DescribeEnvironmentsAndQueuesPageByName) {
  for (const char* name : {"c", "a", "e", "b", "d"}) {
    AddEnvironment(name);
    AddQueue(std::string("q-") + name, 1, {name});
  }
  std::vector<std::string> environments;
  DescribeComputeEnvironmentsRequest environment_request;
  environment_request.page.max_results = 2;
  for (int page = 0; page < 10; ++page) {
    std::string next_token;
    for (const ComputeEnvironment* environment :
         Must(state_.DescribeComputeEnvironments(environment_request, &next_token))) {
      environments.push_back(environment->name);
    }
    if (next_token.empty()) break;
    environment_request.page.next_token = next_token;
  }
  EXPECT_EQ(environments, (std::vector<std::string>{"a", "b", "c", "d", "e"}));

  std::vector<std::string> queues;
  DescribeJobQueuesRequest queue_request;
  queue_request.page.max_results = 3;
  for (int page = 0; page < 10; ++page) {
    std::string next_token;
    for (const JobQueue* queue : Must(state_.DescribeJobQueues(queue_request, &next_token))) {
      queues.push_back(queue->name);
    }
    if (next_token.empty()) break;
    queue_request.page.next_token = next_token;
  }
  EXPECT_EQ(queues, (std::vector<std::string>{"q-a", "q-b", "q-c", "q-d", "q-e"}));
}

class TagsTest : public BatchStateTest {};

TEST_F(TagsTest, AddListAndRemoveOnEveryResourceKind) {
  AddStandardWorld();
  SchedulingPolicy policy_request;
  policy_request.name = "policy";
  std::vector<std::string> arns = {
      state_.FindComputeEnvironment("ce")->arn,
      state_.FindJobQueue("q")->arn,
      Must(state_.CreateSchedulingPolicy(policy_request))->arn,
      state_.FindJobDefinition("def")->arn,
      JobOf(Submit("job")).JobArn(),
  };
  for (const std::string& arn : arns) {
    SCOPED_TRACE(arn);
    EXPECT_TRUE(Must(state_.ListTags(arn)).empty());
    MustOk(state_.TagResource(arn, {{"team", "batch"}, {"env", "dev"}}));
    EXPECT_EQ(Must(state_.ListTags(arn)), (TagMap{{"team", "batch"}, {"env", "dev"}}));
    MustOk(state_.TagResource(arn, {{"env", "prod"}}));
    EXPECT_EQ(Must(state_.ListTags(arn)), (TagMap{{"team", "batch"}, {"env", "prod"}}));
    MustOk(state_.UntagResource(arn, {"team", "not-there"}));
    EXPECT_EQ(Must(state_.ListTags(arn)), (TagMap{{"env", "prod"}}));
  }
  EXPECT_EQ(state_.FindJobQueue("q")->tags, (TagMap{{"env", "prod"}}));
}

TEST_F(TagsTest, UnknownResourceRejected) {
  AddStandardWorld();
  std::vector<std::string> unknown = {
      std::string(kArnPrefix) + "compute-environment/missing",
      std::string(kArnPrefix) + "job-queue/missing",
      std::string(kArnPrefix) + "scheduling-policy/missing",
      std::string(kArnPrefix) + "job-definition/def:7",
      std::string(kArnPrefix) + "job/00000000-0000-7000-8000-000000000000",
      "arn:aws:batch:us-east-1:999999999999:job-queue/q",  // another account's "q"
      "q",                                                 // not an ARN
  };
  for (const std::string& arn : unknown) {
    SCOPED_TRACE(arn);
    Result<TagMap> listed = state_.ListTags(arn);
    ASSERT_FALSE(listed.ok());
    EXPECT_EQ(listed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(listed.status().message(), HasSubstr("resourceArn"));
    EXPECT_FALSE(state_.TagResource(arn, {{"k", "v"}}).ok());
    EXPECT_FALSE(state_.UntagResource(arn, {"k"}).ok());
  }
}

TEST_F(TagsTest, AtMostFiftyTags) {
  AddStandardWorld();
  std::string arn = state_.FindJobQueue("q")->arn;
  TagMap fifty;
  for (int i = 0; i < 50; ++i) fifty["key" + std::to_string(i)] = "v";
  MustOk(state_.TagResource(arn, fifty));
  Status too_many = state_.TagResource(arn, {{"one-more", "v"}});
  ASSERT_FALSE(too_many.ok());
  EXPECT_THAT(too_many.message(), HasSubstr("50"));
  EXPECT_EQ(Must(state_.ListTags(arn)).size(), 50u);
  MustOk(state_.TagResource(arn, {{"key0", "replaced"}}));  // replacing is not adding
  EXPECT_EQ(Must(state_.ListTags(arn)).at("key0"), "replaced");
}

class ChangesTest : public BatchStateTest {};

TEST_F(ChangesTest, ReportExactlyTheTouchedKeys) {
  AddEnvironment("ce1");
  AddEnvironment("ce2");
  AddQueue("q", 1, {"ce1"});
  Register("def");
  Register("def");
  SchedulingPolicy policy;
  policy.name = "policy";
  std::string policy_arn = Must(state_.CreateSchedulingPolicy(policy))->arn;

  StateChanges created = state_.TakeChanges();
  EXPECT_EQ(created.compute_environments, (std::set<std::string>{"ce1", "ce2"}));
  EXPECT_EQ(created.job_queues, std::set<std::string>{"q"});
  EXPECT_EQ(created.job_definitions, (std::set<std::string>{"def:1", "def:2"}));
  EXPECT_EQ(created.scheduling_policies, std::set<std::string>{"policy"});
  EXPECT_TRUE(created.jobs.empty());
  EXPECT_TRUE(created.deleted_compute_environments.empty());
  EXPECT_TRUE(created.deleted_job_queues.empty());
  EXPECT_TRUE(created.deleted_scheduling_policies.empty());
  EXPECT_TRUE(state_.TakeChanges().empty());

  UpdateComputeEnvironmentRequest update;
  update.compute_environment = "ce2";
  update.maxv_cpus = 512;
  Must(state_.UpdateComputeEnvironment(update));
  MustOk(state_.DeregisterJobDefinition("def:1"));
  StateChanges updated = state_.TakeChanges();
  EXPECT_EQ(updated.compute_environments, std::set<std::string>{"ce2"});
  EXPECT_EQ(updated.job_definitions, std::set<std::string>{"def:1"});
  EXPECT_TRUE(updated.job_queues.empty());

  // Rejected operations and reads touch nothing.
  EXPECT_FALSE(state_.CreateComputeEnvironment(Ec2Environment("ce1")).ok());
  update.desiredv_cpus = -1;
  EXPECT_FALSE(state_.UpdateComputeEnvironment(update).ok());
  EXPECT_FALSE(state_.SubmitJob(Request("job", "q", "missing")).ok());
  Must(state_.ListTags(state_.FindJobQueue("q")->arn));
  EXPECT_TRUE(state_.TakeChanges().empty());

  MustOk(state_.TagResource(state_.FindJobDefinition("def:2")->arn, {{"k", "v"}}));
  MustOk(state_.DeleteSchedulingPolicy(policy_arn));
  StateChanges tagged = state_.TakeChanges();
  EXPECT_EQ(tagged.job_definitions, std::set<std::string>{"def:2"});
  EXPECT_EQ(tagged.deleted_scheduling_policies, std::set<std::string>{"policy"});
  EXPECT_TRUE(tagged.scheduling_policies.empty());

  std::string job_id = Submit("job");
  EXPECT_EQ(state_.TakeChanges().jobs, std::set<std::string>{job_id});
  AddHost();
  (void)state_.Schedule();
  StateChanges scheduled = state_.TakeChanges();
  EXPECT_EQ(scheduled.jobs, std::set<std::string>{job_id});
  EXPECT_TRUE(scheduled.compute_environments.empty());
  (void)state_.Schedule();
  EXPECT_TRUE(state_.TakeChanges().empty());
}

}  // namespace
}  // namespace gleaner
