#include "common/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>

namespace gleaner {
namespace {

namespace fs = std::filesystem;

Status WriteError(const std::string& path, int error) {
  return Status::Internal("cannot write " + path + ": " + std::strerror(error));
}

}  // namespace

Status WriteFileAtomically(const std::string& path, const std::string& text, bool durable,
                           mode_t mode) {
  std::string temporary = path + ".tmp";
  int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return WriteError(temporary, errno);
  std::string_view rest = text;
  while (!rest.empty()) {
    ssize_t written = write(fd, rest.data(), rest.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      int error = errno;
      close(fd);
      return WriteError(temporary, error);
    }
    rest.remove_prefix(static_cast<size_t>(written));
  }
  if (durable && fsync(fd) != 0) {
    int error = errno;
    close(fd);
    return WriteError(temporary, error);
  }
  close(fd);
  if (rename(temporary.c_str(), path.c_str()) != 0) return WriteError(path, errno);
  if (durable) {  // the rename itself is durable once the directory is
    std::string directory = fs::path(path).parent_path().string();
    int directory_fd = open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_CLOEXEC);
    if (directory_fd >= 0) {
      fsync(directory_fd);
      close(directory_fd);
    }
  }
  return Status::Ok();
}

}  // namespace gleaner
