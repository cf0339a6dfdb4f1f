#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "model/compute_environment.h"
#include "model/job.h"
#include "model/job_queue.h"
#include "scheduler/dispatch/fair_share.h"
#include "scheduler/dispatch/host_pool.h"
#include "scheduler/dispatch/runnable_shapes.h"

namespace gleaner {

// What a compute environment may hold at once, in millivcpus (maxvCpus; unmanaged: unlimited
// unless unmanagedvCpus is set).
int64_t MaxMilliVcpus(const ComputeEnvironment& environment);
// ENABLED and VALID: jobs may be placed in it.
bool UsableForPlacement(const ComputeEnvironment* environment);

// What the Dispatcher reads of the catalog and asks of the job lifecycle. BatchState implements
// it; a test can too.
class DispatchWorld {
 public:
  virtual ~DispatchWorld() = default;
  virtual EpochMillis NowMillis() const = 0;
  virtual const std::map<std::string, JobQueue>& job_queues() const = 0;  // by name
  virtual const JobQueue* FindJobQueue(const std::string& name_or_arn) const = 0;
  virtual const ComputeEnvironment* FindComputeEnvironment(
      const std::string& name_or_arn) const = 0;
  // The queue's jobs in `status`, in submission order; nullptr when there are none.
  virtual const JobSet* JobsIn(const std::string& queue_arn, JobStatus status) const = 0;
  // The usage of a queue with a scheduling policy (nullptr for any other queue). FairShareOf
  // makes it on first use; FindFairShare only looks.
  virtual FairShareTracker* FairShareOf(const std::string& queue_arn) = 0;
  virtual const FairShareTracker* FindFairShare(const std::string& queue_arn) const = 0;
  // The job starts on `placement` (on `host`), whose resources are reserved already: it becomes
  // STARTING, and the engine is told to launch it.
  virtual void StartAttempt(Job& job, const JobQueue& queue, AttemptPlacement placement,
                            const Host& host) = 0;
  // Makes the array's next child, RUNNABLE, and returns it.
  virtual Job& MakeNextArrayChild(Job& parent) = 0;
};

// What a pass would do with a RUNNABLE job now (like Ray's SchedulingResult): place it; let it
// wait, for capacity, for its queue or for a fair-share reservation; or nothing can ever hold it
// as its queue is configured (it waits too, as on AWS, until the configuration changes).
enum class DispatchVerdict { kPlaceable, kWaiting, kInfeasible };
struct DispatchResult {
  DispatchVerdict verdict = DispatchVerdict::kWaiting;
  std::string reason;  // in AWS's words where AWS has them (statusReason)
};

struct DispatchOptions {
  // Jobs a pass looks at, over every queue; what it does not reach waits for the next pass.
  int max_jobs_examined_per_pass = 20'000;
};

// Capacity to launch: per compute environment ARN, what each job waiting for it needs, in queue
// order. Only compute environments a provider scales are asked, within their room.
using CapacityRequests = std::map<std::string, std::vector<Resources>>;

// Places RUNNABLE jobs on hosts. A pass takes the ENABLED and VALID queues by priority; within a
// queue the order is FIFO (fifo_order.cc) or fair share (fair_share_order.cc); placement takes the
// queue's compute environments in order and the first host with room (FirstFit, dispatch_pass.h).
// What a pass learns lives in the pass (dispatch_pass.h); Evaluate() applies the same rules to one
// job, so the reason a job waits is what the dispatcher does with it.
class Dispatcher {
 public:
  explicit Dispatcher(DispatchOptions options) : options_(options) {}
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  HostPool& hosts() { return hosts_; }
  const HostPool& hosts() const { return hosts_; }

  // What waits to be dispatched; the job lifecycle keeps it current. RUNNABLE jobs (multi-node
  // parents are not placed themselves, their nodes are), and array parents whose next children
  // may start.
  void OnRunnable(Job& job) { runnable_.Add(job); }
  void OnNoLongerRunnable(Job& job) { runnable_.Remove(job); }
  void OnArrayReady(Job& parent) { ready_arrays_[parent.job_queue].insert(&parent); }
  void OnArrayNotReady(Job& parent);

  // One pass: places what fits now (world.StartAttempt) and returns the capacity to ask for.
  CapacityRequests Run(DispatchWorld& world);

  // What a pass would do with the RUNNABLE job now, and why it waits when it does. Places nothing.
  DispatchResult Evaluate(const Job& job, const DispatchWorld& world) const;

 private:
  DispatchOptions options_;
  HostPool hosts_;
  RunnableShapes runnable_;
  std::map<std::string, JobSet> ready_arrays_;  // queue ARN -> array parents, submission order
};

}  // namespace gleaner
