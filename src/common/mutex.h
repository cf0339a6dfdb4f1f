#pragma once

// A mutex clang's thread-safety analysis understands (-Wthread-safety, on in every clang build:
// the sanitizer builds CI runs). A member a mutex guards is declared GLEANER_GUARDED_BY(mutex_);
// a function that expects the caller to hold it is GLEANER_REQUIRES(mutex_); one that takes it
// itself and must not be called with it held is GLEANER_EXCLUDES(mutex_). Reading or writing a
// guarded member without the mutex then fails the build. GCC ignores the annotations.
//
// Lock order. Where one gleaner mutex is taken while another is held, it is in this order only
// (the first held, the second taken), so no two threads can wait on each other:
//   ContainerLauncher::mutex_   -> ProcessLauncher::mutex_ (a launch through the process launcher)
//   HttpServerImpl::stop_mutex_ -> listeners_mutex_ -> CertificatesByName::mutex_
//   HttpServerImpl::stop_mutex_ -> ServerContext::sessions_mutex
//   ObjectStore::mutex_         -> ObjectStore::random_mutex_ (a temporary path while deleting)
// Every other mutex guards its own class's members and is released before calling out: the
// engine's is never held while it asks providers, the launcher or the store anything (it takes
// the agent hub's and the store's locks through them), and the agent hub answers held polls and
// runs commands only after releasing its own.

#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define GLEANER_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define GLEANER_THREAD_ANNOTATION(x)
#endif

#define GLEANER_CAPABILITY(name) GLEANER_THREAD_ANNOTATION(capability(name))
#define GLEANER_SCOPED_CAPABILITY GLEANER_THREAD_ANNOTATION(scoped_lockable)
#define GLEANER_GUARDED_BY(mutex) GLEANER_THREAD_ANNOTATION(guarded_by(mutex))
#define GLEANER_PT_GUARDED_BY(mutex) GLEANER_THREAD_ANNOTATION(pt_guarded_by(mutex))
#define GLEANER_REQUIRES(...) GLEANER_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define GLEANER_EXCLUDES(...) GLEANER_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define GLEANER_ACQUIRE(...) GLEANER_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define GLEANER_RELEASE(...) GLEANER_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define GLEANER_TRY_ACQUIRE(...) GLEANER_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define GLEANER_NO_THREAD_SAFETY_ANALYSIS GLEANER_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace gleaner {

class GLEANER_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() GLEANER_ACQUIRE() { mutex_.lock(); }
  void unlock() GLEANER_RELEASE() { mutex_.unlock(); }
  bool try_lock() GLEANER_TRY_ACQUIRE(true) { return mutex_.try_lock(); }

 private:
  friend class MutexLock;
  std::mutex mutex_;
};

// Holds a Mutex for its scope (or until Unlock). Condition variables wait on it through native():
// the wait releases the mutex and holds it again before it returns, as the analysis assumes.
class GLEANER_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mutex) GLEANER_ACQUIRE(mutex) : lock_(mutex.mutex_) {}
  ~MutexLock() GLEANER_RELEASE() = default;
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void Unlock() GLEANER_RELEASE() { lock_.unlock(); }
  void Lock() GLEANER_ACQUIRE() { lock_.lock(); }
  std::unique_lock<std::mutex>& native() { return lock_; }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace gleaner
