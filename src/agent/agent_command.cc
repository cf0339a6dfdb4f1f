#include "agent/agent_command.h"

#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "agent/advertised_address.h"
#include "agent/agent_daemon.h"
#include "agent/attempt_command.h"
#include "agent/machine_resources.h"
#include "common/private_directory.h"
#include "common/secret_file.h"
#include "runtime/daemon_setup.h"
#include "runtime/runtime_choice.h"

extern char** environ;

namespace gleaner {
namespace {

int Fail(const std::string& message) {
  std::cerr << "gleaner agent: " << message << "\n";
  return 1;
}

std::vector<std::string> OwnEnvironment() {
  std::vector<std::string> environment;
  for (char** variable = environ; *variable != nullptr; ++variable) {
    environment.emplace_back(*variable);
  }
  return environment;
}

std::string Hostname() {
  char hostname[256] = {};
  gethostname(hostname, sizeof hostname - 1);
  return hostname;
}

Result<AgentOptions> ResolveOptions(const AgentCommandOptions& command,
                                    std::string& runtime_summary) {
  if (!command.server.starts_with("http://") && !command.server.starts_with("https://")) {
    return Status::InvalidArgument("--server \"" + command.server +
                                   "\" must start with http:// or https://");
  }
  if (command.vcpus < 0 || command.memory_mib < 0 || command.gpus.value_or(0) < 0) {
    return Status::InvalidArgument("--vcpus, --memory and --gpus must not be negative");
  }
  AgentOptions options;
  options.server = command.server;
  while (options.server.ends_with('/')) options.server.pop_back();
  options.cluster = command.cluster;
  options.ca_file = command.ca_file;
  options.token = command.token;
  if (!command.token_file.empty()) {
    if (!command.token.empty()) {
      return Status::InvalidArgument("give the token with --token or --token-file, not both");
    }
    Result<std::string> token = ReadSecretFile(command.token_file);
    if (!token.ok()) return token.status();
    options.token = *token;
  }
  if (options.token.empty()) {
    const char* token = std::getenv("GLEANER_AGENT_TOKEN");
    options.token = token ? token : "";
  }
  options.hostname = Hostname();
  if (!command.advertise_address.empty()) {
    Status valid = CheckIpv4Address(command.advertise_address);
    if (!valid.ok()) return Status::InvalidArgument("--advertise-address: " + valid.message());
    options.private_ipv4_address = command.advertise_address;
  } else {
    Result<std::string> local = LocalAddressTowards(options.server);
    if (local.ok()) {
      options.private_ipv4_address = *local;
    } else {
      spdlog::warn(
          "cannot tell which address other machines reach this one at ({}); multi-node "
          "jobs' other nodes are told 127.0.0.1: give --advertise-address",
          local.status().message());
    }
  }
  Resources machine = MachineResources();
  options.resources.millivcpus =
      command.vcpus > 0 ? std::llround(command.vcpus * 1000) : machine.millivcpus;
  options.resources.memory_mib = command.memory_mib > 0 ? command.memory_mib : machine.memory_mib;
  options.resources.gpus = command.gpus.value_or(machine.gpus);
  options.work_directory = command.work_dir;
  if (options.work_directory.empty()) {
    const char* home = std::getenv("HOME");
    options.work_directory = std::string(home ? home : ".") + "/.gleaner/agent";
  }
  std::error_code error;
  options.work_directory = std::filesystem::absolute(options.work_directory, error).string();
  // Attempts run this very binary as their shim.
  options.shim_executable = std::filesystem::read_symlink("/proc/self/exe", error).string();
  if (error) return Status::Internal("cannot find the gleaner binary: " + error.message());
  options.inherited_environment = InheritedEnvironment(OwnEnvironment());
  // The engine's configuration lives in the work directory, which also labels the containers.
  GLEANER_RETURN_IF_ERROR(CreatePrivateDirectories(options.work_directory));
  Result<RuntimeChoice> runtime =
      ChooseRuntime(command.runtime, command.image_pull, options.work_directory);
  if (!runtime.ok()) return runtime.status();
  options.container_engine = runtime->engine;
  options.image_pull_policy = runtime->pull_policy;
  runtime_summary = runtime->summary;
  return options;
}

}  // namespace

int RunAgentCommand(const AgentCommandOptions& command) {
  // Logs go to stderr: stdout carries the "joined" line that scripts and tests read.
  spdlog::set_default_logger(spdlog::stderr_color_mt("gleaner-agent"));
  std::string runtime_summary;
  Result<AgentOptions> options = ResolveOptions(command, runtime_summary);
  if (!options.ok()) return Fail(options.status().message());
  sigset_t stop_signals = PrepareDaemonProcess();  // only the waiter below sees them

  AgentDaemon daemon(*options);
  std::atomic<bool> done = false;
  std::thread signal_waiter([&] {
    timespec poll_interval{.tv_sec = 0, .tv_nsec = 200'000'000};
    while (!done) {
      int signal_number = sigtimedwait(&stop_signals, nullptr, &poll_interval);
      if (signal_number > 0) {
        spdlog::info("received signal {}: stopping (attempts keep running)", signal_number);
        daemon.Stop();
        return;
      }
    }
  });
  Status result = daemon.Run([&options, &runtime_summary](const AgentRegistered& registered) {
    std::cout << "gleaner agent " << registered.instance_id << " joined "
              << registered.compute_environment_arn << " (" << options->resources.ToString() << ")"
              << "\n  runtime: " << runtime_summary << std::endl;
  });
  done = true;
  signal_waiter.join();
  if (!result.ok()) return Fail(result.message());
  return 0;
}

}  // namespace gleaner
