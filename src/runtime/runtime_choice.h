#pragma once

// How attempts run, as `gleaner up --runtime` and `gleaner agent --runtime` choose it.

#include <optional>
#include <string>

#include "common/status.h"
#include "runtime/container_engine.h"
#include "runtime/container_launcher.h"

namespace gleaner {

struct RuntimeChoice {
  std::optional<ContainerEngine> engine;  // none: attempts run as processes
  ImagePullPolicy pull_policy = ImagePullPolicy::kDefault;
  std::string summary;  // what the command prints about it ("container (podman 4.3.1, ...)")
};

// `runtime`: container (an engine must work), process, or auto (container when an engine works,
// else process, with the reason in the summary). `image_pull`: ParseImagePullPolicy's words.
// `directory` (the data or work directory) holds the engine's configuration and labels the
// containers as this gleaner's (ContainerEngine::owner).
Result<RuntimeChoice> ChooseRuntime(const std::string& runtime, const std::string& image_pull,
                                    const std::string& directory);

}  // namespace gleaner
