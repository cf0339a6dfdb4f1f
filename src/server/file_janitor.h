#pragma once

#include <condition_variable>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "common/mutex.h"

namespace gleaner {

// Deletes files on a thread of its own: purging a day's finished jobs can mean removing many
// thousands of log files, which must not hold up the store's writer or the scheduler.
class FileJanitor {
 public:
  FileJanitor();
  ~FileJanitor();  // removes what is queued, then stops
  FileJanitor(const FileJanitor&) = delete;
  FileJanitor& operator=(const FileJanitor&) = delete;

  // Queues files, or directories with everything in them, for removal; any thread. A missing one
  // is no error.
  void Remove(std::vector<std::string> paths);
  // Blocks until everything queued so far is removed (tests).
  void Drain();

 private:
  void Run() GLEANER_EXCLUDES(mutex_);

  Mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> queue_ GLEANER_GUARDED_BY(mutex_);
  bool busy_ GLEANER_GUARDED_BY(mutex_) = false;
  bool stopping_ GLEANER_GUARDED_BY(mutex_) = false;
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace gleaner
