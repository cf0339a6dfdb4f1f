#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gleaner {

// What the container runtime needs to run one attempt in a container, in the job definition's
// terms (containerProperties), already resolved for this attempt (its resources, its GPUs).
struct ContainerSpec {
  struct Mount {
    std::string host_path;  // empty: a volume of the container's own, removed with it
    std::string container_path;
    bool read_only = false;
    bool operator==(const Mount&) const = default;
  };
  struct Ulimit {
    std::string name;  // AWS's names: nofile, nproc, core, memlock, stack, ...
    int64_t soft = 0;
    int64_t hard = 0;
    bool operator==(const Ulimit&) const = default;
  };
  struct Device {
    std::string host_path;
    std::string container_path;  // empty: the host path
    std::string permissions;     // "rwm" letters; empty: all
    bool operator==(const Device&) const = default;
  };
  struct Tmpfs {
    std::string container_path;
    int64_t size_mib = 0;
    std::vector<std::string> mount_options;
    bool operator==(const Tmpfs&) const = default;
  };

  std::string image;
  std::string name;  // the container's name, unique per attempt
  // The job's command replaces the image's CMD (LaunchSpec::argv); without one the image's own
  // ENTRYPOINT/CMD runs.
  bool has_command = false;
  // The job's variables only (not the host's PATH or HOME): the image brings its own.
  std::vector<std::string> environment;
  int64_t millivcpus = 0;  // 0: no CPU setting
  int64_t memory_mib = 0;  // 0: no limit
  // Fargate: the CPU is a hard quota of exactly its size; EC2: a relative weight, as ECS does.
  bool hard_cpu_limit = false;
  std::vector<int> gpu_ids;
  std::string user;
  bool privileged = false;
  bool readonly_root_filesystem = false;
  bool init_process = false;
  std::optional<int64_t> shared_memory_mib;
  std::optional<int64_t> max_swap_mib;
  std::optional<int> swappiness;
  std::vector<Mount> mounts;
  // The container's resolvers (its /etc/resolv.conf); empty: the engine's default.
  std::vector<std::string> dns_servers;
  std::vector<Ulimit> ulimits;
  std::vector<Device> devices;
  std::vector<Tmpfs> tmpfs;
  bool operator==(const ContainerSpec&) const = default;
};

}  // namespace gleaner
