// The Dispatcher on its own, over a small world the test owns: what a pass places, what it asks
// capacity for, and that Evaluate() says what a pass does (the reason a job waits is the
// dispatcher's own decision, so the two cannot disagree).
#include "scheduler/dispatch/dispatcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

namespace gleaner {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

Resources Needs(int64_t vcpus, int64_t memory_mib, int64_t gpus = 0) {
  return {vcpus * 1000, memory_mib, gpus};
}

// Queues, compute environments and jobs, kept as BatchState keeps them (jobs indexed by queue and
// status), with StartAttempt making a job STARTING as the lifecycle does.
class TestWorld final : public DispatchWorld {
 public:
  explicit TestWorld(Dispatcher& dispatcher) : dispatcher_(dispatcher) {}

  const ComputeEnvironment& AddEnvironment(const std::string& name, int maxv_cpus) {
    ComputeEnvironment environment;
    environment.name = name;
    environment.arn = "arn:ce/" + name;
    environment.type = "MANAGED";
    environment.state = ResourceState::kEnabled;
    environment.status = ResourceStatus::kValid;
    environment.compute_resources = ComputeResources{};
    environment.compute_resources->maxv_cpus = maxv_cpus;
    return environments_[environment.arn] = environment;
  }
  JobQueue& AddQueue(const std::string& name, int priority,
                     const std::vector<std::string>& environment_names) {
    JobQueue queue;
    queue.name = name;
    queue.arn = "arn:queue/" + name;
    queue.state = ResourceState::kEnabled;
    queue.status = ResourceStatus::kValid;
    queue.priority = priority;
    int order = 1;
    for (const std::string& environment : environment_names) {
      queue.compute_environment_order.push_back({order++, "arn:ce/" + environment});
    }
    return queues_[name] = queue;
  }
  Job& Submit(const std::string& queue_name, const Resources& required) {
    char id[32];
    std::snprintf(id, sizeof id, "job-%06d", next_job_++);
    Job& job = jobs_[id];
    job.job_id = id;
    job.job_queue = SharedString(queues_.at(queue_name).arn);
    job.required = required;
    job.status = JobStatus::kRunnable;
    by_status_[job.job_queue][JobStatus::kRunnable].insert(&job);
    dispatcher_.OnRunnable(job);
    return job;
  }
  // The attempt ends: its resources go back.
  void Finish(Job& job) {
    Move(job, JobStatus::kSucceeded);
    dispatcher_.hosts().Release(*job.placement);
    job.placement.reset();
  }
  std::vector<std::string> started;

  EpochMillis NowMillis() const override { return 0; }
  const std::map<std::string, JobQueue>& job_queues() const override { return queues_; }
  const JobQueue* FindJobQueue(const std::string& name_or_arn) const override {
    for (const auto& [name, queue] : queues_) {
      if (name == name_or_arn || queue.arn == name_or_arn) return &queue;
    }
    return nullptr;
  }
  const ComputeEnvironment* FindComputeEnvironment(const std::string& arn) const override {
    auto environment = environments_.find(arn);
    return environment == environments_.end() ? nullptr : &environment->second;
  }
  const JobSet* JobsIn(const std::string& queue_arn, JobStatus status) const override {
    auto queue = by_status_.find(queue_arn);
    if (queue == by_status_.end()) return nullptr;
    auto jobs = queue->second.find(status);
    return jobs == queue->second.end() ? nullptr : &jobs->second;
  }
  FairShareTracker* FairShareOf(const std::string&) override { return nullptr; }
  const FairShareTracker* FindFairShare(const std::string&) const override { return nullptr; }
  void StartAttempt(Job& job, const JobQueue&, AttemptPlacement placement, const Host&) override {
    job.placement = std::move(placement);
    Move(job, JobStatus::kStarting);
    started.push_back(job.job_id);
  }
  Job& MakeNextArrayChild(Job& parent) override { return parent; }  // no arrays here

  std::map<std::string, ComputeEnvironment> environments_;  // by ARN

 private:
  void Move(Job& job, JobStatus status) {
    by_status_[job.job_queue][job.status].erase(&job);
    if (job.status == JobStatus::kRunnable) dispatcher_.OnNoLongerRunnable(job);
    job.status = status;
    by_status_[job.job_queue][status].insert(&job);
  }

