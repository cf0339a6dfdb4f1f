#pragma once

// Attempts a restarted server finds still running: their shims (attempt_shim.h) are no longer its
// children, so it cannot reap them. It watches them instead, and reports each one's end with the
// outcome its shim wrote to the exit file (or, when the shim itself was killed with SIGKILL and
// wrote none, as killed by SIGKILL: exit code 137, signal 9).

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "common/mutex.h"
#include "runtime/launcher.h"

namespace gleaner {

// How the attempt whose shim was `pid` ended, by its exit file; without one, the shim was killed
// with it by SIGKILL (exit code 137, signal 9).
ProcessExit ExitFromFile(pid_t pid, const std::string& exit_file);

class ReattachedAttempts {
 public:
  // `on_exit` runs on the watcher's own thread, once per watched process.
  explicit ReattachedAttempts(
      std::function<void(const ProcessExit&)> on_exit,
      std::chrono::milliseconds poll_interval = std::chrono::milliseconds(100));
  ~ReattachedAttempts();
  ReattachedAttempts(const ReattachedAttempts&) = delete;
  ReattachedAttempts& operator=(const ReattachedAttempts&) = delete;

  // Watches the shim `pid` (started at `start_ticks`) until it is gone.
  void Watch(pid_t pid, int64_t start_ticks, std::string exit_file);
  size_t watched() const;

 private:
  struct Watched {
    int64_t start_ticks = 0;
    std::string exit_file;
  };
  void Run();

  const std::function<void(const ProcessExit&)> on_exit_;
  const std::chrono::milliseconds poll_interval_;
  mutable Mutex mutex_;
  std::condition_variable wake_;
  std::map<pid_t, Watched> watched_ GLEANER_GUARDED_BY(mutex_);
  bool stopping_ GLEANER_GUARDED_BY(mutex_) = false;
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace gleaner
