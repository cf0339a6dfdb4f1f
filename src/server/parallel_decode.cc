#include "server/parallel_decode.h"
#include "common/steady_time.h"

#include <time.h>

#include <chrono>

namespace gleaner::parallel_decode_internal {

double ThreadCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

double MonotonicSeconds() {
  return std::chrono::duration<double>(SteadyNow().time_since_epoch()).count();
}

size_t WorkerCount(size_t requested) {
  if (requested > 0) return requested;
  return std::max<size_t>(2, std::thread::hardware_concurrency());
}

}  // namespace gleaner::parallel_decode_internal
