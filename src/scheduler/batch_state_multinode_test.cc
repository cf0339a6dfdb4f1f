// BatchState's multi-node parallel jobs: registering type multinode, SubmitJob's parent and node
// jobs "<id>#<n>" (ranges, nested ranges, nodeOverrides), the main node first and the others once
// it runs, the job's outcome the main node's, retries of the main node restarting the others,
// dependencies, cancel, terminate, timeout, ListJobs --multi-node-job-id, and a restart mid-run.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "model/json_codec.h"
#include "scheduler/batch_state_test_support.h"

namespace gleaner {
namespace {

using scheduler_test::BatchStateTest;
using scheduler_test::Must;
using scheduler_test::MustOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;

constexpr char kMainNodeExited[] = "Main node exited";
constexpr char kEssentialContainerExited[] = "Essential container in task exited";

std::string NodeOf(const std::string& parent, int index) {
  return parent + "#" + std::to_string(index);
}

NodeRangeProperty Range(const std::string& target, ContainerProperties container) {
  NodeRangeProperty range;
  range.target_nodes = target;
  range.container = std::move(container);
  return range;
}

class MultiNodeTest : public BatchStateTest {
 protected:
  void SetUp() override {
    AddStandardWorld();
    AddHost();  // 4 vCPU, 8 GiB: room for four 1-vCPU nodes
  }

  static ContainerProperties NodeContainer(const std::string& command,
                                           const std::string& vcpus = "1",
                                           const std::string& memory_mib = "1024") {
    ContainerProperties container = Container(vcpus, memory_mib);
    container.command = {command};
    return container;
  }

  static JobDefinition MultinodeDefinition(const std::string& name, int num_nodes, int main_node,
                                           std::vector<NodeRangeProperty> ranges) {
    JobDefinition definition;
    definition.name = name;
    definition.type = "multinode";
    NodeProperties properties{num_nodes, main_node, std::move(ranges)};
    definition.node_properties = ToJson(properties);
    return definition;
  }

  // "mnp": 3 nodes, main node 0 runs "main", nodes 1: run "worker".
  const JobDefinition& RegisterMultinode(const std::string& name = "mnp", int num_nodes = 3,
                                         int main_node = 0) {
    return *Must(state_.RegisterJobDefinition(MultinodeDefinition(
        name, num_nodes, main_node,
        {Range("0", NodeContainer("main")), Range("1:", NodeContainer("worker"))})));
  }

  std::string SubmitMultinode(SubmitJobRequest request) {
    request.job_definition = "mnp";
    return Submit(request);
  }

  std::string SubmitMultinode() { return SubmitMultinode(Request("mpi")); }

  std::vector<std::string> ScheduleAndLaunch() {
    Decisions decisions = state_.Schedule();
    std::vector<std::string> started = Started(decisions);
    for (const std::string& id : started) state_.OnAttemptLaunched(id, 5000, 50000);
    return started;
  }

  void Exit(const std::string& id, int exit_code, int term_signal = 0) {
    state_.OnAttemptExited(id, exit_code, term_signal);
  }

  // Runs the job's main node and then its other nodes.
  void RunAllNodes(const std::string& parent, int num_nodes = 3) {
    ASSERT_THAT(ScheduleAndLaunch(), ElementsAre(NodeOf(parent, 0)));
    std::vector<std::string> others;
    for (int i = 1; i < num_nodes; ++i) others.push_back(NodeOf(parent, i));
    ASSERT_THAT(ScheduleAndLaunch(), UnorderedElementsAreArray(others));
  }

