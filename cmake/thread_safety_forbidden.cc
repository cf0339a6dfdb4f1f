// Must not compile under clang's -Wthread-safety: a member guarded by a mutex, read without it.
// ctest's thread_safety_forbidden builds this and expects clang's error (clang builds only).
#include "common/mutex.h"

namespace gleaner {

class Counter {
 public:
  int Read() { return value_; }  // without mutex_: the error the test expects

 private:
  Mutex mutex_;
  int value_ GLEANER_GUARDED_BY(mutex_) = 0;
};

int ReadCounter() {
  Counter counter;
  return counter.Read();
}

}  // namespace gleaner
