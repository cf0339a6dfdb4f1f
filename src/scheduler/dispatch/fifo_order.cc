// FIFO job queues (no scheduling policy): jobs in submission order.
#include <algorithm>
#include <climits>
#include <set>

#include "scheduler/dispatch/dispatch_pass.h"

namespace gleaner {
namespace {

// Children are made only when there is room for them, so a large array waiting for capacity costs
// one record, not one per child. False when the next child did not fit (the array waits).
bool DispatchArrayChildren(Job& parent, const JobQueue& queue, JobSet& ready_arrays,
                           DispatchPass& pass) {
  while (parent.array_next_index < *parent.array_size && !parent.array_stopped) {
    auto choice = pass.Find(parent.required, queue, *parent.array_size - parent.array_next_index);
    if (!choice) return false;
    Job& child = pass.world().MakeNextArrayChild(parent);
    pass.Place(child, queue, *choice);
  }
  ready_arrays.erase(&parent);
  return true;
}

}  // namespace

// The queue's RUNNABLE jobs and arrays with children to start, merged in submission (id) order.
// The jobs come by shape (RunnableShapes): a shape that fits nowhere leaves the merge at its first
// job, after asking for capacity for all of its jobs, so what cannot be placed costs the pass
// O(shapes) and the examined-jobs budget goes to jobs that are really tried.
void DispatchFifo(const JobQueue& queue, RunnableShapes::Groups* groups, JobSet& ready_arrays,
                  DispatchPass& pass) {
  struct Cursor {
    JobSet* jobs;
    JobSet::iterator next;
  };
  auto later = [](const Cursor& a, const Cursor& b) {
    return (*b.next)->job_id < (*a.next)->job_id;  // a min-heap on the next job's id
  };
  std::vector<Cursor> heap;
  if (groups != nullptr) {
    for (auto& [shape, jobs] : *groups) {
      if (!jobs.empty()) heap.push_back({&jobs, jobs.begin()});
    }
  }
  std::make_heap(heap.begin(), heap.end(), later);
  auto array_it = ready_arrays.begin();
  std::set<RunnableShapes::Shape> array_shapes_waiting;
  while (!heap.empty() || array_it != ready_arrays.end()) {
    if (!pass.BudgetLeft() || !pass.CapacityLeft()) return;
    if (array_it != ready_arrays.end() &&
        (heap.empty() || (*array_it)->job_id < (*heap.front().next)->job_id)) {
      Job& parent = **array_it;
      ++array_it;  // starting its last child takes the parent out of `ready_arrays`
      RunnableShapes::Shape shape = RunnableShapes::ShapeOf(parent);
      if (array_shapes_waiting.count(shape) != 0) continue;  // an earlier array of it did not fit
      pass.CountExamined();
      if (!DispatchArrayChildren(parent, queue, ready_arrays, pass)) {
        array_shapes_waiting.insert(shape);
      }
      continue;
    }
    pass.CountExamined();
    std::pop_heap(heap.begin(), heap.end(), later);
    Cursor& cursor = heap.back();
    Job& job = **cursor.next;
    // Moved on before placing (which takes the job out of the group); the group outlives it.
    bool more = ++cursor.next != cursor.jobs->end();
    if (auto choice = pass.Find(job.required, queue)) {
      pass.Place(job, queue, *choice);
      if (more) {
        std::push_heap(heap.begin(), heap.end(), later);
      } else {
        heap.pop_back();
      }
      continue;
    }
    // The rest of the group cannot fit either; they still ask for capacity, as a whole, now.
    int rest = static_cast<int>(std::min<size_t>(cursor.jobs->size() - 1, INT_MAX));
    if (rest > 0) pass.RequestCapacity(job.required, queue, rest);
    heap.pop_back();
  }
}

}  // namespace gleaner
