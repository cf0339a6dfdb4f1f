#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/mutex.h"
#include "runtime/launcher.h"

namespace gleaner {

// Runs Launcher::Launch off the caller's thread (the server's scheduler, the agent's core): a spawn
// costs a millisecond or more and an image pull minutes, and the caller must keep going meanwhile.
// Results come back through `done`, on a worker thread, under the id given to Submit. A process's
// working directory is made first when it does not exist yet.
class LaunchWorker {
 public:
  using Done = std::function<void(const std::string& id, Result<LaunchedProcess> launched)>;

  LaunchWorker(Launcher& launcher, Done done, int threads);
  ~LaunchWorker();
  LaunchWorker(const LaunchWorker&) = delete;
  LaunchWorker& operator=(const LaunchWorker&) = delete;

  void Submit(std::string id, LaunchSpec spec);
  // Launches what is queued, then joins the threads. Idempotent.
  void Stop();

 private:
  void Run();

  Launcher& launcher_;
  Done done_;
  Mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<std::string, LaunchSpec>> queue_ GLEANER_GUARDED_BY(mutex_);
  bool stopping_ GLEANER_GUARDED_BY(mutex_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace gleaner
