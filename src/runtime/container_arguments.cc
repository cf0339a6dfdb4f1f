#include "runtime/container_arguments.h"

#include <algorithm>
#include <cctype>

namespace gleaner {
namespace {

std::vector<std::string> Command(const ContainerEngine& engine, std::vector<std::string> rest) {
  std::vector<std::string> argv{engine.program};
  argv.insert(argv.end(), engine.global_flags.begin(), engine.global_flags.end());
  argv.insert(argv.end(), std::make_move_iterator(rest.begin()),
              std::make_move_iterator(rest.end()));
  return argv;
}

std::string Mib(int64_t mib) { return std::to_string(mib) + "m"; }

std::string VariableName(const std::string& variable) {
  return variable.substr(0, variable.find('='));
}

bool IsVariableName(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

Status CheckPath(const std::string& what, const std::string& path) {
  if (!path.empty() && path[0] == '/' && path.find(':') == std::string::npos &&
      path.find(',') == std::string::npos) {
    return Status::Ok();
  }
  return Status::InvalidArgument(what + " \"" + path +
                                 "\" must be an absolute path without ':' or ','");
}

void AddResources(const ContainerSpec& spec, std::vector<std::string>& argv) {
  if (spec.millivcpus > 0) {
    if (spec.hard_cpu_limit) {
      argv.push_back("--cpus=" + CpusText(spec.millivcpus));
    } else {
      // ECS on EC2: 1024 shares per vCPU, a weight among the containers of the instance.
      argv.push_back("--cpu-shares=" +
                     std::to_string(std::max<int64_t>(2, spec.millivcpus * 1024 / 1000)));
    }
  }
  if (spec.memory_mib > 0) {
    argv.push_back("--memory=" + Mib(spec.memory_mib));
    if (spec.max_swap_mib)
      argv.push_back("--memory-swap=" + Mib(spec.memory_mib + *spec.max_swap_mib));
  }
  if (spec.swappiness) argv.push_back("--memory-swappiness=" + std::to_string(*spec.swappiness));
  if (spec.shared_memory_mib) argv.push_back("--shm-size=" + Mib(*spec.shared_memory_mib));
}

void AddUlimits(const ContainerEngine& engine, const ContainerSpec& spec,
                std::vector<std::string>& argv) {
  if (spec.ulimits.empty()) return;
  std::vector<ContainerSpec::Ulimit> ulimits = spec.ulimits;
  for (const ContainerSpec::Ulimit& fallback : engine.default_ulimits) {
    bool given = std::any_of(ulimits.begin(), ulimits.end(), [&](const ContainerSpec::Ulimit& u) {
      return u.name == fallback.name;
    });
    if (!given) ulimits.push_back(fallback);
  }
  for (const ContainerSpec::Ulimit& ulimit : ulimits) {
    argv.push_back("--ulimit=" + ulimit.name + "=" + std::to_string(ulimit.soft) + ":" +
                   std::to_string(ulimit.hard));
  }
}

void AddFilesystems(const ContainerEngine& engine, const ContainerSpec& spec,
                    std::vector<std::string>& argv) {
  if (spec.readonly_root_filesystem) {
    argv.push_back("--read-only");
    // podman alone adds writable /tmp, /run and /var/tmp to a read-only root; docker and ECS do
    // not.
    if (engine.kind == ContainerEngine::Kind::kPodman) argv.push_back("--read-only-tmpfs=false");
  }
  for (const ContainerSpec::Mount& mount : spec.mounts) {
    std::string volume = mount.host_path.empty() ? mount.container_path
                                                 : mount.host_path + ":" + mount.container_path;
    if (mount.read_only) volume += mount.host_path.empty() ? "" : ":ro";
    argv.push_back("--volume=" + volume);
  }
  for (const ContainerSpec::Tmpfs& tmpfs : spec.tmpfs) {
    std::string options = "size=" + Mib(tmpfs.size_mib);
    for (const std::string& option : tmpfs.mount_options) options += "," + option;
    argv.push_back("--tmpfs=" + tmpfs.container_path + ":" + options);
  }
  for (const ContainerSpec::Device& device : spec.devices) {
    std::string text = device.host_path + ":" +
                       (device.container_path.empty() ? device.host_path : device.container_path);
    if (!device.permissions.empty()) text += ":" + device.permissions;
    argv.push_back("--device=" + text);
  }
}

}  // namespace

const char* ToString(ContainerEngine::Kind kind) {
  return kind == ContainerEngine::Kind::kPodman ? "podman" : "docker";
}

std::vector<std::string> RunArguments(const ContainerEngine& engine, const ContainerSpec& spec,
                                      const std::vector<std::string>& command,
                                      const std::string& env_file) {
  std::vector<std::string> argv =
      Command(engine, {"run", "--name=" + spec.name, "--label=io.gleaner.attempt=" + spec.name,
                       "--pull=never", "--log-driver=none",
                       // As AWS Batch on EC2: the instance's network.
                       "--network=host"});
  if (!engine.owner.empty()) argv.push_back("--label=io.gleaner.owner=" + engine.owner);
  if (!spec.environment.empty()) argv.push_back("--env-file=" + env_file);
  AddResources(spec, argv);
  AddUlimits(engine, spec, argv);
  AddFilesystems(engine, spec, argv);
  for (const std::string& server : spec.dns_servers) argv.push_back("--dns=" + server);
  if (!spec.user.empty()) argv.push_back("--user=" + spec.user);
  if (spec.privileged) argv.push_back("--privileged");
  if (spec.init_process) argv.push_back("--init");
  argv.push_back(spec.image);
  if (spec.has_command) argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

std::string EnvFileText(const ContainerSpec& spec) {
  std::string text;
  for (const std::string& variable : spec.environment) text += variable + "\n";
  return text;
}

Status CheckContainerSpec(const ContainerSpec& spec) {
  for (const std::string& variable : spec.environment) {
    std::string name = VariableName(variable);
    if (!IsVariableName(name)) {
      return Status::InvalidArgument("environment variable name \"" + name +
                                     "\" cannot be given to a container (letters, digits, '_', "
                                     "'.' and '-', not starting with a digit)");
    }
    if (variable.find_first_of("\r\n") != std::string::npos) {
      return Status::InvalidArgument("environment variable " + name +
                                     " has a line break, which a container's variables cannot "
                                     "carry here");
    }
  }
  for (const ContainerSpec::Mount& mount : spec.mounts) {
    GLEANER_RETURN_IF_ERROR(CheckPath("mountPoints containerPath", mount.container_path));
    if (!mount.host_path.empty()) {
      GLEANER_RETURN_IF_ERROR(CheckPath("volumes host.sourcePath", mount.host_path));
    }
  }
  for (const ContainerSpec::Tmpfs& tmpfs : spec.tmpfs) {
    GLEANER_RETURN_IF_ERROR(CheckPath("linuxParameters.tmpfs containerPath", tmpfs.container_path));
  }
  for (const ContainerSpec::Device& device : spec.devices) {
    GLEANER_RETURN_IF_ERROR(CheckPath("linuxParameters.devices hostPath", device.host_path));
    if (!device.container_path.empty()) {
      GLEANER_RETURN_IF_ERROR(
          CheckPath("linuxParameters.devices containerPath", device.container_path));
    }
  }
  return Status::Ok();
}

std::vector<std::string> KillArguments(const ContainerEngine& engine, const std::string& name,
                                       int signal) {
  return Command(engine, {"kill", "--signal=" + std::to_string(signal), name});
}

std::vector<std::string> InspectArguments(const ContainerEngine& engine, const std::string& name) {
  return Command(engine,
                 {"container", "inspect",
                  "--format={{.State.ExitCode}} {{.State.OOMKilled}} {{.State.Status}}", name});
}

std::vector<std::string> RemoveArguments(const ContainerEngine& engine, const std::string& name) {
  return Command(engine, {"rm", "--force", "--volumes", name});
}

std::vector<std::string> ListOwnedArguments(const ContainerEngine& engine) {
  return Command(engine, {"ps", "--all", "--filter=label=io.gleaner.owner=" + engine.owner,
                          "--format={{.Names}}"});
}

std::vector<std::string> ImageExistsArguments(const ContainerEngine& engine,
                                              const std::string& image) {
  return Command(engine, {"image", "inspect", "--format={{.Id}}", image});
}

std::vector<std::string> PullArguments(const ContainerEngine& engine, const std::string& image) {
  return Command(engine, {"pull", "--quiet", image});
}

std::string ContainerNameFor(const std::string& job_id, int attempt) {
  std::string name = "gleaner-";
  for (char c : job_id) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') {
      name += c;
    } else {
      name += c == ':' ? '.' : '_';
    }
  }
  return name + "-" + std::to_string(attempt);
}

std::string CpusText(int64_t millivcpus) {
  std::string text = std::to_string(millivcpus / 1000);
  int64_t fraction = millivcpus % 1000;
  if (fraction == 0) return text;
  std::string digits = std::to_string(1000 + fraction).substr(1);
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  return text + "." + digits;
}

}  // namespace gleaner
