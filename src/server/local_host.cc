#include "server/local_host.h"

#include <unistd.h>

#include <cmath>
#include <functional>
#include <string>

namespace gleaner {

Result<Host> DescribeLocalHost(const ArnScope& scope, double vcpus_override,
                               int64_t memory_mib_override) {
  if (vcpus_override < 0 || memory_mib_override < 0) {
    return Status::InvalidArgument("--vcpus and --memory must not be negative");
  }
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  long pages = sysconf(_SC_PHYS_PAGES);
  long page_size = sysconf(_SC_PAGE_SIZE);
  Host host;
  host.total.millivcpus = vcpus_override > 0 ? std::llround(vcpus_override * 1000)
                                             : static_cast<int64_t>(std::max(cpus, 1L)) * 1000;
  host.total.memory_mib = memory_mib_override > 0
                              ? memory_mib_override
                              : static_cast<int64_t>(pages) * page_size / (1024 * 1024);
  // A stable id per machine, shaped like an EC2 instance id ("i-" + 17 hex digits).
  char hostname[256] = {};
  gethostname(hostname, sizeof hostname - 1);
  size_t hash = std::hash<std::string>{}(hostname);
  char id[32];
  snprintf(id, sizeof id, "i-0%016zx", hash);
  host.instance_id = id;
  host.container_instance_arn = scope.EcsContainerInstance("local/" + host.instance_id);
  return host;
}

}  // namespace gleaner
