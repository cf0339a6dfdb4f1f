#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace gleaner {

// A Linux network namespace of gleaner's own making, for one attempt: the job's view of the
// network, where the addresses a job on AWS finds (169.254.169.254, 169.254.170.2) can be gleaner's
// without touching the host's network. Made on a short-lived thread (unshare/setns change only the
// calling thread), so the rest of gleaner stays in the host's namespace. Sockets made inside stay
// inside even when used from any other thread. Needs CAP_SYS_ADMIN (root).
class NetworkNamespace {
 public:
  // A new namespace with its loopback up and `local_addresses` (IPv4, /32) on it.
  static Result<std::unique_ptr<NetworkNamespace>> Create(
      const std::vector<std::string>& local_addresses);
  // The namespace process `pid` is in (made earlier, by gleaner before a restart); nullptr when
  // that is this process's own.
  static Result<std::unique_ptr<NetworkNamespace>> OfProcess(int pid);
  // Whether this process may make namespaces (it is root); the reason when not.
  static Status Available();

  ~NetworkNamespace();  // stops outbound networking; the namespace goes with its last process
  NetworkNamespace(const NetworkNamespace&) = delete;
  NetworkNamespace& operator=(const NetworkNamespace&) = delete;

  // A listening TCP socket on `address`:`port` inside the namespace (a descriptor the caller owns).
  Result<int> Listen(const std::string& address, uint16_t port) const;
  // A bound UDP socket on `address`:`port` inside the namespace (the caller owns it).
  Result<int> Bind(const std::string& address, uint16_t port) const;
  // Ordinary outbound access (user-mode networking: slirp4netns, NAT to the host's network, the
  // host's own loopback out of reach), ready when this returns.
  Status ConnectOutbound();
  // A path that names the namespace while this object lives ("/proc/<pid>/fd/<n>"): what
  // setns(2), `podman run --network=ns:PATH` and slirp4netns take.
  const std::string& path() const { return path_; }

 private:
  NetworkNamespace(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  Result<int> Socket(const std::string& address, uint16_t port, int type) const;

  int fd_;
  std::string path_;
  pid_t outbound_pid_ = 0;     // slirp4netns, 0 when none
  int outbound_exit_fd_ = -1;  // closing it ends slirp4netns
};

// Joins the network namespace at `path` (this thread, or a process before it runs a command).
Status EnterNetworkNamespace(const std::string& path);

// Gives this process (before it runs a command) a mount namespace of its own in which
// /etc/resolv.conf is `path`: the resolver of its network namespace. Mounts of the machine still
// reach it; nothing it mounts reaches the machine.
Status UseResolvConf(const std::string& path);

}  // namespace gleaner