  std::vector<std::string> ListNodes(const std::string& parent,
                                     std::optional<JobStatus> status = std::nullopt,
                                     std::optional<int> max_results = std::nullopt,
                                     std::string token = "", std::string* next = nullptr) {
    ListJobsRequest request;
    request.multi_node_job_id = parent;
    request.job_status = status;
    request.page.max_results = max_results;
    request.page.next_token = std::move(token);
    std::string next_token;
    std::vector<std::string> ids;
    for (const Job* job : Must(state_.ListJobs(request, &next_token))) ids.push_back(job->job_id);
    if (next != nullptr) *next = next_token;
    return ids;
  }
};

// ---- registering and submitting ----

TEST_F(MultiNodeTest, RegistersAMultinodeDefinition) {
  const JobDefinition& definition = RegisterMultinode();
  EXPECT_EQ(definition.type, "multinode");
  EXPECT_EQ(definition.revision, 1);
  EXPECT_EQ(definition.status, "ACTIVE");
  EXPECT_EQ(definition.node_properties["numNodes"], 3);
}

TEST_F(MultiNodeTest, SubmitMakesTheParentAndEveryNode) {
  RegisterMultinode();
  SubmitJobRequest request = Request("mpi");
  request.retry_strategy = RetryStrategy{2, {}};
  request.timeout = JobTimeout{600};
  request.tags = {{"team", "hpc"}};
  std::string parent = SubmitMultinode(request);
  EXPECT_EQ(parent.find('#'), std::string::npos);
  EXPECT_EQ(state_.job_count(), 4u);

  const Job& job = JobOf(parent);
  EXPECT_TRUE(job.IsMultiNodeParent());
  EXPECT_EQ(job.status, JobStatus::kRunnable);
  EXPECT_EQ(job.required, Resources{}) << "the parent is never placed";
  ASSERT_TRUE(job.node_properties);
  EXPECT_EQ(job.node_properties->num_nodes, 3);
  EXPECT_EQ(job.node_properties->main_node, 0);
  ASSERT_EQ(job.node_properties->node_range_properties.size(), 2u);
  EXPECT_EQ(job.node_properties->node_range_properties[0].target_nodes, "0");
  EXPECT_EQ(job.node_properties->node_range_properties[1].target_nodes, "1:2");

  const Job& main = JobOf(NodeOf(parent, 0));
  EXPECT_TRUE(main.IsMainNode());
  EXPECT_EQ(main.status, JobStatus::kRunnable);
  EXPECT_EQ(main.container.properties->command, std::vector<std::string>{"main"});
  EXPECT_EQ(main.required, (Resources{1000, 1024, 0}));
  EXPECT_EQ(main.retry_strategy->attempts, 2) << "the main node carries the job's retries";
  EXPECT_EQ(main.timeout->attempt_duration_seconds, 600) << "and its timeout";
  EXPECT_EQ(main.JobArn(), state_.scope().Job(NodeOf(parent, 0)));
  EXPECT_EQ(main.job_name, "mpi");
  EXPECT_EQ(main.tags, (TagMap{{"team", "hpc"}}));
  for (int i : {1, 2}) {
    const Job& node = JobOf(NodeOf(parent, i));
    EXPECT_EQ(node.node_index, i);
    EXPECT_FALSE(node.IsMainNode());
    EXPECT_EQ(node.status, JobStatus::kPending);
    EXPECT_THAT(node.status_reason, HasSubstr("main node"));
    EXPECT_EQ(node.container.properties->command, std::vector<std::string>{"worker"});
    EXPECT_FALSE(node.retry_strategy) << "only main-node failures are retried";
    EXPECT_FALSE(node.timeout) << "the timeout is the whole job's, kept by the main node";
    EXPECT_TRUE(node.depends_on.empty());
  }
  EXPECT_EQ(state_.FindJob(NodeOf(parent, 3)), nullptr);
}

TEST_F(MultiNodeTest, TheMainNodeIsFoundFromTheJobOrAnyOfItsNodes) {
  RegisterMultinode("mnp", 3, /*main_node=*/1);
  std::string parent = SubmitMultinode();
  for (const std::string& id : {parent, NodeOf(parent, 0), NodeOf(parent, 1), NodeOf(parent, 2)}) {
    const Job* main = state_.FindMainNode(JobOf(id));
    ASSERT_NE(main, nullptr) << id;
    EXPECT_EQ(main->job_id, NodeOf(parent, 1)) << id;
  }
  EXPECT_EQ(state_.FindMainNode(JobOf(Submit("plain"))), nullptr);
}

TEST_F(MultiNodeTest, NestedRangesTheNarrowestWins) {
  Must(state_.RegisterJobDefinition(MultinodeDefinition(
      "mnp", 6, 2, {Range("0:5", NodeContainer("all")), Range("2:3", NodeContainer("inner"))})));
  std::string parent = SubmitMultinode();
  std::vector<std::string> commands;
  for (int i = 0; i < 6; ++i)
    commands.push_back(JobOf(NodeOf(parent, i)).container.properties->command[0]);
  EXPECT_THAT(commands, ElementsAre("all", "all", "inner", "inner", "all", "all"));
  EXPECT_TRUE(JobOf(NodeOf(parent, 2)).IsMainNode());
  EXPECT_EQ(JobOf(NodeOf(parent, 2)).status, JobStatus::kRunnable);
  // The parent's nodeProperties group consecutive nodes that run the same container.
  std::vector<std::string> targets;
  for (const NodeRangeProperty& range : JobOf(parent).node_properties->node_range_properties) {
    targets.push_back(range.target_nodes);
  }
  EXPECT_THAT(targets, ElementsAre("0:1", "2:3", "4:5"));
}

TEST_F(MultiNodeTest, NodeOverridesChangeNumNodesAndContainersPerTargetNodes) {
  JobDefinition definition = MultinodeDefinition(
      "mnp", 3, 0, {Range("0", NodeContainer("main")), Range("1:", NodeContainer("Ref::task"))});
  definition.parameters = {{"task", "default-task"}};
  Must(state_.RegisterJobDefinition(definition));
  SubmitJobRequest request = Request("mpi");
  request.parameters = {{"task", "crunch"}};
  NodeOverrides overrides;
  overrides.num_nodes = 5;
  ContainerOverrides workers;
  workers.environment = {{"ROLE", "worker"}};
  workers.resource_requirements = {{"MEMORY", "512"}};
  ContainerOverrides last;
  last.command = std::vector<std::string>{"last", "Ref::task"};
  last.environment = {{"ROLE", "last"}};
  overrides.node_property_overrides = {{"1:", workers}, {"4", last}, {"0", std::nullopt}};
  request.node_overrides = overrides;
  std::string parent = SubmitMultinode(request);

  EXPECT_EQ(state_.job_count(), 6u);
  EXPECT_EQ(JobOf(parent).node_properties->num_nodes, 5);
  const Job& main = JobOf(NodeOf(parent, 0));
  EXPECT_TRUE(main.container.properties->environment.empty());
  EXPECT_EQ(main.required.memory_mib, 1024);
  for (int i : {1, 2, 3}) {
    const Job& node = JobOf(NodeOf(parent, i));
    EXPECT_EQ(node.container.properties->command, std::vector<std::string>{"crunch"});
    EXPECT_EQ(node.container.properties->environment,
              (std::vector<KeyValuePair>{{"ROLE", "worker"}}));
    EXPECT_EQ(node.required, (Resources{1000, 512, 0}));
    EXPECT_EQ(node.node_properties->num_nodes, 5);
  }
  // Overrides apply in order: node 4 gets the workers' memory, then the last override's command
  // and environment (merged by name).
  const Job& fourth = JobOf(NodeOf(parent, 4));
  EXPECT_EQ(fourth.container.properties->command, (std::vector<std::string>{"last", "crunch"}));
  EXPECT_EQ(fourth.container.properties->environment,
            (std::vector<KeyValuePair>{{"ROLE", "last"}}));
  EXPECT_EQ(fourth.required, (Resources{1000, 512, 0}));
  std::vector<std::string> targets;
  for (const NodeRangeProperty& range : JobOf(parent).node_properties->node_range_properties) {
    targets.push_back(range.target_nodes);
  }
  EXPECT_THAT(targets, ElementsAre("0", "1:3", "4"));
}

TEST_F(MultiNodeTest, NumNodesOverrideFollowsAwsRules) {
  Must(state_.RegisterJobDefinition(MultinodeDefinition(
      "closed", 3, 1, {Range("0", NodeContainer("a")), Range("1:2", NodeContainer("b"))})));
  Must(state_.RegisterJobDefinition(MultinodeDefinition(
      "open", 4, 2, {Range("0:2", NodeContainer("a")), Range("3:", NodeContainer("b"))})));
  auto submit = [&](const std::string& definition, int num_nodes) {
    SubmitJobRequest request = Request("mpi", "q", definition);
    request.node_overrides = NodeOverrides{num_nodes, {}};
    return state_.SubmitJob(request).status();
  };
  EXPECT_THAT(submit("closed", 2).message(), HasSubstr("open upper boundary"));
  EXPECT_THAT(submit("open", 2).message(), HasSubstr("greater than the job definition's mainNode"));
  EXPECT_THAT(submit("open", 3).message(),
              HasSubstr("nodeRangeProperties[1] (targetNodes \"3:\") does not fit in 3 nodes"));
  EXPECT_THAT(submit("open", 20'000).message(), HasSubstr("gleaner runs 1 to 10000 nodes"));
  EXPECT_EQ(state_.job_count(), 0u);
  EXPECT_TRUE(submit("open", 8).ok());
  EXPECT_EQ(state_.job_count(), 9u);

  SubmitJobRequest bad_target = Request("mpi", "q", "open");
  bad_target.node_overrides = NodeOverrides{std::nullopt, {{"2:9", ContainerOverrides{}}}};
  EXPECT_THAT(state_.SubmitJob(bad_target).status().message(),
              HasSubstr("nodeOverrides.nodePropertyOverrides[0].targetNodes \"2:9\" is invalid"));
}

TEST_F(MultiNodeTest, SubmitRejectsWhatCannotRun) {
  RegisterMultinode();
  SubmitJobRequest array = Request("mpi", "q", "mnp");
  array.array_size = 2;
  EXPECT_THAT(state_.SubmitJob(array).status().message(), HasSubstr("cannot be an array job"));

  SubmitJobRequest container_overrides = Request("mpi", "q", "mnp");
  container_overrides.container_overrides = ContainerOverrides{};
  EXPECT_THAT(state_.SubmitJob(container_overrides).status().message(),
              HasSubstr("nodeOverrides.nodePropertyOverrides"));

  SubmitJobRequest on_container = Request("job");
  on_container.node_overrides = NodeOverrides{2, {}};
  Status status = state_.SubmitJob(on_container).status();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("nodeOverrides is invalid"));

  ContainerProperties no_memory = NodeContainer("worker");
  no_memory.resource_requirements = {{"VCPU", "1"}};
  Must(state_.RegisterJobDefinition(MultinodeDefinition(
      "nomem", 2, 0, {Range("0", NodeContainer("main")), Range("1", no_memory)})));
  status = state_.SubmitJob(Request("mpi", "q", "nomem")).status();
  EXPECT_THAT(status.message(),
              HasSubstr("nodeProperties.nodeRangeProperties[1] (targetNodes \"1\")"));
  EXPECT_THAT(status.message(), HasSubstr("memory"));

  JobDefinition containerless = MultinodeDefinition("bare", 2, 0, {Range(":", NodeContainer("x"))});
  NodeProperties bare{2, 0, {NodeRangeProperty{}}};
  bare.node_range_properties[0].target_nodes = ":";
  containerless.node_properties = ToJson(bare);
  Must(state_.RegisterJobDefinition(containerless));
  EXPECT_THAT(state_.SubmitJob(Request("mpi", "q", "bare")).status().message(),
              HasSubstr("has no container for node 0"));
  EXPECT_EQ(state_.job_count(), 0u);
}

// ---- the lifecycle ----

TEST_F(MultiNodeTest, MainNodeFirstThenTheOthersAndTheMainNodeDecides) {
  RegisterMultinode();
  std::string parent = SubmitMultinode();

  Decisions first = state_.Schedule();
  EXPECT_THAT(Started(first), ElementsAre(NodeOf(parent, 0))) << "the parent is never placed";
  EXPECT_EQ(StatusOf(parent), JobStatus::kStarting);
  EXPECT_EQ(StatusOf(NodeOf(parent, 1)), JobStatus::kPending);
  EXPECT_TRUE(Started(state_.Schedule()).empty()) << "the others wait for the main node to run";

  clock_.Advance(1000);
  state_.OnAttemptLaunched(NodeOf(parent, 0), 100, 1000);
  EXPECT_EQ(StatusOf(parent), JobStatus::kRunning);
  EXPECT_EQ(JobOf(parent).started_at, clock_.NowMillis());
  EXPECT_EQ(StatusOf(NodeOf(parent, 1)), JobStatus::kRunnable);
  EXPECT_EQ(StatusOf(NodeOf(parent, 2)), JobStatus::kRunnable);
  EXPECT_THAT(ScheduleAndLaunch(), ElementsAre(NodeOf(parent, 1), NodeOf(parent, 2)));
  EXPECT_EQ(HostOf().used, (Resources{3000, 3072, 0}));

  // A node other than the main one ending does not end the job.
  Exit(NodeOf(parent, 1), 3);
  EXPECT_EQ(StatusOf(NodeOf(parent, 1)), JobStatus::kFailed);
  EXPECT_EQ(StatusOf(parent), JobStatus::kRunning);

  // The main node exits 0: the job succeeds, node 2 is stopped.
  clock_.Advance(1000);
  Exit(NodeOf(parent, 0), 0);
  EXPECT_EQ(StatusOf(parent), JobStatus::kSucceeded);
  EXPECT_EQ(JobOf(parent).stopped_at, clock_.NowMillis());
  EXPECT_EQ(JobOf(parent).container.current->exit_code, 0);
  EXPECT_EQ(JobOf(parent).attempts.size(), 1u);
  EXPECT_EQ(StatusOf(NodeOf(parent, 0)), JobStatus::kSucceeded);
  Decisions stop = state_.Schedule();
  EXPECT_THAT(Signals(stop), ElementsAre(std::make_pair(NodeOf(parent, 2), SIGTERM)));
  clock_.Advance(30'000);
  EXPECT_THAT(Signals(state_.Schedule()), ElementsAre(std::make_pair(NodeOf(parent, 2), SIGKILL)));
  Exit(NodeOf(parent, 2), 137, SIGKILL);
  EXPECT_EQ(StatusOf(NodeOf(parent, 2)), JobStatus::kFailed);
  EXPECT_EQ(JobOf(NodeOf(parent, 2)).status_reason, kMainNodeExited);
  EXPECT_EQ(StatusOf(parent), JobStatus::kSucceeded);
  EXPECT_EQ(HostOf().used, Resources{});
}

TEST_F(MultiNodeTest, NodesNotStartedWhenTheMainNodeEndsFail) {
  RegisterMultinode();
  std::string parent = SubmitMultinode();
  // Room for the main node and one more.
  Host smaller = HostOf();
  smaller.total = Resources{2000, 2048, 0};
  state_.AddHost(smaller);
  ASSERT_THAT(ScheduleAndLaunch(), ElementsAre(NodeOf(parent, 0)));
  ASSERT_THAT(ScheduleAndLaunch(), ElementsAre(NodeOf(parent, 1)));
  EXPECT_EQ(StatusOf(NodeOf(parent, 2)), JobStatus::kRunnable);
  EXPECT_THAT(state_.ExplainWaiting(JobOf(NodeOf(parent, 2))), HasSubstr("CAPACITY"));

  Exit(NodeOf(parent, 0), 1);
  EXPECT_EQ(StatusOf(parent), JobStatus::kFailed);
  EXPECT_EQ(JobOf(parent).status_reason, kEssentialContainerExited);
  EXPECT_EQ(JobOf(parent).container.current->exit_code, 1);
  EXPECT_EQ(StatusOf(NodeOf(parent, 2)), JobStatus::kFailed);
  EXPECT_EQ(JobOf(NodeOf(parent, 2)).status_reason, kMainNodeExited);
  EXPECT_THAT(Signals(state_.Schedule()), ElementsAre(std::make_pair(NodeOf(parent, 1), SIGTERM)));
  Exit(NodeOf(parent, 1), 143, SIGTERM);
  EXPECT_EQ(StatusOf(NodeOf(parent, 1)), JobStatus::kFailed);
  EXPECT_TRUE(Started(state_.Schedule()).empty());
}

TEST_F(MultiNodeTest, MainNodeFailureIsRetriedAndRestartsTheOthers) {
  RegisterMultinode();
  SubmitJobRequest request = Request("mpi");
  request.retry_strategy = RetryStrategy{2, {}};
  std::string parent = SubmitMultinode(request);
  RunAllNodes(parent);
  Exit(NodeOf(parent, 2), 0);  // node 2 finished its part of attempt 1

  Exit(NodeOf(parent, 0), 1);
  EXPECT_EQ(StatusOf(NodeOf(parent, 0)), JobStatus::kRunnable) << "one attempt left";
  EXPECT_EQ(StatusOf(parent), JobStatus::kRunnable);
  EXPECT_EQ(JobOf(parent).attempts.size(), 1u);
  EXPECT_EQ(StatusOf(NodeOf(parent, 2)), JobStatus::kPending) << "it runs again next attempt";
  // Node 1 still runs attempt 1: it is stopped, and waits too once it has ended.
  Decisions decisions = state_.Schedule();
  EXPECT_THAT(Signals(decisions), ElementsAre(std::make_pair(NodeOf(parent, 1), SIGTERM)));
  EXPECT_THAT(Started(decisions), ElementsAre(NodeOf(parent, 0)));
  Exit(NodeOf(parent, 1), 143, SIGTERM);
  EXPECT_EQ(StatusOf(NodeOf(parent, 1)), JobStatus::kPending);

  state_.OnAttemptLaunched(NodeOf(parent, 0), 200, 2000);
  EXPECT_EQ(StatusOf(parent), JobStatus::kRunning);
  EXPECT_THAT(ScheduleAndLaunch(), ElementsAre(NodeOf(parent, 1), NodeOf(parent, 2)));
  Exit(NodeOf(parent, 1), 0);
  Exit(NodeOf(parent, 2), 0);
  Exit(NodeOf(parent, 0), 0);
  EXPECT_EQ(StatusOf(parent), JobStatus::kSucceeded);
  EXPECT_EQ(JobOf(parent).attempts.size(), 2u);
  EXPECT_EQ(JobOf(NodeOf(parent, 0)).attempts.size(), 2u);
  EXPECT_EQ(JobOf(NodeOf(parent, 1)).attempts.size(), 2u);
  EXPECT_EQ(StatusOf(NodeOf(parent, 1)), JobStatus::kSucceeded);
  EXPECT_EQ(StatusOf(NodeOf(parent, 2)), JobStatus::kSucceeded);
}

TEST_F(MultiNodeTest, ANodeStillStoppingWhenTheMainNodeRunsAgainFollowsWhenItEnds) {
  RegisterMultinode();
  SubmitJobRequest request = Request("mpi");
  request.retry_strategy = RetryStrategy{3, {}};
  std::string parent = SubmitMultinode(request);
  RunAllNodes(parent);
  Exit(NodeOf(parent, 0), 1);
  // The main node runs again before nodes 1 and 2 have stopped.
  Decisions decisions = state_.Schedule();
  EXPECT_THAT(Started(decisions), ElementsAre(NodeOf(parent, 0)));
  state_.OnAttemptLaunched(NodeOf(parent, 0), 300, 3000);
  EXPECT_EQ(StatusOf(parent), JobStatus::kRunning);
  EXPECT_EQ(StatusOf(NodeOf(parent, 1)), JobStatus::kRunning) << "still stopping";
  EXPECT_TRUE(Started(state_.Schedule()).empty());

  Exit(NodeOf(parent, 1), 143, SIGTERM);
  EXPECT_EQ(StatusOf(NodeOf(parent, 1)), JobStatus::kRunnable);
  // Node 2 ignores SIGTERM: SIGKILL after the grace, then it runs again too.
  clock_.Advance(30'000);
  EXPECT_THAT(Signals(state_.Schedule()), ElementsAre(std::make_pair(NodeOf(parent, 2), SIGKILL)));
  EXPECT_EQ(JobOf(NodeOf(parent, 1)).status, JobStatus::kStarting) << "placed by that pass";
  Exit(NodeOf(parent, 2), 137, SIGKILL);
  EXPECT_EQ(StatusOf(NodeOf(parent, 2)), JobStatus::kRunnable);
  EXPECT_THAT(Started(state_.Schedule()), ElementsAre(NodeOf(parent, 2)));
  EXPECT_EQ(StatusOf(parent), JobStatus::kRunning);
}

TEST_F(MultiNodeTest, LaunchFailureOfTheMainNodeIsAnAttempt) {
  RegisterMultinode();
  std::string parent = SubmitMultinode();
  ASSERT_THAT(Started(state_.Schedule()), ElementsAre(NodeOf(parent, 0)));
  state_.OnAttemptLaunchFailed(NodeOf(parent, 0), "CannotStartContainerError: no command");
  EXPECT_EQ(StatusOf(parent), JobStatus::kFailed);
  EXPECT_EQ(JobOf(parent).status_reason, "CannotStartContainerError: no command");
  for (int i : {1, 2}) {
    EXPECT_EQ(StatusOf(NodeOf(parent, i)), JobStatus::kFailed);
    EXPECT_EQ(JobOf(NodeOf(parent, i)).status_reason, kMainNodeExited);
  }
}

TEST_F(MultiNodeTest, TimeoutIsTheWholeJobsAndNotRetried) {
  RegisterMultinode();
  SubmitJobRequest request = Request("mpi");
  request.timeout = JobTimeout{60};
  request.retry_strategy = RetryStrategy{3, {}};
  std::string parent = SubmitMultinode(request);
  RunAllNodes(parent);
  clock_.Advance(60'000);
  Decisions decisions = state_.Schedule();
  EXPECT_THAT(Signals(decisions), ElementsAre(std::make_pair(NodeOf(parent, 0), SIGTERM)));
  Exit(NodeOf(parent, 0), 143, SIGTERM);
  EXPECT_EQ(StatusOf(parent), JobStatus::kFailed);
  EXPECT_EQ(JobOf(parent).status_reason, "Job attempt duration exceeded timeout");
  EXPECT_THAT(Signals(state_.Schedule()),
              UnorderedElementsAre(std::make_pair(NodeOf(parent, 1), SIGTERM),
                                   std::make_pair(NodeOf(parent, 2), SIGTERM)));
}

// ---- dependencies, cancel, terminate ----

TEST_F(MultiNodeTest, TheParentFollowsItsDependencies) {
  RegisterMultinode();
  std::string first = Submit("first");
  SubmitJobRequest request = Request("mpi");
  request.depends_on = {{first, ""}};
  std::string parent = SubmitMultinode(request);
  EXPECT_EQ(StatusOf(parent), JobStatus::kPending);
  EXPECT_EQ(StatusOf(NodeOf(parent, 0)), JobStatus::kPending);
  EXPECT_THAT(ScheduleAndLaunch(), ElementsAre(first));
  Exit(first, 0);
  EXPECT_EQ(StatusOf(parent), JobStatus::kRunnable);
  EXPECT_EQ(StatusOf(NodeOf(parent, 0)), JobStatus::kRunnable);
  EXPECT_EQ(StatusOf(NodeOf(parent, 1)), JobStatus::kPending);

  // A failed dependency fails the job and every node, and the job's own dependents.
  std::string second = Submit("second");
  SubmitJobRequest after = Request("mpi2");
  after.depends_on = {{second, ""}};
  std::string doomed = SubmitMultinode(after);
  std::string downstream = SubmitAfter("downstream", {doomed});
  MustOk(state_.CancelJob({second, "no"}));
  EXPECT_EQ(StatusOf(doomed), JobStatus::kFailed);
  EXPECT_THAT(JobOf(doomed).status_reason, HasSubstr(second));
  for (int i : {0, 1, 2}) EXPECT_EQ(StatusOf(NodeOf(doomed, i)), JobStatus::kFailed);
  EXPECT_EQ(StatusOf(downstream), JobStatus::kFailed);
}

TEST_F(MultiNodeTest, DependentsOfTheJobWaitForTheMainNodesOutcome) {
  RegisterMultinode();
  std::string parent = SubmitMultinode();
  std::string after = SubmitAfter("after", {parent});
  RunAllNodes(parent);
  Exit(NodeOf(parent, 1), 0);
  EXPECT_EQ(StatusOf(after), JobStatus::kPending);
  Exit(NodeOf(parent, 0), 0);
  EXPECT_EQ(StatusOf(after), JobStatus::kRunnable);
}

TEST_F(MultiNodeTest, CancelBeforeTheMainNodeStartsEndsEveryNode) {
  RegisterMultinode();
  std::string parent = SubmitMultinode();
  MustOk(state_.CancelJob({parent, "not needed"}));
  EXPECT_EQ(StatusOf(parent), JobStatus::kFailed);
  EXPECT_EQ(JobOf(parent).status_reason, "not needed");
  for (int i : {0, 1, 2}) {
    EXPECT_EQ(StatusOf(NodeOf(parent, i)), JobStatus::kFailed);
    EXPECT_EQ(JobOf(NodeOf(parent, i)).status_reason, "not needed");
  }
  EXPECT_TRUE(Started(state_.Schedule()).empty());

  // A node's id stands for its job.
  std::string other = SubmitMultinode();
  MustOk(state_.CancelJob({NodeOf(other, 1), "by node"}));
  EXPECT_EQ(StatusOf(other), JobStatus::kFailed);
  EXPECT_EQ(StatusOf(NodeOf(other, 0)), JobStatus::kFailed);
}

TEST_F(MultiNodeTest, CancelOfAStartedJobDoesNothing) {
  RegisterMultinode();
  std::string parent = SubmitMultinode();
  ASSERT_THAT(ScheduleAndLaunch(), ElementsAre(NodeOf(parent, 0)));
  MustOk(state_.CancelJob({parent, "too late"}));
  MustOk(state_.CancelJob({NodeOf(parent, 2), "too late"}));
  EXPECT_EQ(StatusOf(parent), JobStatus::kRunning);
  EXPECT_EQ(StatusOf(NodeOf(parent, 2)), JobStatus::kRunnable);
  EXPECT_TRUE(Signals(state_.Schedule()).empty());
}

TEST_F(MultiNodeTest, TerminateStopsEveryNode) {
  RegisterMultinode();
  std::string parent = SubmitMultinode();
  // Room for two nodes: node 2 waits.
  Host smaller = HostOf();
  smaller.total = Resources{2000, 2048, 0};
  state_.AddHost(smaller);
  ASSERT_THAT(ScheduleAndLaunch(), ElementsAre(NodeOf(parent, 0)));
  ASSERT_THAT(ScheduleAndLaunch(), ElementsAre(NodeOf(parent, 1)));
  MustOk(state_.TerminateJob({NodeOf(parent, 1), "stop it"}));
  EXPECT_EQ(StatusOf(NodeOf(parent, 2)), JobStatus::kFailed);
  EXPECT_EQ(JobOf(NodeOf(parent, 2)).status_reason, "stop it");
  EXPECT_THAT(Signals(state_.Schedule()),
              UnorderedElementsAre(std::make_pair(NodeOf(parent, 0), SIGTERM),
                                   std::make_pair(NodeOf(parent, 1), SIGTERM)));
  EXPECT_EQ(StatusOf(parent), JobStatus::kRunning) << "until the main node's process ends";
  Exit(NodeOf(parent, 1), 143, SIGTERM);
  EXPECT_EQ(StatusOf(NodeOf(parent, 1)), JobStatus::kFailed);
  EXPECT_EQ(JobOf(NodeOf(parent, 1)).status_reason, "stop it");
  Exit(NodeOf(parent, 0), 143, SIGTERM);
  EXPECT_EQ(StatusOf(parent), JobStatus::kFailed);
  EXPECT_EQ(JobOf(parent).status_reason, "stop it");
  EXPECT_EQ(JobOf(NodeOf(parent, 0)).attempts.size(), 1u) << "terminated: not retried";

  std::string waiting = SubmitMultinode();
  MustOk(state_.TerminateJob({waiting, "never mind"}));
  EXPECT_EQ(StatusOf(waiting), JobStatus::kFailed);
  EXPECT_EQ(StatusOf(NodeOf(waiting, 0)), JobStatus::kFailed);
}

// ---- queries ----

TEST_F(MultiNodeTest, ListJobsByMultiNodeJobIdListsTheNodesInIndexOrder) {
  Must(state_.RegisterJobDefinition(
      MultinodeDefinition("mnp", 12, 0, {Range(":", NodeContainer("n", "1", "256"))})));
  AddHost(kHostId, 16'000, 16'384);
  std::string parent = SubmitMultinode();
  RunAllNodes(parent, 12);
  Exit(NodeOf(parent, 3), 0);

  std::vector<std::string> running = ListNodes(parent);
  ASSERT_EQ(running.size(), 11u) << "RUNNING by default";
  EXPECT_EQ(running[0], NodeOf(parent, 0));
  EXPECT_EQ(running[3], NodeOf(parent, 4));
  EXPECT_EQ(running[9], NodeOf(parent, 10)) << "index order, not text order";
  EXPECT_THAT(ListNodes(parent, JobStatus::kSucceeded), ElementsAre(NodeOf(parent, 3)));

  std::string next;
  std::vector<std::string> page = ListNodes(parent, JobStatus::kRunning, 5, "", &next);
  EXPECT_EQ(page.size(), 5u);
  std::vector<std::string> all = page;
  while (!next.empty()) {
    page = ListNodes(parent, JobStatus::kRunning, 5, next, &next);
    all.insert(all.end(), page.begin(), page.end());
  }
  EXPECT_EQ(all, running);

  EXPECT_THAT(ListNodes(NodeOf(parent, 1)), IsEmpty()) << "a node has no nodes";
  EXPECT_THAT(ListNodes("no-such-job"), IsEmpty());

  // ListJobs by queue shows the job, not its nodes.
  ListJobsRequest by_queue;
  by_queue.job_queue = "q";
  std::string token;
  std::vector<std::string> listed;
  for (const Job* job : Must(state_.ListJobs(by_queue, &token))) listed.push_back(job->job_id);
  EXPECT_THAT(listed, ElementsAre(parent));
  by_queue.filters = {{"JOB_NAME", {"mpi"}}};
  listed.clear();
  for (const Job* job : Must(state_.ListJobs(by_queue, &token))) listed.push_back(job->job_id);
  EXPECT_THAT(listed, ElementsAre(parent));
}

TEST_F(MultiNodeTest, AWaitingJobExplainsItsMainNode) {
  RegisterMultinode();
  ContainerProperties huge = NodeContainer("main", "64", "1024");
  Must(state_.RegisterJobDefinition(
      MultinodeDefinition("big", 2, 0, {Range("0", huge), Range("1", NodeContainer("worker"))})));
  std::string parent = Submit(Request("mpi", "q", "big"));
  EXPECT_TRUE(Started(state_.Schedule()).empty());
  EXPECT_EQ(state_.ExplainWaiting(JobOf(parent)), state_.ExplainWaiting(JobOf(NodeOf(parent, 0))));
  EXPECT_THAT(state_.ExplainWaiting(JobOf(parent)), HasSubstr("MISCONFIGURATION"));
}

TEST_F(MultiNodeTest, FairShareQueuesPlaceNodesNotTheParent) {
  RegisterMultinode();
  SchedulingPolicy policy;
  policy.name = "fair";
  policy.fairshare_policy = FairsharePolicy{};
  const SchedulingPolicy& created = *Must(state_.CreateSchedulingPolicy(policy));
  JobQueue queue = Queue("fairq", 1, {"ce"});
  queue.scheduling_policy_arn = created.arn;
  Must(state_.CreateJobQueue(queue));
  SubmitJobRequest request = Request("mpi", "fairq", "mnp");
  request.share_identifier = "team";
  std::string parent = Submit(request);
  EXPECT_EQ(JobOf(NodeOf(parent, 1)).share_identifier, "team");
  RunAllNodes(parent);
  Exit(NodeOf(parent, 0), 0);
  EXPECT_EQ(StatusOf(parent), JobStatus::kSucceeded);
}

TEST_F(MultiNodeTest, NodesArePurgedWithTheirJob) {
  RegisterMultinode();
  std::string parent = SubmitMultinode();
  MustOk(state_.CancelJob({parent, "x"}));
  state_.TakeChanges();
  clock_.Advance(8LL * 24 * 3600 * 1000);
  (void)state_.Schedule();
  EXPECT_EQ(state_.job_count(), 0u);
  EXPECT_EQ(
      state_.TakeChanges().deleted_jobs,
      (std::map<std::string, int>{
          {parent, 0}, {NodeOf(parent, 0), 0}, {NodeOf(parent, 1), 0}, {NodeOf(parent, 2), 0}}));
}

// ---- restart ----

class MultiNodeRestoreTest : public MultiNodeTest {
 protected:
  std::unique_ptr<BatchState> Restart(const std::string& parent) {
    auto restored = std::make_unique<BatchState>(clock_, BatchStateOptions{});
    restored->RestoreComputeEnvironment(
        Must(ComputeEnvironmentFromRecord(ToRecord(*state_.FindComputeEnvironment("ce")))));
    restored->RestoreJobQueue(Must(JobQueueFromRecord(ToRecord(*state_.FindJobQueue("q")))));
    restored->RestoreJobDefinition(
        Must(JobDefinitionFromRecord(ToRecord(*state_.FindJobDefinition("mnp:1")))));
    std::set<std::string> ids{parent};
    for (int i = 0; i < JobOf(parent).node_properties->num_nodes; ++i)
      ids.insert(NodeOf(parent, i));
    for (const std::string& id : ids) {
      restored->RestoreJob(Must(JobFromRecord(ToRecord(JobOf(id)))));
    }
    Host host;
    host.instance_id = kHostId;
    host.container_instance_arn = restored->scope().EcsContainerInstance(kHostId);
    host.total = Resources{kHostMillivcpus, kHostMemoryMib, 0};
    restored->AddHost(std::move(host));
    return restored;
  }
};

TEST_F(MultiNodeRestoreTest, ARunningJobIsRetriedAfterARestart) {
  RegisterMultinode();
  SubmitJobRequest request = Request("mpi");
  request.retry_strategy = RetryStrategy{2, {}};
  std::string parent = SubmitMultinode(request);
  RunAllNodes(parent);

  std::unique_ptr<BatchState> restored = Restart(parent);
  std::vector<AttemptPlacement> lost = restored->FinishRestore();
  EXPECT_EQ(lost.size(), 3u);
  EXPECT_EQ(restored->FindJob(parent)->status, JobStatus::kRunnable);
  EXPECT_EQ(restored->FindJob(NodeOf(parent, 0))->status, JobStatus::kRunnable);
  EXPECT_EQ(restored->FindJob(NodeOf(parent, 1))->status, JobStatus::kPending);
  EXPECT_EQ(restored->FindJob(NodeOf(parent, 2))->status, JobStatus::kPending);
  EXPECT_EQ(restored->hosts().at(kHostId).used, Resources{});

  Decisions decisions = restored->Schedule();
  EXPECT_THAT(Started(decisions), ElementsAre(NodeOf(parent, 0)));
  restored->OnAttemptLaunched(NodeOf(parent, 0), 1, 1);
  EXPECT_THAT(Started(restored->Schedule()), ElementsAre(NodeOf(parent, 1), NodeOf(parent, 2)));
  restored->OnAttemptExited(NodeOf(parent, 0), 0, 0);
  EXPECT_EQ(restored->FindJob(parent)->status, JobStatus::kSucceeded);
  EXPECT_EQ(restored->FindJob(parent)->attempts.size(), 2u);
}

TEST_F(MultiNodeRestoreTest, WithoutRetriesTheJobFailsAfterARestart) {
  Must(state_.RegisterJobDefinition(
      MultinodeDefinition("mnp", 3, 2, {Range(":", NodeContainer("n"))})));
  std::string parent = SubmitMultinode();
  ASSERT_THAT(ScheduleAndLaunch(), ElementsAre(NodeOf(parent, 2)));
  ASSERT_THAT(ScheduleAndLaunch(), ElementsAre(NodeOf(parent, 0), NodeOf(parent, 1)));

  std::unique_ptr<BatchState> restored = Restart(parent);
  restored->FinishRestore();
  EXPECT_EQ(restored->FindJob(parent)->status, JobStatus::kFailed);
  EXPECT_THAT(restored->FindJob(parent)->status_reason, HasSubstr("gleaner restarted"));
  for (int i : {0, 1, 2}) {
    EXPECT_EQ(restored->FindJob(NodeOf(parent, i))->status, JobStatus::kFailed);
    EXPECT_FALSE(restored->FindJob(NodeOf(parent, i))->placement);
  }
  EXPECT_TRUE(Started(restored->Schedule()).empty());
}

TEST_F(MultiNodeRestoreTest, AWaitingJobContinuesAfterARestart) {
  RegisterMultinode();
  std::string parent = SubmitMultinode();
  std::unique_ptr<BatchState> restored = Restart(parent);
  EXPECT_THAT(restored->FinishRestore(), IsEmpty());
  EXPECT_THAT(Started(restored->Schedule()), ElementsAre(NodeOf(parent, 0)));
  EXPECT_EQ(restored->FindJob(parent)->status, JobStatus::kStarting);
}

// AWS refuses at SubmitJob what the queue's platform cannot run (issue 14, item 5).
TEST_F(MultiNodeTest, SubmitJobRefusesAJobWhosePlatformIsNotTheQueues) {
  Must(state_.CreateComputeEnvironment(FargateEnvironment("fargate")));
  AddQueue("fargate-q", 1, {"fargate"});
  RegisterMultinode();
  Result<const Job*> multinode = state_.SubmitJob(Request("m", "fargate-q", "mnp"));
  ASSERT_FALSE(multinode.ok());
  EXPECT_THAT(multinode.status().message(), HasSubstr("multi-node parallel jobs run on EC2 only"));

  Result<const Job*> ec2_on_fargate = state_.SubmitJob(Request("e", "fargate-q", "def"));
  ASSERT_FALSE(ec2_on_fargate.ok());
  EXPECT_THAT(ec2_on_fargate.status().message(),
              HasSubstr("has platformCapabilities [EC2], which job queue \"fargate-q\" cannot "
                        "run: its compute environments are FARGATE"));

  JobDefinition fargate = Definition("fargate-def", Container("0.25", "512"));
  fargate.platform_capabilities = {"FARGATE"};
  Must(state_.RegisterJobDefinition(fargate));
  EXPECT_TRUE(state_.SubmitJob(Request("f", "fargate-q", "fargate-def")).ok());
  Result<const Job*> fargate_on_ec2 = state_.SubmitJob(Request("g", "q", "fargate-def"));
  ASSERT_FALSE(fargate_on_ec2.ok());
  EXPECT_THAT(fargate_on_ec2.status().message(),
              HasSubstr("has platformCapabilities [FARGATE], which job queue \"q\" cannot run"));
  EXPECT_TRUE(state_.SubmitJob(Request("m2", "q", "mnp")).ok());
}

}  // namespace
}  // namespace gleaner
