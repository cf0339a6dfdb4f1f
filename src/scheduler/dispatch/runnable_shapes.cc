#include "scheduler/dispatch/runnable_shapes.h"

namespace gleaner {

void RunnableShapes::Add(Job& job) {
  if (job.IsMultiNodeParent()) return;
  by_queue_[job.job_queue][ShapeOf(job)].insert(&job);
}

void RunnableShapes::Remove(Job& job) {
  auto queue = by_queue_.find(job.job_queue);
  if (queue == by_queue_.end()) return;
  auto group = queue->second.find(ShapeOf(job));
  if (group == queue->second.end()) return;
  // Empty groups stay: a dispatch pass may hold on to them, and a queue sees few shapes.
  group->second.erase(&job);
}

RunnableShapes::Groups* RunnableShapes::Of(const std::string& queue_arn) {
  auto queue = by_queue_.find(queue_arn);
  return queue == by_queue_.end() ? nullptr : &queue->second;
}

}  // namespace gleaner
