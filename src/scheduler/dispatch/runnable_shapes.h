#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>

#include "model/job.h"

namespace gleaner {

struct ByJobId {
  using is_transparent = void;  // sets of jobs are also searched by id
  bool operator()(const Job* a, const Job* b) const { return a->job_id < b->job_id; }
  bool operator()(const Job* a, std::string_view b) const { return a->job_id < b; }
  bool operator()(std::string_view a, const Job* b) const { return a < b->job_id; }
};
using JobSet = std::set<Job*, ByJobId>;  // submission (id) order

// The RUNNABLE jobs of each queue grouped by the resources they need, each group in submission
// order. Within a dispatch pass hosts only fill up, so once one job of a group fits nowhere, none
// of the group's later jobs will: the pass drops the group there. A backlog that cannot be placed
// then costs a pass one attempt per shape, not one per job, and cannot use up the pass before
// the queues after it are reached. Multi-node parents are not here: their nodes are placed.
class RunnableShapes {
 public:
  using Shape = std::tuple<int64_t, int64_t, int64_t>;  // millivcpus, memory MiB, GPUs
  using Groups = std::map<Shape, JobSet>;

  static Shape ShapeOf(const Job& job) {
    return {job.required.millivcpus, job.required.memory_mib, job.required.gpus};
  }

  void Add(Job& job);
  void Remove(Job& job);
  // The groups of a queue (by ARN), some maybe empty; nullptr when it never had a RUNNABLE job.
  // Groups are never erased, so a pass may keep pointers into them while jobs move.
  Groups* Of(const std::string& queue_arn);

 private:
  std::map<std::string, Groups> by_queue_;
};

}  // namespace gleaner
