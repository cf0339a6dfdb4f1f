#include "model/job.h"

#include "model/arn.h"

namespace gleaner {

std::string Job::JobArn() const {
  constexpr std::string_view kQueueType = ":job-queue/";
  const std::string& queue = job_queue;
  size_t type_at = queue.rfind(kQueueType);
  if (type_at == std::string::npos) return ArnScope{}.Job(job_id);
  std::string arn;
  arn.reserve(type_at + 5 + job_id.size());
  arn.append(queue, 0, type_at).append(":job/").append(job_id);
  return arn;
}

}  // namespace gleaner
