#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "runtime/container_engine.h"
#include "runtime/launcher.h"
#include "runtime/process_launcher.h"

namespace gleaner {

// When an image is pulled before an attempt starts (ECS_IMAGE_PULL_BEHAVIOR's names).
enum class ImagePullPolicy {
  // Pull; when the registry cannot be reached, use the cached image. An image pulled (or tried)
  // in the last `ContainerLauncherOptions::repull_after` is not pulled again.
  kDefault,
  kAlways,        // pull before every attempt; a failed pull fails the attempt
  kOnce,          // pull the first time only; afterwards the cached image
  kPreferCached,  // the cached image when there is one, else pull
};

Result<ImagePullPolicy> ParseImagePullPolicy(const std::string& text);

struct ContainerLauncherOptions {
  ContainerEngine engine;
  ImagePullPolicy pull_policy = ImagePullPolicy::kDefault;
  std::chrono::seconds repull_after{300};
  std::chrono::seconds pull_timeout{600};
  std::chrono::seconds command_timeout{60};  // create, inspect, rm
  // Where the env files of `create` are written (0600, removed at once); empty: the temp directory.
  std::string scratch_directory;
  ProcessLauncherOptions processes;
};

// Runs attempts whose LaunchSpec has a container in that container, on a real engine (podman or
// docker), and any other spec as a plain process. Per attempt:
// - Launch (on the caller's thread, the server's launch worker): pulls the image by the policy
//   (failure: "CannotPullContainerError: ..."), then starts `<engine> run` (attached, with the job
//   definition's settings) as the attempt's process, under the attempt shim when the spec has an
//   exit file: its output is the container's, its exit code the container's. One engine command
//   per attempt, as `podman run --rm` itself; the variables go through an env file in the
//   attempt's directory (<scratch_directory>/<container>.d, 0700), which is also the command's
//   working directory.
// - SignalGroup: `<engine> kill --signal` to the container (not to the attached process, which
//   would leave the container running), on a thread of the launcher's.
// - Exit: an attempt that did not end 0 is inspected ("OutOfMemoryError: Container killed due to
//   memory usage" with exit code 137; "CannotStartContainerError: ..." when it never ran;
//   "CannotCreateContainerError: ..." when the engine refused it); the container is removed and
//   the exit reported, on threads of the launcher's.
std::unique_ptr<Launcher> MakeContainerLauncher(std::function<void(const ProcessExit&)> on_exit,
                                                ContainerLauncherOptions options);

}  // namespace gleaner
