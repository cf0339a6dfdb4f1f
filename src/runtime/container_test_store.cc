#include "runtime/container_test_store.h"

#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/command_runner.h"

namespace gleaner {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A root filesystem of busybox-static with every applet linked, imported with a CMD.
Status ImportTestImage(const ContainerEngine& engine, const fs::path& scratch) {
  fs::path root = scratch / "rootfs";
  fs::create_directories(root / "bin");
  fs::create_directories(root / "tmp");
  fs::create_directories(root / "etc");
  std::error_code error;
  fs::copy_file("/bin/busybox", root / "bin/busybox", fs::copy_options::overwrite_existing, error);
  if (error) return Status::FailedPrecondition("/bin/busybox (busybox-static): " + error.message());
  Result<CommandOutput> applets = RunCommand({"/bin/busybox", "--list"}, {}, 10s);
  if (!applets.ok()) return applets.status();
  std::istringstream names(applets->out);
  for (std::string name; std::getline(names, name);) {
    if (!name.empty() && name != "busybox") fs::create_symlink("busybox", root / "bin" / name);
  }
  std::ofstream(root / "etc/passwd")
      << "root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n";
  Result<CommandOutput> tar = RunCommand(
      {"tar", "-C", root.string(), "-cf", (scratch / "rootfs.tar").string(), "."}, {}, 60s);
  if (!tar.ok() || tar->exit_code != 0) return Status::Internal("tar failed");
  Result<CommandOutput> imported =
      RunCommand({engine.program, "import", "--change", "CMD [\"echo\", \"hello from CMD\"]",
                  (scratch / "rootfs.tar").string(), kContainerTestImage},
                 OwnEnvironmentWith(engine.environment), 120s);
  if (!imported.ok()) return imported.status();
  if (imported->exit_code != 0) return Status::Internal("podman import: " + imported->err);
  return Status::Ok();
}

}  // namespace

Result<ContainerEngine> MakeContainerTestStore(const std::string& scratch) {
  fs::path directory(scratch);
  fs::create_directories(directory);
  std::ofstream(directory / "storage.conf")
      << "[storage]\ndriver = \"overlay\"\ngraphroot = \"" << (directory / "graph").string()
      << "\"\nrunroot = \"" << (directory / "run").string() << "\"\n";
  setenv("CONTAINERS_STORAGE_CONF", (directory / "storage.conf").c_str(), 1);
  Result<ContainerEngine> engine = FindContainerEngine(scratch);
  if (!engine.ok()) return engine.status();
  GLEANER_RETURN_IF_ERROR(ImportTestImage(*engine, directory));
  return engine;
}

void RemoveContainerTestStore(const ContainerEngine* engine, const std::string& scratch) {
  if (engine != nullptr) {
    for (const char* what : {"rm", "rmi"}) {
      (void)RunCommand({engine->program, what, "--all", "--force"},
                       OwnEnvironmentWith(engine->environment), 120s);
    }
  }
  std::error_code ignored;
  fs::remove_all(scratch, ignored);
}

ContainerTestSuiteStore::ContainerTestSuiteStore(const std::string& name)
    : scratch_((fs::temp_directory_path() / (name + "-" + std::to_string(getpid()))).string()) {
  Result<ContainerEngine> engine = MakeContainerTestStore(scratch_);
  if (engine.ok()) {
    engine_ = std::move(engine).value();
  } else {
    problem_ = engine.status().message();
  }
}

ContainerTestSuiteStore::~ContainerTestSuiteStore() {
  RemoveContainerTestStore(engine_ ? &*engine_ : nullptr, scratch_);
}

void ContainerTestSuiteStore::RequireEngine() const {
  if (engine_) return;
  if (std::getenv("GLEANER_REQUIRE_CONTAINERS") != nullptr) FAIL() << problem_;
  GTEST_SKIP() << "no container engine: " << problem_;
}

}  // namespace gleaner
