#include "runtime/container_engine.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "runtime/command_runner.h"

namespace gleaner {
namespace {

constexpr std::chrono::seconds kProbeTimeout{30};
// podman's own nproc for a container without ulimits (its default_ulimits).
constexpr int64_t kPodmanDefaultNproc = 32768;

// `name` on PATH, as an absolute path; empty when it is not there.
std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream directories(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string directory;
  while (std::getline(directories, directory, ':')) {
    std::string candidate = (directory.empty() ? "." : directory) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string FirstOf(std::initializer_list<const char*> names) {
  for (const char* name : names) {
    std::string found = FindOnPath(name);
    if (!found.empty()) return found;
    for (const char* directory : {"/usr/sbin/", "/usr/bin/", "/sbin/"}) {
      std::string candidate = std::string(directory) + name;
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return "";
}

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// Run by podman with CONTAINERS_CONF: no default ulimits (raising them needs CAP_SYS_RESOURCE,
// which containers and sandboxes often lack) and runc where it is installed (crun refuses cgroup
// v1 hybrid layouts). Only these keys: the rest stays podman's default.
Status WriteContainersConf(const std::string& path, bool with_runc) {
  std::ofstream file(path, std::ios::trunc);
  file << "# Written by gleaner for its own podman commands; the machine's files are untouched.\n"
       << "[containers]\ndefault_ulimits = []\n";
  if (with_runc) file << "[engine]\nruntime = \"runc\"\n";
  file.close();
  if (!file) return Status::Internal("could not write " + path);
  return Status::Ok();
}

std::vector<ContainerSpec::Ulimit> PodmanDefaultUlimits() {
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  rlimit processes{};
  getrlimit(RLIMIT_NPROC, &processes);
  auto capped = [](rlim_t value) {
    return value == RLIM_INFINITY
               ? kPodmanDefaultNproc
               : std::min<int64_t>(static_cast<int64_t>(value), kPodmanDefaultNproc);
  };
  return {{"nofile", static_cast<int64_t>(files.rlim_cur), static_cast<int64_t>(files.rlim_max)},
          {"nproc", capped(processes.rlim_cur), capped(processes.rlim_max)}};
}

Result<ContainerEngine> FindPodman(const std::string& config_directory) {
  ContainerEngine engine;
  engine.kind = ContainerEngine::Kind::kPodman;
  engine.program = FindOnPath("podman");
  if (engine.program.empty()) return Status::NotFound("podman is not installed");
  std::string conf = config_directory + "/containers.conf";
  GLEANER_RETURN_IF_ERROR(WriteContainersConf(conf, !FirstOf({"runc"}).empty()));
  engine.environment.push_back("CONTAINERS_CONF=" + conf);
  Result<CommandOutput> version =
      RunCommand({engine.program, "version", "--format={{.Client.Version}}"},
                 OwnEnvironmentWith(engine.environment), kProbeTimeout);
  if (!version.ok()) return version.status();
  if (version->exit_code != 0) {
    return Status::FailedPrecondition("podman does not work: " + LastLine(version->err));
  }
  engine.version = Trimmed(version->out);
  engine.default_ulimits = PodmanDefaultUlimits();
  return engine;
}

Result<ContainerEngine> FindDocker() {
  ContainerEngine engine;
  engine.kind = ContainerEngine::Kind::kDocker;
  engine.program = FindOnPath("docker");
  if (engine.program.empty()) return Status::NotFound("docker is not installed");
  Result<CommandOutput> version =
      RunCommand({engine.program, "version", "--format={{.Server.Version}}"}, {}, kProbeTimeout);
  if (!version.ok()) return version.status();
  if (version->exit_code != 0) {
    return Status::FailedPrecondition("docker has no engine running: " + LastLine(version->err));
  }
  engine.version = Trimmed(version->out);
  return engine;
}

}  // namespace

Result<ContainerEngine> FindContainerEngine(const std::string& config_directory) {
  Result<ContainerEngine> podman = FindPodman(config_directory);
  if (podman.ok()) return podman;
  Result<ContainerEngine> docker = FindDocker();
  if (docker.ok()) return docker;
  return Status::NotFound(podman.status().message() + "; " + docker.status().message());
}

}  // namespace gleaner
