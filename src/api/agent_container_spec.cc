#include "api/agent_container_spec.h"

namespace gleaner {
namespace {

using nlohmann::json;

json MountJson(const ContainerSpec::Mount& mount) {
  json out = {{"containerPath", mount.container_path}, {"readOnly", mount.read_only}};
  if (!mount.host_path.empty()) out["hostPath"] = mount.host_path;
  return out;
}

void ReadMount(JsonObjectReader& in, ContainerSpec::Mount& mount) {
  in.Require("containerPath");
  in.Read("containerPath", mount.container_path);
  in.Read("hostPath", mount.host_path);
  in.Read("readOnly", mount.read_only);
}

void ReadUlimit(JsonObjectReader& in, ContainerSpec::Ulimit& ulimit) {
  in.Require("name");
  in.Read("name", ulimit.name);
  in.Read("softLimit", ulimit.soft);
  in.Read("hardLimit", ulimit.hard);
}

void ReadDevice(JsonObjectReader& in, ContainerSpec::Device& device) {
  in.Require("hostPath");
  in.Read("hostPath", device.host_path);
  in.Read("containerPath", device.container_path);
  in.Read("permissions", device.permissions);
}

void ReadTmpfs(JsonObjectReader& in, ContainerSpec::Tmpfs& tmpfs) {
  in.Require("containerPath");
  in.Read("containerPath", tmpfs.container_path);
  in.Read("size", tmpfs.size_mib);
  in.Read("mountOptions", tmpfs.mount_options);
}

void ReadGpuIds(JsonObjectReader& in, std::vector<int>& gpu_ids) {
  json raw;
  in.ReadRaw("gpuIds", raw);
  if (raw.is_null()) return;
  if (!raw.is_array()) return in.Fail("gpuIds", "must be a list of integers");
  for (const json& id : raw) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > 1'000'000) {
      return in.Fail("gpuIds", "must be a list of integers from 0 to 1000000");
    }
    gpu_ids.push_back(id.get<int>());
  }
}

}  // namespace

json ContainerSpecJson(const ContainerSpec& spec) {
  json out = {{"image", spec.image},
              {"name", spec.name},
              {"hasCommand", spec.has_command},
              {"environment", spec.environment},
              {"millivcpus", spec.millivcpus},
              {"memoryMib", spec.memory_mib},
              {"hardCpuLimit", spec.hard_cpu_limit},
              {"gpuIds", spec.gpu_ids},
              {"privileged", spec.privileged},
              {"readonlyRootFilesystem", spec.readonly_root_filesystem},
              {"initProcessEnabled", spec.init_process},
              {"mounts", json::array()},
              {"ulimits", json::array()},
              {"devices", json::array()},
              {"tmpfs", json::array()}};
  if (!spec.user.empty()) out["user"] = spec.user;
  if (spec.shared_memory_mib) out["sharedMemorySize"] = *spec.shared_memory_mib;
  if (spec.max_swap_mib) out["maxSwap"] = *spec.max_swap_mib;
  if (spec.swappiness) out["swappiness"] = *spec.swappiness;
  for (const ContainerSpec::Mount& mount : spec.mounts) out["mounts"].push_back(MountJson(mount));
  for (const ContainerSpec::Ulimit& ulimit : spec.ulimits) {
    out["ulimits"].push_back(
        {{"name", ulimit.name}, {"softLimit", ulimit.soft}, {"hardLimit", ulimit.hard}});
  }
  for (const ContainerSpec::Device& device : spec.devices) {
    out["devices"].push_back({{"hostPath", device.host_path},
                              {"containerPath", device.container_path},
                              {"permissions", device.permissions}});
  }
  for (const ContainerSpec::Tmpfs& tmpfs : spec.tmpfs) {
    out["tmpfs"].push_back({{"containerPath", tmpfs.container_path},
                            {"size", tmpfs.size_mib},
                            {"mountOptions", tmpfs.mount_options}});
  }
  return out;
}

void ReadContainerSpec(JsonObjectReader& in, ContainerSpec& spec) {
  in.Require("image");
  in.Read("image", spec.image);
  in.Require("name");
  in.Read("name", spec.name);
  in.Read("hasCommand", spec.has_command);
  in.Read("environment", spec.environment);
  in.Read("millivcpus", spec.millivcpus);
  in.Read("memoryMib", spec.memory_mib);
  in.Read("hardCpuLimit", spec.hard_cpu_limit);
  ReadGpuIds(in, spec.gpu_ids);
  in.Read("user", spec.user);
  in.Read("privileged", spec.privileged);
  in.Read("readonlyRootFilesystem", spec.readonly_root_filesystem);
  in.Read("initProcessEnabled", spec.init_process);
  in.Read("sharedMemorySize", spec.shared_memory_mib);
  in.Read("maxSwap", spec.max_swap_mib);
  in.Read("swappiness", spec.swappiness);
  in.ReadObjectList("mounts", spec.mounts, ReadMount);
  in.ReadObjectList("ulimits", spec.ulimits, ReadUlimit);
  in.ReadObjectList("devices", spec.devices, ReadDevice);
  in.ReadObjectList("tmpfs", spec.tmpfs, ReadTmpfs);
}

}  // namespace gleaner
