#include "runtime/network_namespace.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <thread>

#include "runtime/spawn_attributes.h"

extern char** environ;

namespace gleaner {
namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// Runs `work` on a thread of its own, which ends with it: whatever namespace it entered goes too.
template <typename T>
Result<T> OnOwnThread(const std::function<Result<T>()>& work) {
  std::optional<Result<T>> result;
  try {
    std::thread thread([&] { result.emplace(work()); });
    thread.join();
  } catch (const std::system_error& error) {
    return Status::Internal(std::string("cannot start a thread: ") + error.what());
  }
  return std::move(*result);
}

Status SetInterface(int sock, const std::string& name, unsigned long request, ifreq& change) {
  std::strncpy(change.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(sock, request, &change) != 0) return Status::Internal(Errno("ioctl " + name));
  return Status::Ok();
}

// Loopback up, with each address as an alias of its own (lo:0, lo:1, ...).
Status ConfigureLoopback(const std::vector<std::string>& addresses) {
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return Status::Internal(Errno("socket"));
  ifreq flags{};
  Status done = SetInterface(sock, "lo", SIOCGIFFLAGS, flags);
  flags.ifr_flags = static_cast<short>(flags.ifr_flags | IFF_UP | IFF_RUNNING);
  if (done.ok()) done = SetInterface(sock, "lo", SIOCSIFFLAGS, flags);
  for (size_t i = 0; done.ok() && i < addresses.size(); ++i) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    if (inet_pton(AF_INET, addresses[i].c_str(), &address.sin_addr) != 1) {
      done = Status::InvalidArgument("not an IPv4 address: " + addresses[i]);
      break;
    }
    std::string alias = "lo:" + std::to_string(i);
    ifreq change{};
    std::memcpy(&change.ifr_addr, &address, sizeof address);
    done = SetInterface(sock, alias, SIOCSIFADDR, change);
    if (!done.ok()) break;
    ifreq mask{};
    address.sin_addr.s_addr = 0xFFFFFFFFu;
    std::memcpy(&mask.ifr_netmask, &address, sizeof address);
    done = SetInterface(sock, alias, SIOCSIFNETMASK, mask);
  }
  close(sock);
  return done;
}

}  // namespace

Status NetworkNamespace::Available() {
  if (geteuid() != 0) {
    return Status(StatusCode::kPermissionDenied,
                  "a network namespace per attempt needs root (gleaner runs as uid " +
                      std::to_string(geteuid()) + ")");
  }
  return Status::Ok();
}

Result<std::unique_ptr<NetworkNamespace>> NetworkNamespace::Create(
    const std::vector<std::string>& local_addresses) {
  GLEANER_RETURN_IF_ERROR(Available());
  Result<int> fd = OnOwnThread<int>([&]() -> Result<int> {
    if (unshare(CLONE_NEWNET) != 0) return Status::Internal(Errno("unshare(CLONE_NEWNET)"));
    int ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (ns < 0) return Status::Internal(Errno("/proc/thread-self/ns/net"));
    Status configured = ConfigureLoopback(local_addresses);
    if (!configured.ok()) {
      close(ns);
      return configured;
    }
    return ns;
  });
  if (!fd.ok()) return fd.status();
  std::string path = "/proc/" + std::to_string(getpid()) + "/fd/" + std::to_string(*fd);
  return std::unique_ptr<NetworkNamespace>(new NetworkNamespace(*fd, std::move(path)));
}

Result<std::unique_ptr<NetworkNamespace>> NetworkNamespace::OfProcess(int pid) {
  GLEANER_RETURN_IF_ERROR(Available());
  std::string file = "/proc/" + std::to_string(pid) + "/ns/net";
  struct stat theirs {};
  struct stat ours {};
  if (stat(file.c_str(), &theirs) != 0) return Status::NotFound(Errno(file));
  if (stat("/proc/self/ns/net", &ours) != 0) return Status::Internal(Errno("/proc/self/ns/net"));
  if (theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev) {
    return std::unique_ptr<NetworkNamespace>();
  }
  int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::NotFound(Errno(file));
  std::string path = "/proc/" + std::to_string(getpid()) + "/fd/" + std::to_string(fd);
  return std::unique_ptr<NetworkNamespace>(new NetworkNamespace(fd, std::move(path)));
}

