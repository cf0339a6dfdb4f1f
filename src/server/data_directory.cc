#include "server/data_directory.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "common/entropy.h"

namespace gleaner {
namespace {

namespace fs = std::filesystem;

Status ErrnoStatus(const std::string& what, int error) {
  return Status::Internal(what + ": " + std::strerror(error));
}

// Creates `path` 0700 when missing and makes an existing one 0700; refuses what is not a directory.
Status MakePrivateDirectory(const std::string& path) {
  std::error_code error;
  fs::create_directories(path, error);
  if (error) return Status::InvalidArgument("cannot create " + path + ": " + error.message());
  struct stat info {};
  if (lstat(path.c_str(), &info) != 0) return ErrnoStatus("cannot inspect " + path, errno);
  if (!S_ISDIR(info.st_mode)) return Status::InvalidArgument(path + " is not a directory");
  if ((info.st_mode & 0777) != 0700 && chmod(path.c_str(), 0700) != 0) {
    return ErrnoStatus("cannot make " + path + " private (0700)", errno);
  }
  return Status::Ok();
}

// Files an older gleaner left with the umask's mode (the database, events) become 0600.
Status MakeFilesPrivate(const std::string& directory) {
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory, error)) {
    if (!entry.is_regular_file(error)) continue;
    std::string file = entry.path().string();
    if (chmod(file.c_str(), 0600) != 0 && errno != ENOENT) {
      return ErrnoStatus("cannot make " + file + " private (0600)", errno);
    }
  }
  if (error) return Status::Internal("cannot list " + directory + ": " + error.message());
  return Status::Ok();
}

std::string ReadHolder(int fd) {
  char text[32] = {};
  ssize_t length = pread(fd, text, sizeof text - 1, 0);
  std::string_view pid(text, length > 0 ? static_cast<size_t>(length) : 0);
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == '\0')) pid.remove_suffix(1);
  return pid.empty() || pid.find_first_not_of("0123456789") != std::string_view::npos
             ? "unknown"
             : std::string(pid);
}

}  // namespace

Result<std::unique_ptr<DataDirectory>> DataDirectory::Open(const std::string& path) {
  GLEANER_RETURN_IF_ERROR(MakePrivateDirectory(path));
  std::string lock_path = path + "/lock";
  int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return ErrnoStatus("cannot open " + lock_path, errno);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int error = errno;
    std::string holder = ReadHolder(fd);
    close(fd);
    if (error == EWOULDBLOCK) {
      return Status::FailedPrecondition("the data directory " + path +
                                        " is in use by another gleaner server (pid " + holder +
                                        "); stop it first, or give this one another --data-dir");
    }
    return ErrnoStatus("cannot lock " + lock_path, error);
  }
  std::unique_ptr<DataDirectory> directory(new DataDirectory(path, fd));
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    return ErrnoStatus("cannot write " + lock_path, errno);
  }
  GLEANER_RETURN_IF_ERROR(MakeFilesPrivate(path));
  GLEANER_RETURN_IF_ERROR(MakePrivateDirectory(directory->logs()));
  GLEANER_RETURN_IF_ERROR(MakePrivateDirectory(directory->work()));
  GLEANER_RETURN_IF_ERROR(MakePrivateDirectory(directory->attempts()));
  // Created private here: the event log opens it for appending with the umask's mode otherwise.
  int events = open(directory->events().c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (events < 0) return ErrnoStatus("cannot open " + directory->events(), errno);
  close(events);
  return directory;
}

DataDirectory::~DataDirectory() { close(lock_fd_); }

Result<std::string> DataDirectory::ReadOrCreateSecret(const std::string& name) const {
  std::string file = path_ + "/" + name;
  int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd >= 0) {
    char text[65] = {};
    ssize_t length = read(fd, text, 64);
    close(fd);
    std::string_view secret(text, length > 0 ? static_cast<size_t>(length) : 0);
    if (secret.size() != 64 || secret.find_first_not_of("0123456789abcdef") != secret.npos) {
      return Status::FailedPrecondition(file +
                                        " is not a secret gleaner made (64 hex digits); "
                                        "remove it to have a new one made");
    }
    return std::string(secret);
  }
  if (errno != ENOENT) return ErrnoStatus("cannot read " + file, errno);
  std::string secret = EntropyHex(32);
  fd = open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return ErrnoStatus("cannot create " + file, errno);
  bool written = write(fd, secret.data(), secret.size()) == static_cast<ssize_t>(secret.size()) &&
                 fsync(fd) == 0;
  int error = errno;
  close(fd);
  if (!written) return ErrnoStatus("cannot write " + file, error);
  int directory = open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory >= 0) {
    (void)fsync(directory);  // the secret survives a crash, as the agents holding it do
    close(directory);
  }
  return secret;
}

}  // namespace gleaner
