#include "runtime/attempt_shim.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "runtime/launcher.h"
#include "runtime/network_namespace.h"
#include "runtime/spawn_attributes.h"

extern char** environ;

// Why a shim, and why it behaves this way:
// - The agent's launcher learns an attempt's exit status by reaping it, which only the parent can
//   do. After an agent restart the attempts are someone else's children, so the status would be
//   lost; the shim (the attempt's parent) writes it to a file the new agent reads.
// - The shim leads the process group the agent signals. It catches (and ignores) the signals a
//   job is usually stopped with, so it outlives the command and can record how the command ended;
//   the command, in the same group, receives them directly. SIGKILL ends both, and then there is
//   no exit file: the agent counts that as killed by SIGKILL.
// - Ending the way the command ended keeps the agent's own reaper (and anyone watching the shim)
//   seeing the command's status.

namespace gleaner {
namespace {

constexpr std::string_view kLaunchFailedPrefix = "launch-failed: ";
constexpr std::string_view kUsage =
    "usage: gleaner attempt-shim --exit-file PATH [--pid-file PATH] [--network-namespace PATH "
    "[--resolv-conf PATH]] -- COMMAND [ARG...]";
constexpr std::string_view kGivenUp = "given-up";
constexpr int kForwardedSignals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

void IgnoreSignal(int) {}

void InstallSignalHandlers() {
  struct sigaction action {};
  action.sa_handler = IgnoreSignal;
  sigemptyset(&action.sa_mask);
  for (int signal_number : kForwardedSignals) sigaction(signal_number, &action, nullptr);
  signal(SIGCHLD, SIG_DFL);  // waitpid needs the status kept
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

void PrintError(std::string_view message) {
  std::string line = "gleaner attempt-shim: " + std::string(message) + "\n";
  (void)!write(STDERR_FILENO, line.data(), line.size());
}

bool WriteAll(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t written = write(fd, text.data(), text.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    text.remove_prefix(static_cast<size_t>(written));
  }
  return true;
}

// Write to PATH.tmp, rename: a reader sees the whole outcome or none. Not synced to disk: the file
// must outlive the program that watches the attempt (a restart or crash of the server or the
// agent), and the page cache outlives it. A crash of the whole machine ends the attempt too; if its
// exit file is lost with it, the attempt counts as killed and its retry strategy decides, as for
// any lost host. (A client never sees what only this file holds: the server reports an end once
// it has committed it to its own store.)
void WriteExitFile(const std::string& path, const CommandOutcome& outcome) {
  std::string temporary = path + ".tmp";
  int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool written = fd >= 0 && WriteAll(fd, FormatAttemptOutcome(outcome));
  int error = errno;
  if (fd >= 0) close(fd);
  if (written && rename(temporary.c_str(), path.c_str()) == 0) return;
  if (written) error = errno;
  PrintError("cannot write exit file " + path + ": " + std::strerror(error));
}

// Creates `path` with `text` in it only if it does not exist yet, atomically: a reader sees no
// file or the whole text. Returns 0, or the errno (EEXIST: someone else's file is there).
int CreateExclusively(const std::string& path, std::string_view text) {
  std::string temporary = path + "." + std::to_string(getpid()) + ".tmp";
  int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return errno;
  bool written = WriteAll(fd, text);
  int error = written ? 0 : errno;
  close(fd);
  if (written && link(temporary.c_str(), path.c_str()) != 0) error = errno;
  unlink(temporary.c_str());
  return error;
}

std::optional<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// "<pid> <start ticks>\n"; nullopt for the given-up mark or anything else.
std::optional<AttemptProcess> ParseAttemptProcess(std::string_view text) {
  if (text.ends_with('\n')) text.remove_suffix(1);
  AttemptProcess process;
  const char* end = text.data() + text.size();
  auto [after_pid, pid_error] = std::from_chars(text.data(), end, process.pid);
  if (pid_error != std::errc() || after_pid == end || *after_pid != ' ' || process.pid <= 0) {
    return std::nullopt;
  }
  auto [after_ticks, ticks_error] = std::from_chars(after_pid + 1, end, process.start_ticks);
  if (ticks_error != std::errc() || after_ticks != end) return std::nullopt;
  return process;
}

// Returns 0 or the errno of the failed spawn.
int SpawnCommand(const std::vector<std::string>& argv, pid_t* pid) {
  // Same process group as the shim; every signal at its default action and none blocked,
  // whatever the shim does with them.
  CleanSpawnAttributes attributes(/*new_process_group=*/false);
  std::vector<char*> arguments;
  for (const std::string& argument : argv) arguments.push_back(const_cast<char*>(argument.c_str()));
  arguments.push_back(nullptr);
  // posix_spawnp searches the shim's own PATH, which is the job's environment.
  int error = posix_spawnp(pid, arguments[0], nullptr, attributes.get(), arguments.data(), environ);
  return error;
}

CommandOutcome WaitForCommand(pid_t pid) {
  CommandOutcome outcome;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno == EINTR) continue;
    outcome.exit_code = -1;  // cannot happen: the command is our own child
    return outcome;
  }
  if (WIFSIGNALED(status)) {
    outcome.term_signal = WTERMSIG(status);
    outcome.exit_code = 128 + outcome.term_signal;
  } else {
    outcome.exit_code = WEXITSTATUS(status);
  }
  return outcome;
}

[[noreturn]] void EndLike(const CommandOutcome& outcome) {
  if (outcome.term_signal != 0) {
    // The command already dumped its core if it was going to; the shim must not dump another.
    rlimit no_core{};
    setrlimit(RLIMIT_CORE, &no_core);
    signal(outcome.term_signal, SIG_DFL);
    sigset_t just_this;
    sigemptyset(&just_this);
    sigaddset(&just_this, outcome.term_signal);
    sigprocmask(SIG_UNBLOCK, &just_this, nullptr);
    raise(outcome.term_signal);
  }
  _exit(outcome.exit_code & 0xff);
}

}  // namespace

