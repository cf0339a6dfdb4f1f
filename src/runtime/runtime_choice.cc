#include "runtime/runtime_choice.h"

namespace gleaner {

Result<RuntimeChoice> ChooseRuntime(const std::string& runtime, const std::string& image_pull,
                                    const std::string& directory) {
  RuntimeChoice chosen;
  if (runtime != "auto" && runtime != "container" && runtime != "process") {
    return Status::InvalidArgument("--runtime " + runtime + ": must be container, process or auto");
  }
  auto policy = ParseImagePullPolicy(image_pull);
  if (!policy.ok()) return Status::InvalidArgument("--image-pull: " + policy.status().message());
  chosen.pull_policy = *policy;
  if (runtime == "process") {
    chosen.summary = "process (each job's command runs on this machine; its image is not used)";
    return chosen;
  }
  Result<ContainerEngine> engine = FindContainerEngine(directory);
  if (!engine.ok()) {
    if (runtime == "container") {
      return Status::FailedPrecondition("--runtime container: no container engine works here: " +
                                        engine.status().message());
    }
    chosen.summary = "process (no container engine: " + engine.status().message() +
                     "; jobs' commands run on this machine)";
    return chosen;
  }
  chosen.summary = std::string("container (") + ToString(engine->kind) + " " + engine->version +
                   ", image pull policy " + image_pull + ")";
  chosen.engine = std::move(engine).value();
  chosen.engine->owner = directory;
  return chosen;
}

}  // namespace gleaner
