#include "server/container_spec_for.h"

#include <unistd.h>

#include <algorithm>

#include "runtime/container_arguments.h"

namespace gleaner {
namespace {

using nlohmann::json;

const json& Member(const json& object, const char* name) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(name);
  return it == object.end() ? kNull : *it;
}

bool BooleanOf(const json& object, const char* name) {
  const json& value = Member(object, name);
  return value.is_boolean() && value.get<bool>();
}

std::string StringOf(const json& object, const char* name) {
  const json& value = Member(object, name);
  return value.is_string() ? value.get<std::string>() : "";
}

std::optional<int64_t> IntegerOf(const json& object, const char* name) {
  const json& value = Member(object, name);
  if (!value.is_number_integer()) return std::nullopt;
  return value.get<int64_t>();
}

// mountPoints name volumes; a volume with host.sourcePath is that host path, one without is a
// volume of the container's own (ECS: a Docker volume scoped to the task).
std::vector<ContainerSpec::Mount> MountsOf(const json& container) {
  std::vector<ContainerSpec::Mount> mounts;
  const json& volumes = Member(container, "volumes");
  const json& mount_points = Member(container, "mountPoints");
  if (!mount_points.is_array()) return mounts;
  for (const json& point : mount_points) {
    ContainerSpec::Mount mount;
    mount.container_path = StringOf(point, "containerPath");
    mount.read_only = BooleanOf(point, "readOnly");
    std::string source = StringOf(point, "sourceVolume");
    if (volumes.is_array()) {
      for (const json& volume : volumes) {
        if (StringOf(volume, "name") == source) {
          mount.host_path = StringOf(Member(volume, "host"), "sourcePath");
        }
      }
    }
    if (!mount.container_path.empty()) mounts.push_back(std::move(mount));
  }
  return mounts;
}

std::vector<ContainerSpec::Ulimit> UlimitsOf(const json& container) {
  std::vector<ContainerSpec::Ulimit> ulimits;
  const json& list = Member(container, "ulimits");
  if (!list.is_array()) return ulimits;
  for (const json& entry : list) {
    ulimits.push_back({StringOf(entry, "name"), IntegerOf(entry, "softLimit").value_or(0),
                       IntegerOf(entry, "hardLimit").value_or(0)});
  }
  return ulimits;
}

// READ, WRITE, MKNOD -> "rwm".
std::string PermissionLetters(const json& permissions) {
  std::string letters;
  if (!permissions.is_array()) return letters;
  for (const json& permission : permissions) {
    if (!permission.is_string()) continue;
    std::string name = permission.get<std::string>();
    if (name == "READ") letters += 'r';
    if (name == "WRITE") letters += 'w';
    if (name == "MKNOD") letters += 'm';
  }
  return letters;
}

void ApplyLinuxParameters(const json& parameters, ContainerSpec& spec) {
  spec.init_process = BooleanOf(parameters, "initProcessEnabled");
  spec.shared_memory_mib = IntegerOf(parameters, "sharedMemorySize");
  spec.max_swap_mib = IntegerOf(parameters, "maxSwap");
  if (std::optional<int64_t> swappiness = IntegerOf(parameters, "swappiness")) {
    spec.swappiness = static_cast<int>(*swappiness);
  }
  const json& devices = Member(parameters, "devices");
  if (devices.is_array()) {
    for (const json& device : devices) {
      spec.devices.push_back({StringOf(device, "hostPath"), StringOf(device, "containerPath"),
                              PermissionLetters(Member(device, "permissions"))});
    }
  }
  const json& tmpfs = Member(parameters, "tmpfs");
  if (tmpfs.is_array()) {
    for (const json& entry : tmpfs) {
      ContainerSpec::Tmpfs mount{
          StringOf(entry, "containerPath"), IntegerOf(entry, "size").value_or(0), {}};
      const json& options = Member(entry, "mountOptions");
      if (options.is_array()) {
        for (const json& option : options) {
          if (option.is_string()) mount.mount_options.push_back(option.get<std::string>());
        }
      }
      spec.tmpfs.push_back(std::move(mount));
    }
  }
}

// The job's GPUs, as the NVIDIA driver's device files, when this machine has them.
void AddGpuDevices(const std::vector<int>& gpu_ids, ContainerSpec& spec) {
  if (gpu_ids.empty()) return;
  for (const char* shared : {"/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools"}) {
    if (access(shared, F_OK) == 0) spec.devices.push_back({shared, "", ""});
  }
  for (int gpu : gpu_ids) {
    std::string path = "/dev/nvidia" + std::to_string(gpu);
    if (access(path.c_str(), F_OK) == 0) spec.devices.push_back({path, "", ""});
  }
}

}  // namespace

ContainerSpec ContainerSpecFor(const Job& job, const std::vector<std::string>& variables) {
  const ContainerProperties& properties = *job.container.properties;
  const json& passthrough = properties.passthrough;
  ContainerSpec spec;
  spec.image = properties.image;
  spec.name = ContainerNameFor(job.job_id, job.AttemptNumber());
  spec.has_command = !properties.command.empty();
  spec.environment = variables;
  spec.millivcpus = job.placement->reserved.millivcpus;
  spec.memory_mib = job.placement->reserved.memory_mib;
  spec.hard_cpu_limit =
      std::find(job.platform_capabilities.begin(), job.platform_capabilities.end(), "FARGATE") !=
      job.platform_capabilities.end();
  spec.gpu_ids = job.placement->gpu_ids;
  spec.user = StringOf(passthrough, "user");
  spec.privileged = BooleanOf(passthrough, "privileged");
  spec.readonly_root_filesystem = BooleanOf(passthrough, "readonlyRootFilesystem");
  spec.mounts = MountsOf(passthrough);
  spec.ulimits = UlimitsOf(passthrough);
  ApplyLinuxParameters(Member(passthrough, "linuxParameters"), spec);
  AddGpuDevices(spec.gpu_ids, spec);
  return spec;
}

}  // namespace gleaner