std::string FormatAttemptOutcome(const CommandOutcome& outcome) {
  std::string text = std::to_string(outcome.exit_code) + " " + std::to_string(outcome.term_signal);
  if (!outcome.launch_failure.empty()) {
    std::string reason = outcome.launch_failure;
    for (char& character : reason) {
      if (character == '\n') character = ' ';
    }
    text += " " + std::string(kLaunchFailedPrefix) + reason;
  }
  return text + "\n";
}

std::optional<CommandOutcome> ParseAttemptOutcome(std::string_view text) {
  if (text.ends_with('\n')) text.remove_suffix(1);
  CommandOutcome outcome;
  const char* end = text.data() + text.size();
  auto [after_code, code_error] = std::from_chars(text.data(), end, outcome.exit_code);
  if (code_error != std::errc() || after_code == end || *after_code != ' ') return std::nullopt;
  auto [after_signal, signal_error] = std::from_chars(after_code + 1, end, outcome.term_signal);
  if (signal_error != std::errc() || outcome.term_signal < 0) return std::nullopt;
  std::string_view rest(after_signal, static_cast<size_t>(end - after_signal));
  if (rest.empty()) return outcome;
  if (!rest.starts_with(' ') || !rest.substr(1).starts_with(kLaunchFailedPrefix)) {
    return std::nullopt;
  }
  outcome.launch_failure = std::string(rest.substr(1 + kLaunchFailedPrefix.size()));
  return outcome;
}

std::optional<CommandOutcome> ReadAttemptOutcome(const std::string& path) {
  std::optional<std::string> text = ReadSmallFile(path);
  if (!text) return std::nullopt;
  return ParseAttemptOutcome(*text);
}

std::vector<std::string> AttemptShimArgv(const std::string& executable,
                                         const std::string& exit_file,
                                         const std::vector<std::string>& argv,
                                         const std::string& pid_file,
                                         const AttemptShimNetwork& network) {
  std::vector<std::string> shim_argv{executable, "attempt-shim", "--exit-file", exit_file};
  if (!pid_file.empty()) {
    shim_argv.push_back("--pid-file");
    shim_argv.push_back(pid_file);
  }
  if (!network.network_namespace.empty()) {
    shim_argv.push_back("--network-namespace");
    shim_argv.push_back(network.network_namespace);
  }
  if (!network.resolv_conf.empty()) {
    shim_argv.push_back("--resolv-conf");
    shim_argv.push_back(network.resolv_conf);
  }
  shim_argv.push_back("--");
  shim_argv.insert(shim_argv.end(), argv.begin(), argv.end());
  return shim_argv;
}

