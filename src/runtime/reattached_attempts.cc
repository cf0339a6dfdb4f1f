#include "runtime/reattached_attempts.h"

#include <csignal>
#include <optional>
#include <utility>
#include <vector>

#include "common/contain.h"
#include "runtime/attempt_shim.h"

namespace gleaner {

ProcessExit ExitFromFile(pid_t pid, const std::string& exit_file) {
  std::optional<CommandOutcome> outcome = ReadAttemptOutcome(exit_file);
  ProcessExit exit;
  exit.pid = pid;
  exit.exit_code = outcome ? outcome->exit_code : 128 + SIGKILL;
  exit.term_signal = outcome ? outcome->term_signal : SIGKILL;
  return exit;
}

ReattachedAttempts::ReattachedAttempts(std::function<void(const ProcessExit&)> on_exit,
                                       std::chrono::milliseconds poll_interval)
    : on_exit_(std::move(on_exit)), poll_interval_(poll_interval), thread_([this] { Run(); }) {}

ReattachedAttempts::~ReattachedAttempts() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ReattachedAttempts::Watch(pid_t pid, int64_t start_ticks, std::string exit_file) {
  {
    MutexLock lock(mutex_);
    watched_[pid] = Watched{start_ticks, std::move(exit_file)};
  }
  wake_.notify_all();
}

size_t ReattachedAttempts::watched() const {
  MutexLock lock(mutex_);
  return watched_.size();
}

// Polls: a restarted server re-attaches a handful of attempts, once, and a pidfd would not say
// more (the exit status is in the file, not with the process).
void ReattachedAttempts::Run() {
  MutexLock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock.native(), poll_interval_,
                   [this]() GLEANER_REQUIRES(mutex_) { return stopping_; });
    std::vector<ProcessExit> exits;
    for (auto it = watched_.begin(); it != watched_.end();) {
      if (IsProcessAlive(it->first, it->second.start_ticks)) {
        ++it;
        continue;
      }
      exits.push_back(ExitFromFile(it->first, it->second.exit_file));
      it = watched_.erase(it);
    }
    if (exits.empty()) continue;
    lock.Unlock();
    for (const ProcessExit& exit : exits) {
      Status reported = Contain([&] { on_exit_(exit); });
      (void)reported;  // the callback's own failure is its to log; the watcher goes on
    }
    lock.Lock();
  }
}

}  // namespace gleaner
