#include "runtime/launch_worker.h"

#include <sys/stat.h>

#include <cerrno>

#include "common/contain.h"
#include "common/private_directory.h"

namespace gleaner {

LaunchWorker::LaunchWorker(Launcher& launcher, Done done, int threads)
    : launcher_(launcher), done_(std::move(done)) {
  for (int i = 0; i < std::max(threads, 1); ++i) threads_.emplace_back([this] { Run(); });
}

LaunchWorker::~LaunchWorker() { Stop(); }

void LaunchWorker::Submit(std::string id, LaunchSpec spec) {
  {
    MutexLock lock(mutex_);
    queue_.emplace_back(std::move(id), std::move(spec));
  }
  wake_.notify_one();
}

void LaunchWorker::Stop() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

void LaunchWorker::Run() {
  while (true) {
    std::pair<std::string, LaunchSpec> next;
    {
      MutexLock lock(mutex_);
      wake_.wait(lock.native(),
                 [this]() GLEANER_REQUIRES(mutex_) { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to launch
      next = std::move(queue_.front());
      queue_.pop_front();
    }
    Status contained = Contain([&] {
      LaunchSpec& spec = next.second;
      if (!spec.container && !spec.working_directory.empty()) {
        // 0700, as the whole data directory; one mkdir when its parent exists (the usual case).
        // A failure shows as the launch's own.
        if (mkdir(spec.working_directory.c_str(), 0700) != 0 && errno != EEXIST) {
          (void)CreatePrivateDirectories(spec.working_directory);
        }
      }
      if (spec.prepare) {
        Status prepared = spec.prepare(spec);
        if (!prepared.ok()) return done_(next.first, prepared);
      }
      done_(next.first, launcher_.Launch(spec));
    });
    if (!contained.ok()) {
      (void)Contain([&] {
        done_(next.first, Status::Internal("CannotStartContainerError: " + contained.message()));
      });
    }
  }
}

}  // namespace gleaner