NetworkNamespace::~NetworkNamespace() {
  if (outbound_pid_ > 0) {
    close(outbound_exit_fd_);
    kill(outbound_pid_, SIGKILL);  // it keeps nothing worth a clean exit
    int status = 0;
    while (waitpid(outbound_pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  close(fd_);
}

Result<int> NetworkNamespace::Listen(const std::string& address, uint16_t port) const {
  return Socket(address, port, SOCK_STREAM);
}

Result<int> NetworkNamespace::Bind(const std::string& address, uint16_t port) const {
  return Socket(address, port, SOCK_DGRAM);
}

Result<int> NetworkNamespace::Socket(const std::string& address, uint16_t port, int type) const {
  return OnOwnThread<int>([&]() -> Result<int> {
    if (setns(fd_, CLONE_NEWNET) != 0) return Status::Internal(Errno("setns"));
    sockaddr_in where{};
    where.sin_family = AF_INET;
    where.sin_port = htons(port);
    if (inet_pton(AF_INET, address.c_str(), &where.sin_addr) != 1) {
      return Status::InvalidArgument("not an IPv4 address: " + address);
    }
    int sock = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (sock < 0) return Status::Internal(Errno("socket"));
    int one = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(sock, reinterpret_cast<sockaddr*>(&where), sizeof where) != 0 ||
        (type == SOCK_STREAM && listen(sock, 128) != 0)) {
      Status failed = Status::Internal(Errno(address + ":" + std::to_string(port)));
      close(sock);
      return failed;
    }
    return sock;
  });
}

Status NetworkNamespace::ConnectOutbound() {
  if (outbound_pid_ > 0) return Status::Ok();
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return Status::Internal(Errno("pipe"));
  // slirp4netns ends when this pipe's other end closes: with this object, or with gleaner if it
  // is killed.
  int exit_pipe[2];
  if (pipe2(exit_pipe, O_CLOEXEC) != 0) {
    close(ready[0]);
    close(ready[1]);
    return Status::Internal(Errno("pipe"));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, ready[1], 3);
  posix_spawn_file_actions_adddup2(&actions, exit_pipe[0], 4);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  CleanSpawnAttributes attributes(/*new_process_group=*/true);
  // Outbound only: the host's loopback (gleaner's own endpoint among others) stays out of reach;
  // the job reaches gleaner on its own loopback.
  std::vector<std::string> words = {
      "slirp4netns",  "--configure", "--mtu=65520",       "--disable-host-loopback",
      "--ready-fd=3", "--exit-fd=4", "--netns-type=path", path_,
      "tap0"};
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int spawned = posix_spawnp(&pid, "slirp4netns", &actions, attributes.get(), argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(ready[1]);
  close(exit_pipe[0]);
  if (spawned != 0) {
    close(ready[0]);
    close(exit_pipe[1]);
    return Status::Internal("cannot start slirp4netns (apt-get install slirp4netns): " +
                            std::string(std::strerror(spawned)));
  }
  outbound_pid_ = pid;
  outbound_exit_fd_ = exit_pipe[1];
  pollfd wait{ready[0], POLLIN, 0};
  int polled = poll(&wait, 1, 10'000);
  char byte = 0;
  bool is_ready = polled == 1 && read(ready[0], &byte, 1) == 1 && byte == '1';
  close(ready[0]);
  if (!is_ready) return Status::Internal("slirp4netns did not get ready within 10 s");
  return Status::Ok();
}

Status EnterNetworkNamespace(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Internal(Errno(path));
  int entered = setns(fd, CLONE_NEWNET);
  int error = errno;
  close(fd);
  if (entered != 0) return Status::Internal(path + ": setns: " + std::strerror(error));
  return Status::Ok();
}

Status UseResolvConf(const std::string& path) {
  if (unshare(CLONE_NEWNS) != 0) return Status::Internal(Errno("unshare(CLONE_NEWNS)"));
  // Slave: the machine's later mounts still show here, ours never go back.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) {
    return Status::Internal(Errno("making / a slave mount"));
  }
  if (mount(path.c_str(), "/etc/resolv.conf", nullptr, MS_BIND, nullptr) != 0) {
    return Status::Internal(Errno("binding " + path + " over /etc/resolv.conf"));
  }
  return Status::Ok();
}

}  // namespace gleaner
