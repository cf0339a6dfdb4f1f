#include "agent/machine_resources.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string_view>

namespace gleaner {

Resources MachineResources() {
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  long pages = sysconf(_SC_PHYS_PAGES);
  long page_size = sysconf(_SC_PAGE_SIZE);
  Resources resources;
  resources.millivcpus = static_cast<int64_t>(std::max(cpus, 1L)) * 1000;
  resources.memory_mib = static_cast<int64_t>(std::max(pages, 0L)) *
                         static_cast<int64_t>(std::max(page_size, 0L)) / (1024 * 1024);
  resources.gpus = CountNvidiaGpus("/dev");
  return resources;
}

int64_t CountNvidiaGpus(const std::string& device_directory) {
  constexpr std::string_view kPrefix = "nvidia";
  int64_t gpus = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(device_directory, error)) {
    std::string name = entry.path().filename().string();
    std::string_view number = std::string_view(name).substr(std::min(name.size(), kPrefix.size()));
    if (name.starts_with(kPrefix) && !number.empty() &&
        number.find_first_not_of("0123456789") == std::string_view::npos) {
      ++gpus;
    }
  }
  return gpus;
}

}  // namespace gleaner
