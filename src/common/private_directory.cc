#include "common/private_directory.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace gleaner {

Status CreatePrivateDirectories(const std::string& path) {
  namespace fs = std::filesystem;
  std::vector<fs::path> missing;  // deepest first
  std::error_code error;
  for (fs::path dir = path; !dir.empty() && !fs::exists(dir, error); dir = dir.parent_path()) {
    missing.push_back(dir);
    if (dir == dir.root_path() || dir == dir.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    // Another thread (or process) may create it at the same moment: that is fine.
    if (mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) {
      return Status::Internal(it->string() + ": " + std::strerror(errno));
    }
  }
  if (!fs::is_directory(path, error)) return Status::Internal(path + ": not a directory");
  return Status::Ok();
}

}  // namespace gleaner
