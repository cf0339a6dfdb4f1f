// What /proc says of a process (launcher.h, process_launcher.h): its start time, whether it still
// runs. A file of its own so that gleaner-attempt-shim, linked statically, takes in only this.
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>

#include "runtime/launcher.h"
#include "runtime/process_launcher.h"

namespace gleaner {
namespace {

// The /proc/<pid>/stat line, or "" when there is no such process.
std::string ReadProcStat(pid_t pid) {
  if (pid <= 0) return "";
  std::array<char, 32> path{};
  std::snprintf(path.data(), path.size(), "/proc/%d/stat", static_cast<int>(pid));
  int fd = open(path.data(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::array<char, 4096> buffer{};  // one read returns the whole (< 1 KiB) line
  ssize_t size = 0;
  do {
    size = read(fd, buffer.data(), buffer.size());
  } while (size < 0 && errno == EINTR);
  close(fd);
  return size <= 0 ? "" : std::string(buffer.data(), static_cast<size_t>(size));
}

}  // namespace

int64_t ParseProcStatStartTicks(std::string_view stat) {
  constexpr int kFirstFieldAfterName = 3;  // state
  constexpr int kStartTimeField = 22;
  size_t end_of_name = stat.rfind(')');
  if (end_of_name == std::string_view::npos) return 0;
  std::string_view rest = stat.substr(end_of_name + 1);
  std::string_view field;
  for (int index = kFirstFieldAfterName; index <= kStartTimeField; ++index) {
    size_t start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) return 0;
    rest.remove_prefix(start);
    field = rest.substr(0, rest.find_first_of(" \n"));
    rest.remove_prefix(field.size());
  }
  int64_t ticks = 0;
  auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), ticks);
  if (error != std::errc() || end != field.data() + field.size()) return 0;
  return ticks;
}

int64_t ReadProcessStartTicks(pid_t pid) { return ParseProcStatStartTicks(ReadProcStat(pid)); }

bool IsProcessAlive(pid_t pid, int64_t start_ticks) {
  if (start_ticks == 0) return false;
  std::string stat = ReadProcStat(pid);
  size_t end_of_name = stat.rfind(") ");
  if (end_of_name == std::string::npos || end_of_name + 2 >= stat.size()) return false;
  char state = stat[end_of_name + 2];
  return state != 'Z' && state != 'X' && ParseProcStatStartTicks(stat) == start_ticks;
}

}  // namespace gleaner
