#pragma once

// For tests against a real container engine (podman from Debian): a store of the test's own, so
// the machine's images and containers stay untouched, holding an image made from busybox-static
// (no registry is needed). Test-only (gleaner_container_test_support).

#include <optional>
#include <string>

#include "common/status.h"
#include "runtime/container_engine.h"

namespace gleaner {

// Its CMD is `echo "hello from CMD"`; /etc/passwd names root and nobody.
inline constexpr const char* kContainerTestImage = "localhost/gleaner-test-busybox:latest";

// Makes the store under `scratch` (which it creates), points this process's
// CONTAINERS_STORAGE_CONF at it, finds the engine (its containers.conf in `scratch`) and imports
// kContainerTestImage. An error says why not (no engine, no /bin/busybox, ...).
Result<ContainerEngine> MakeContainerTestStore(const std::string& scratch);

// Removes every container and image of the store, then `scratch`.
void RemoveContainerTestStore(const ContainerEngine* engine, const std::string& scratch);

// One store for a test suite: made in SetUpTestSuite (`new ContainerTestSuiteStore("name")`),
// removed in TearDownTestSuite (delete).
class ContainerTestSuiteStore {
 public:
  explicit ContainerTestSuiteStore(const std::string& name);
  ~ContainerTestSuiteStore();
  ContainerTestSuiteStore(const ContainerTestSuiteStore&) = delete;
  ContainerTestSuiteStore& operator=(const ContainerTestSuiteStore&) = delete;

  // For a test's SetUp: without an engine the test fails where GLEANER_REQUIRE_CONTAINERS is set
  // (CI installs podman and asks for these tests) and is skipped elsewhere.
  void RequireEngine() const;
  const ContainerEngine& engine() const { return *engine_; }
  const std::string& scratch() const { return scratch_; }

 private:
  std::string scratch_;
  std::optional<ContainerEngine> engine_;
  std::string problem_;
};

}  // namespace gleaner
