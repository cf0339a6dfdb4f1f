#include "server/local_attempt_files.h"

#include <filesystem>
#include <optional>
#include <system_error>

#include "runtime/reattached_attempts.h"

namespace gleaner {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kExitSuffix = ".exit";
constexpr std::string_view kPidSuffix = ".pid";

}  // namespace

// Job ids are gleaner's own (a UUID, ":<index>" for array children, "#<node>" for nodes): nothing
// in them needs escaping but a '/', which they never hold.
std::string LocalAttemptFiles::BaseName(const std::string& job_id, int attempt) const {
  std::string name = job_id;
  for (char& character : name) {
    if (character == '/') character = '_';
  }
  return name + "." + std::to_string(attempt);
}

std::string LocalAttemptFiles::ExitFile(const std::string& job_id, int attempt) const {
  return directory_ + "/" + BaseName(job_id, attempt) + std::string(kExitSuffix);
}

std::string LocalAttemptFiles::PidFile(const std::string& job_id, int attempt) const {
  return directory_ + "/" + BaseName(job_id, attempt) + std::string(kPidSuffix);
}

FoundAttempt LocalAttemptFiles::Find(const std::string& job_id, int attempt,
                                     const AttemptProcess& known) const {
  FoundAttempt found;
  found.process = known;
  if (found.process.pid <= 0) {
    std::optional<AttemptProcess> named = ClaimAttemptPidFile(PidFile(job_id, attempt));
    if (!named) return found;  // kNeverStarted
    found.process = *named;
  }
  std::string exit_file = ExitFile(job_id, attempt);
  // The exit file first: a shim that wrote it may be gone, or be about to go.
  if (std::optional<CommandOutcome> outcome = ReadAttemptOutcome(exit_file)) {
    found.kind = FoundAttempt::Kind::kEnded;
    found.exit = {.pid = found.process.pid,
                  .exit_code = outcome->exit_code,
                  .term_signal = outcome->term_signal,
                  .reason = ""};
    return found;
  }
  if (IsProcessAlive(found.process.pid, found.process.start_ticks)) {
    found.kind = FoundAttempt::Kind::kRunning;
    return found;
  }
  // Gone: it may have written the file as it ended, after the first look; else it was killed.
  found.kind = FoundAttempt::Kind::kEnded;
  found.exit = ExitFromFile(found.process.pid, exit_file);
  return found;
}

void LocalAttemptFiles::RemoveAllBut(const std::set<std::pair<std::string, int>>& keep) const {
  std::set<std::string> kept;
  for (const auto& [job_id, attempt] : keep) kept.insert(BaseName(job_id, attempt));
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory_, error)) {
    // "<job id>.<attempt>.exit", ".pid", and the shims' temporary "….tmp" files: job ids hold no
    // '.', so the attempt's base name ends at the second one.
    std::string name = entry.path().filename().string();
    size_t first = name.find('.');
    size_t second = first == std::string::npos ? first : name.find('.', first + 1);
    if (second != std::string::npos && kept.contains(name.substr(0, second))) continue;
    std::error_code ignored;
    fs::remove(entry.path(), ignored);
  }
}

}  // namespace gleaner
