#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "scheduler/batch_state.h"
#include "sim/sim_random.h"

namespace gleaner::sim {

// A random user of the AWS Batch API, drawn from the simulation's seed: it builds a catalog
// (compute environments of several sizes, queues with priorities and CE orders, a fair-share
// policy, job definitions with resources, retry strategies and timeouts), adds hosts, and then,
// tick by tick, submits plain jobs, chains, fans and arrays (SEQUENTIAL, N_TO_N, with plain
// dependencies, also on failed jobs), cancels and terminates jobs and arrays, and changes the
// catalog live. Every request it makes is valid, so a rejection is reported as a failure.
//
// It submits only jobs that some host and some compute environment of their queue can hold (as
// configured at the start), so once Quiesce() has enabled everything again, every job can finish.
class Workload {
 public:
  Workload(SimRandom& random, const Trace& trace) : random_(random), trace_(trace) {}

  Status Setup(BatchState& state);
  // A few random API calls.
  Status Tick(BatchState& state);
  // The workload stops: every queue and compute environment ENABLED again, with the sizes and
  // orders it started with, so nothing is left waiting for a configuration that never comes.
  Status Quiesce(BatchState& state);
  // Virtual time until the next tick.
  int64_t NextTickDelayMillis();

  int64_t submitted() const { return submitted_; }
  // The jobs SubmitJob made, oldest first.
  const std::vector<std::string>& job_ids() const { return job_ids_; }
  // The hosts it added (local capacity, which a restarted server adds again), as added.
  const std::vector<Host>& hosts() const { return added_hosts_; }

 private:
  struct EnvironmentInfo {
    std::string name;
    bool unmanaged = false;
    int maxv_cpus = 0;  // as created; managed only
  };
  struct QueueInfo {
    std::string name;
    std::vector<std::string> order;  // compute environment names, as created
    bool fair_share = false;
  };
  struct DefinitionInfo {
    std::string name;
    std::map<int, Resources> required;  // by ACTIVE revision
  };
  struct ArrayInfo {
    std::string job_id;
    int size = 0;
  };

  Status CreateEnvironment(BatchState& state, const std::string& name, bool unmanaged);
  Status CreateQueue(BatchState& state, QueueInfo info, bool disabled);
  Status RegisterDefinition(BatchState& state, const std::string& name);
  void AddHost(BatchState& state);

  Status SubmitPlain(BatchState& state);
  Status SubmitChain(BatchState& state);
  Status SubmitFan(BatchState& state);
  Status SubmitArray(BatchState& state);
  Status StopSomeJob(BatchState& state, bool terminate);
  Status UpdateSomeQueue(BatchState& state);
  Status UpdateSomeEnvironment(BatchState& state);
  Status ReviseSomeDefinition(BatchState& state);
  Status CycleTemporaryQueue(BatchState& state);
  Status UpdatePolicy(BatchState& state);

  // A valid request for one job (no dependencies yet) that fits its queue.
  SubmitJobRequest NewRequest(const BatchState& state, const QueueInfo** queue_out = nullptr);
  Result<std::string> Submit(BatchState& state, const SubmitJobRequest& request);
  bool Fits(const Resources& required, const QueueInfo& queue) const;
  std::optional<RetryStrategy> RandomRetryStrategy();
  // An existing job to depend on or stop: mostly recent ones, sometimes array children.
  std::optional<std::string> SomeJob(const BatchState& state, bool made_only);
  std::vector<JobDependency> SomeDependencies(const BatchState& state, int max_count);
  const QueueInfo& SomeQueue();
  EnvironmentInfo* FindEnvironment(const std::string& name);

  SimRandom& random_;
  const Trace& trace_;
  std::vector<EnvironmentInfo> environments_;
  std::vector<QueueInfo> queues_;  // the temporary queue, when there is one, is last
  std::vector<DefinitionInfo> definitions_;
  std::string policy_arn_;
  std::vector<std::string> job_ids_;  // submitted, oldest first
  std::vector<ArrayInfo> arrays_;
  bool has_temporary_ = false;
  int temporary_generation_ = 0;
  int hosts_ = 0;
  std::vector<Host> added_hosts_;
  int64_t submitted_ = 0;
};

}  // namespace gleaner::sim
