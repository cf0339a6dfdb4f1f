#include "runtime/run_as.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace gleaner {
namespace {

constexpr char kReason[] = "CannotStartContainerError: ";

std::optional<unsigned long> Number(std::string_view text) {
  unsigned long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

// The passwd entry of a name or a uid; nullopt when there is none.
std::optional<JobUser> Lookup(const std::string& name, std::optional<uid_t> uid) {
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  int error = uid ? getpwuid_r(*uid, &entry, buffer.data(), buffer.size(), &found)
                  : getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (error != 0 || found == nullptr) return std::nullopt;
  return JobUser{entry.pw_uid, entry.pw_gid, entry.pw_name, entry.pw_dir};
}

}  // namespace

Result<JobUser> ResolveJobUser(const std::string& user) {
  if (user.empty()) return Status::InvalidArgument(std::string(kReason) + "the user is empty");
  std::string uid_part = user.substr(0, user.find(':'));
  std::optional<std::string> gid_part;
  if (user.find(':') != std::string::npos) gid_part = user.substr(user.find(':') + 1);
  std::optional<unsigned long> uid = Number(uid_part);
  std::optional<JobUser> resolved =
      Lookup(uid_part, uid ? std::optional<uid_t>(*uid) : std::nullopt);
  if (!resolved) {
    if (!uid) {
      return Status::InvalidArgument(std::string(kReason) + "unable to find user " + uid_part +
                                     ": no matching entries in passwd file");
    }
    resolved = JobUser{static_cast<uid_t>(*uid), static_cast<gid_t>(*uid), "", ""};
  }
  if (gid_part) {
    std::optional<unsigned long> gid = Number(*gid_part);
    if (gid) {
      resolved->gid = static_cast<gid_t>(*gid);
    } else {
      group entry{};
      group* found = nullptr;
      std::vector<char> buffer(16384);
      if (getgrnam_r(gid_part->c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 ||
          found == nullptr) {
        return Status::InvalidArgument(std::string(kReason) + "unable to find group " + *gid_part +
                                       ": no matching entries in group file");
      }
      resolved->gid = found->gr_gid;
    }
  }
  if (geteuid() != 0 && resolved->uid != geteuid()) {
    return Status::FailedPrecondition(
        std::string(kReason) + "the job definition's user " + user +
        " needs gleaner to run as root to switch to it (gleaner runs as uid " +
        std::to_string(geteuid()) + ")");
  }
  return *resolved;
}

std::vector<std::string> RunAsArgv(const std::string& gleaner_executable, const std::string& user,
                                   const std::vector<std::string>& argv) {
  std::vector<std::string> wrapped{gleaner_executable, "run-as", user, "--"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

int RunAsCommand(const std::vector<std::string>& arguments) {
  auto fail = [](const std::string& why) {
    std::fprintf(stderr, "%s%s\n", kReason, why.c_str());
    return 127;
  };
  if (arguments.size() < 3 || arguments[1] != "--") {
    return fail("usage: gleaner run-as USER -- COMMAND...");
  }
  Result<JobUser> user = ResolveJobUser(arguments[0]);
  if (!user.ok()) {
    std::fprintf(stderr, "%s\n", user.status().message().c_str());
    return 127;
  }
  if (geteuid() == 0) {
    int groups =
        user->name.empty() ? setgroups(1, &user->gid) : initgroups(user->name.c_str(), user->gid);
    if (groups != 0) return fail(std::string("cannot set the groups: ") + std::strerror(errno));
    if (setgid(user->gid) != 0) return fail(std::string("setgid: ") + std::strerror(errno));
    if (setuid(user->uid) != 0) return fail(std::string("setuid: ") + std::strerror(errno));
    if (user->uid != 0 && setuid(0) == 0) return fail("could regain root after dropping it");
  }
  // The user's own home, as a login would give it; the server's (root's) is none of its business.
  if (!user->home.empty()) setenv("HOME", user->home.c_str(), 1);
  if (!user->name.empty()) {
    setenv("USER", user->name.c_str(), 1);
    setenv("LOGNAME", user->name.c_str(), 1);
  }
  // The server's working directory is private to it: start where the user may be.
  if (user->home.empty() || chdir(user->home.c_str()) != 0) (void)chdir("/");
  std::vector<char*> argv;
  for (size_t i = 2; i < arguments.size(); ++i) {
    argv.push_back(const_cast<char*>(arguments[i].c_str()));
  }
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  return fail("command " + arguments[2] + " cannot be started as " + arguments[0] + ": " +
              std::strerror(errno));
}

}  // namespace gleaner
