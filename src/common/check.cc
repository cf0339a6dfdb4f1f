#include "common/check.h"

#include <atomic>

#include "common/mutex.h"

namespace gleaner {
namespace {

std::atomic<int64_t> failures{0};
Mutex last_mutex;
std::string last GLEANER_GUARDED_BY(last_mutex);

}  // namespace

void FailCheck(const char* condition, std::string_view what, const char* file, int line) {
  std::string text = std::string(file) + ":" + std::to_string(line) + ": GLEANER_CHECK(" +
                     condition + ") failed: " + std::string(what);
  {
    MutexLock lock(last_mutex);
    last = text;
  }
  failures.fetch_add(1, std::memory_order_relaxed);
  throw CheckFailure(text);
}

int64_t CheckFailures() { return failures.load(std::memory_order_relaxed); }

std::string LastCheckFailure() {
  MutexLock lock(last_mutex);
  return last;
}

}  // namespace gleaner