  Dispatcher& dispatcher_;
  std::map<std::string, JobQueue> queues_;
  std::map<std::string, Job> jobs_;
  std::map<std::string, std::map<JobStatus, JobSet>> by_status_;
  int next_job_ = 0;
};

Host MakeHost(const std::string& id, const std::string& environment, const Resources& total) {
  Host host;
  host.instance_id = id;
  host.compute_environment_arn = environment.empty() ? "" : "arn:ce/" + environment;
  host.total = total;
  return host;
}

class DispatcherTest : public ::testing::Test {
 protected:
  Dispatcher dispatcher_{DispatchOptions{}};
  TestWorld world_{dispatcher_};
};

TEST_F(DispatcherTest, PlacesInSubmissionOrderOnTheFirstHostWithRoom) {
  world_.AddEnvironment("ce", 64);
  world_.AddQueue("q", 1, {"ce"});
  dispatcher_.hosts().Add(MakeHost("i-1", "ce", Needs(4, 8192)));
  dispatcher_.hosts().Add(MakeHost("i-2", "ce", Needs(4, 8192)));
  Job& a = world_.Submit("q", Needs(3, 1024));
  Job& b = world_.Submit("q", Needs(2, 1024));
  Job& c = world_.Submit("q", Needs(1, 1024));

  dispatcher_.Run(world_);

  EXPECT_EQ(world_.started, (std::vector<std::string>{a.job_id, b.job_id, c.job_id}));
  EXPECT_EQ(a.placement->instance_id, "i-1");
  EXPECT_EQ(b.placement->instance_id, "i-2");
  EXPECT_EQ(c.placement->instance_id, "i-1");
  EXPECT_EQ(dispatcher_.hosts().Find("i-1")->used, Needs(4, 2048));
  EXPECT_EQ(dispatcher_.hosts().UsedBy("arn:ce/ce"), Needs(6, 3072));
}

TEST_F(DispatcherTest, AsksAScalingEnvironmentForWhatDoesNotFitWithinItsRoom) {
  world_.AddEnvironment("spot", 8);
  world_.AddQueue("q", 1, {"spot"});
  dispatcher_.hosts().SetScaling("arn:ce/spot", ScalingCapacity{8000, {Needs(4, 8192)}, ""});
  for (int i = 0; i < 3; ++i) world_.Submit("q", Needs(3, 1024));

  CapacityRequests requests = dispatcher_.Run(world_);

  // 3 + 3 vCPUs fit in the 8 it may add; the third job's would not.
  EXPECT_EQ(requests["arn:ce/spot"], (std::vector<Resources>{Needs(3, 1024), Needs(3, 1024)}));
  EXPECT_TRUE(world_.started.empty());
}

TEST_F(DispatcherTest, GpusAreTakenLowestFirstAndGivenBack) {
  world_.AddEnvironment("gpu", 64);
  world_.AddQueue("q", 1, {"gpu"});
  dispatcher_.hosts().Add(MakeHost("i-1", "gpu", Needs(8, 65536, 4)));
  Job& a = world_.Submit("q", Needs(1, 1024, 2));
  Job& b = world_.Submit("q", Needs(1, 1024, 1));
  dispatcher_.Run(world_);
  EXPECT_EQ(a.placement->gpu_ids, (std::vector<int>{0, 1}));
  EXPECT_EQ(b.placement->gpu_ids, (std::vector<int>{2}));

  world_.Finish(a);
  Job& c = world_.Submit("q", Needs(1, 1024, 3));
  dispatcher_.Run(world_);
  EXPECT_EQ(c.placement->gpu_ids, (std::vector<int>{0, 1, 3}));
}

TEST_F(DispatcherTest, EvaluateNamesTheEnvironmentAtItsMaxVcpusWhileHostsHaveRoom) {
  // The compute environment may hold 4 vCPUs; its host has 8. The job waits for the environment,
  // not for the host, and the reason says so.
  world_.AddEnvironment("small", 4);
  world_.AddQueue("q", 1, {"small"});
  dispatcher_.hosts().Add(MakeHost("i-1", "small", Needs(8, 16384)));
  world_.Submit("q", Needs(4, 1024));
  Job& waits = world_.Submit("q", Needs(2, 1024));
  dispatcher_.Run(world_);

  DispatchResult result = dispatcher_.Evaluate(waits, world_);
  EXPECT_EQ(result.verdict, DispatchVerdict::kWaiting);
  EXPECT_THAT(result.reason, StartsWith("CAPACITY:WAITING_FOR_RESOURCES"));
  EXPECT_THAT(result.reason, HasSubstr("Compute environment small holds 4 vCPU"));
}

TEST_F(DispatcherTest, EvaluateSaysPlaceableWhenRoomCameBackBeforeThePass) {
  world_.AddEnvironment("ce", 64);
  world_.AddQueue("q", 1, {"ce"});
  dispatcher_.hosts().Add(MakeHost("i-1", "ce", Needs(2, 4096)));
  Job& first = world_.Submit("q", Needs(2, 1024));
  Job& second = world_.Submit("q", Needs(2, 1024));
  dispatcher_.Run(world_);
  EXPECT_EQ(dispatcher_.Evaluate(second, world_).verdict, DispatchVerdict::kWaiting);

  world_.Finish(first);
  DispatchResult result = dispatcher_.Evaluate(second, world_);
  EXPECT_EQ(result.verdict, DispatchVerdict::kPlaceable);
  EXPECT_THAT(result.reason, HasSubstr("instance i-1"));
  dispatcher_.Run(world_);
  EXPECT_EQ(second.status, JobStatus::kStarting);
}

TEST_F(DispatcherTest, EvaluateCallsWhatNoHostOrSizeCanHoldInfeasible) {
  world_.AddEnvironment("ce", 64);
  world_.AddQueue("q", 1, {"ce"});
  dispatcher_.hosts().Add(MakeHost("i-1", "ce", Needs(4, 8192)));
  Job& too_big = world_.Submit("q", Needs(8, 1024));
  dispatcher_.Run(world_);
  DispatchResult result = dispatcher_.Evaluate(too_big, world_);
  EXPECT_EQ(result.verdict, DispatchVerdict::kInfeasible);
  EXPECT_THAT(result.reason, StartsWith("MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT"));
}

// A seeded random world: two queues over three compute environments, hosts of random sizes, jobs
// of random shapes arriving and finishing. After each pass, what Evaluate() says agrees with what
// the pass did: nothing it left RUNNABLE is placeable (the budget is large enough to look at
// everything), and nothing it calls infeasible was ever placed.
TEST_F(DispatcherTest, EvaluateAgreesWithEveryPassOverRandomWorlds) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    Dispatcher dispatcher{DispatchOptions{}};
    TestWorld world{dispatcher};
    std::mt19937_64 random(seed);
    auto uniform = [&random](int low, int high) {
      return std::uniform_int_distribution<int>(low, high)(random);
    };
    world.AddEnvironment("a", uniform(2, 16));
    world.AddEnvironment("b", uniform(2, 16));
    world.AddEnvironment("c", uniform(2, 64));
    world.AddQueue("high", 10, {"a", "b"});
    world.AddQueue("low", 1, {"b", "c"});
    for (int i = 0; i < uniform(1, 6); ++i) {
      const char* environment = i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "c";
      dispatcher.hosts().Add(MakeHost("i-" + std::to_string(i), environment,
                                      Needs(uniform(1, 8), 1024 * uniform(1, 16), uniform(0, 2))));
    }
    std::vector<Job*> jobs;
    std::set<std::string> infeasible;
    for (int step = 0; step < 12; ++step) {
      for (int i = 0; i < uniform(0, 8); ++i) {
        jobs.push_back(&world.Submit(uniform(0, 1) ? "high" : "low",
                                     Needs(uniform(1, 6), 512 * uniform(1, 24), uniform(0, 1))));
      }
      for (Job* job : jobs) {
        if (job->status != JobStatus::kRunnable) continue;
        if (dispatcher.Evaluate(*job, world).verdict == DispatchVerdict::kInfeasible) {
          infeasible.insert(job->job_id);
        }
      }
      dispatcher.Run(world);
      for (Job* job : jobs) {
        if (job->status == JobStatus::kRunnable) {
          DispatchResult result = dispatcher.Evaluate(*job, world);
          EXPECT_NE(result.verdict, DispatchVerdict::kPlaceable)
              << "seed " << seed << " step " << step << ": " << job->job_id << " ("
              << job->required.ToString() << ") was left RUNNABLE by the pass: " << result.reason;
        } else {
          EXPECT_EQ(infeasible.count(job->job_id), 0u)
              << "seed " << seed << ": " << job->job_id << " was called infeasible, then placed";
        }
      }
      for (Job* job : jobs) {
        if (job->status == JobStatus::kStarting && uniform(0, 2) == 0) world.Finish(*job);
      }
    }
  }
}

}  // namespace
}  // namespace gleaner
