#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "runtime/launcher.h"

namespace gleaner {

// Runs Launcher::Launch off the scheduler thread: a spawn costs a millisecond or more, and the
// scheduler must keep deciding meanwhile. Results come back through `done`, on a worker thread.
// A process's working directory is made first when it does not exist yet.
class LaunchWorker {
 public:
  using Done = std::function<void(const std::string& job_id, Result<LaunchedProcess> launched)>;

  LaunchWorker(Launcher& launcher, Done done, int threads);
  ~LaunchWorker();
  LaunchWorker(const LaunchWorker&) = delete;
  LaunchWorker& operator=(const LaunchWorker&) = delete;

  void Submit(std::string job_id, LaunchSpec spec);
  // Launches what is queued, then joins the threads. Idempotent.
  void Stop();

 private:
  void Run();

  Launcher& launcher_;
  Done done_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<std::string, LaunchSpec>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace gleaner