std::optional<AttemptProcess> ClaimAttemptPidFile(const std::string& path) {
  // Either the shim's file is there already, or ours goes in and no shim will start after it.
  (void)CreateExclusively(path, std::string(kGivenUp) + "\n");
  std::optional<std::string> text = ReadSmallFile(path);
  return text ? ParseAttemptProcess(*text) : std::nullopt;
}

int RunAttemptShimCommand(const std::vector<std::string>& arguments) {
  if (arguments.size() < 2 || arguments[0] != "--exit-file") {
    PrintError(kUsage);
    return 2;
  }
  size_t command = 2;
  std::string pid_file;
  AttemptShimNetwork network;
  while (command + 1 < arguments.size() && arguments[command] != "--") {
    std::string* value = arguments[command] == "--pid-file"            ? &pid_file
                         : arguments[command] == "--network-namespace" ? &network.network_namespace
                         : arguments[command] == "--resolv-conf"       ? &network.resolv_conf
                                                                       : nullptr;
    if (value == nullptr || !value->empty() || arguments[command + 1].empty()) break;
    *value = arguments[command + 1];
    command += 2;
  }
  if (arguments.size() < command + 2 || arguments[command] != "--" ||
      (!network.resolv_conf.empty() && network.network_namespace.empty())) {
    PrintError(kUsage);
    return 2;
  }
  return RunAttemptShim(arguments[1],
                        std::vector<std::string>(arguments.begin() + command + 1, arguments.end()),
                        pid_file, network);
}

int RunAttemptShim(const std::string& exit_file, const std::vector<std::string>& argv,
                   const std::string& pid_file, const AttemptShimNetwork& network) {
  if (exit_file.empty() || argv.empty() || argv.front().empty()) {
    PrintError(kUsage);
    return 2;
  }
  if (!pid_file.empty()) {
    std::string self =
        std::to_string(getpid()) + " " + std::to_string(ReadProcessStartTicks(getpid())) + "\n";
    if (int error = CreateExclusively(pid_file, self); error == EEXIST) {
      PrintError("the attempt was given up before it started (" + pid_file +
                 " exists); not starting it");
      _exit(kAttemptGivenUpExitCode);
    } else if (error != 0) {
      CommandOutcome failed{.exit_code = 126, .term_signal = 0, .launch_failure = ""};
      failed.launch_failure = "cannot write pid file " + pid_file + ": " + std::strerror(error);
      PrintError(failed.launch_failure);
      WriteExitFile(exit_file, failed);
      _exit(failed.exit_code);
    }
  }
  if (!network.network_namespace.empty()) {
    // The job's own network (network_namespace.h): entered before the command starts, so the
    // command never sees the host's.
    Status entered = EnterNetworkNamespace(network.network_namespace);
    if (!entered.ok()) {
      entered =
          Status::Internal("cannot enter the attempt's network namespace: " + entered.message());
    } else if (!network.resolv_conf.empty()) {
      entered = UseResolvConf(network.resolv_conf);
      if (!entered.ok()) {
        entered = Status::Internal("cannot give the attempt its resolver: " + entered.message());
      }
    }
    if (!entered.ok()) {
      CommandOutcome failed{.exit_code = 126, .term_signal = 0, .launch_failure = ""};
      failed.launch_failure = entered.message();
      PrintError(failed.launch_failure);
      WriteExitFile(exit_file, failed);
      _exit(failed.exit_code);
    }
  }
  InstallSignalHandlers();
  pid_t pid = 0;
  if (int error = SpawnCommand(argv, &pid); error != 0) {
    // A shell's codes: 127 when the command is not there, 126 when it cannot be run.
    CommandOutcome failed;
    failed.exit_code = error == ENOENT || error == ENOTDIR ? 127 : 126;
    failed.launch_failure =
        "cannot start command \"" + argv.front() + "\": " + std::strerror(error);
    PrintError(failed.launch_failure);
    WriteExitFile(exit_file, failed);
    _exit(failed.exit_code);
  }
  CommandOutcome outcome = WaitForCommand(pid);
  WriteExitFile(exit_file, outcome);
  EndLike(outcome);
}

}  // namespace gleaner
