#include "runtime/command_runner.h"
#include "common/steady_time.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "runtime/spawn_attributes.h"

extern char** environ;

namespace gleaner {
namespace {

struct Pipe {
  int read_end = -1;
  int write_end = -1;
  ~Pipe() { CloseBoth(); }
  void CloseBoth() {
    if (read_end >= 0) close(read_end);
    if (write_end >= 0) close(write_end);
    read_end = write_end = -1;
  }
};

bool OpenPipe(Pipe& pipe) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  pipe.read_end = fds[0];
  pipe.write_end = fds[1];
  return true;
}

std::vector<char*> Pointers(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (const std::string& text : strings) pointers.push_back(const_cast<char*>(text.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Reads both pipes until both are closed or the deadline passes; false on the deadline.
bool Drain(Pipe& out_pipe, Pipe& err_pipe, CommandOutput& output, SteadyTime deadline) {
  std::array<pollfd, 2> fds{pollfd{out_pipe.read_end, POLLIN, 0},
                            pollfd{err_pipe.read_end, POLLIN, 0}};
  std::array<std::string*, 2> sinks{&output.out, &output.err};
  int open = 2;
  char buffer[4096];
  while (open > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyNow());
    if (left.count() <= 0) return false;
    int ready = poll(fds.data(), fds.size(), static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;  // the deadline, or poll failing: the caller kills the command
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t got = read(fds[i].fd, buffer, sizeof(buffer));
      if (got > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open;
      }
    }
  }
  return true;
}

}  // namespace

Result<CommandOutput> RunCommand(const std::vector<std::string>& argv,
                                 const std::vector<std::string>& environment,
                                 std::chrono::milliseconds timeout) {
  if (argv.empty()) return Status::InvalidArgument("no command to run");
  Pipe out_pipe;
  Pipe err_pipe;
  if (!OpenPipe(out_pipe) || !OpenPipe(err_pipe)) {
    return Status::Internal("could not make a pipe: " + std::string(std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe.write_end, 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe.write_end, 2);
  // A group of its own: Ctrl-C in gleaner's terminal does not cut a create or rm short.
  CleanSpawnAttributes attributes(/*new_process_group=*/true);
  std::vector<char*> args = Pointers(argv);
  std::vector<char*> env = Pointers(environment);
  pid_t pid = 0;
  int spawned = posix_spawnp(&pid, argv[0].c_str(), &actions, attributes.get(), args.data(),
                             environment.empty() ? environ : env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    return Status::FailedPrecondition(argv[0] + ": " + std::system_category().message(spawned));
  }
  close(out_pipe.write_end);
  close(err_pipe.write_end);
  out_pipe.write_end = err_pipe.write_end = -1;
  CommandOutput output;
  bool in_time = Drain(out_pipe, err_pipe, output, SteadyNow() + timeout);
  if (!in_time) kill(pid, SIGKILL);
  int status = 0;
  pid_t waited = 0;
  do {
    waited = waitpid(pid, &status, 0);
  } while (waited < 0 && errno == EINTR);
  if (waited < 0) {
    return Status::Internal(argv[0] + ": its exit status was lost (" +
                            std::string(std::strerror(errno)) + ")");
  }
  if (!in_time) {
    return Status::Internal(argv[0] + " did not finish within " +
                            std::to_string(timeout.count() / 1000) + " s");
  }
  output.exit_code = ExitCodeOf(status);
  return output;
}

std::vector<std::string> OwnEnvironmentWith(const std::vector<std::string>& extra) {
  std::vector<std::string> environment;
  for (char** variable = environ; *variable != nullptr; ++variable) {
    environment.emplace_back(*variable);
  }
  environment.insert(environment.end(), extra.begin(), extra.end());
  return environment;
}

std::string LastLine(const std::string& text) {
  size_t end = text.find_last_not_of(" \t\r\n");
  if (end == std::string::npos) return "";
  size_t start = text.rfind('\n', end);
  start = start == std::string::npos ? 0 : start + 1;
  return text.substr(start, end + 1 - start);
}

}  // namespace gleaner
