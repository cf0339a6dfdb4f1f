// The JSON 1.1 services on the one endpoint, through the same handler: the ECS subset
// (X-Amz-Target: AmazonEC2ContainerServiceV20141113.<op>) and CloudWatch Logs
// (Logs_20140328.<op>). Input: a first line "<service> <operation>" (service "logs" for Logs,
// anything else for ECS), then the body. Both services only read, so one populated world (two
// compute environments, a cluster with an instance, a job, a log stream "def/default/0001")
// answers every input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/api_world.h"
#include "fuzz/fuzz_request.h"

namespace {
gleaner::fuzz::ApiWorld* world = nullptr;
}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  world = new gleaner::fuzz::ApiWorld({gleaner::fuzz::MakeLogDirectory(), 0});
  world->Populate();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string_view first = gleaner::fuzz::NextLine(text);
  size_t space = first.find(' ');
  std::string_view service = first.substr(0, space);
  std::string_view operation =
      space == std::string_view::npos ? std::string_view() : first.substr(space + 1);
  std::string target = service == "logs" ? "Logs_20140328." : "AmazonEC2ContainerServiceV20141113.";
  target += operation;
  world->Serve(gleaner::fuzz::MakeRequest(
      "POST", "/", std::string(text),
      {{"content-type", "application/x-amz-json-1.1"}, {"x-amz-target", target}}));
  return 0;
}
