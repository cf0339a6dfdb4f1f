// EC2's query protocol: the form parser and its accessors (ec2_query.h) on a URL query (a block's
// first line) and a form body (the rest of the block), then the same request, a form-encoded
// POST /, through the handler against a fresh world with the simulated cloud behind EC2. Up to 6
// blocks, separated by "\n%%\n" lines, are sent one after the other (request, describe, cancel).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/ec2_query.h"
#include "fuzz/api_world.h"
#include "fuzz/fuzz_request.h"

namespace {

void ExerciseParser(std::string_view body, std::string_view query) {
  gleaner::Ec2Params params = gleaner::ParseEc2Params(body, query);
  (void)gleaner::Ec2Param(params, "Action");
  for (const char* prefix : {"InstanceId", "SpotInstanceRequestId", "InstanceType",
                             "ProductDescription", "LaunchSpecification.SecurityGroup"}) {
    (void)gleaner::Ec2IndexedValues(params, prefix);
  }
  (void)gleaner::Ec2Filters(params);
  for (const char* name : {"InstanceCount", "BlockDurationMinutes", "MaxResults"}) {
    (void)gleaner::Ec2IntegerParam(params, name);
  }
  (void)gleaner::Ec2BooleanParam(params, "DryRun");
  for (const char* name : {"StartTime", "EndTime", "ValidUntil", "ValidFrom"}) {
    (void)gleaner::Ec2TimeParam(params, name);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  gleaner::fuzz::ApiWorld world({"/nonexistent", 15'000});
  for (int blocks = 0; blocks < 6; ++blocks) {
    size_t separator = input.find(gleaner::fuzz::kRequestSeparator);
    std::string_view text = input.substr(0, separator);
    std::string_view query = gleaner::fuzz::NextLine(text);
    ExerciseParser(text, query);
    gleaner::HttpRequest request = gleaner::fuzz::MakeRequest(
        "POST", "/", std::string(text),
        {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"}});
    request.query = std::string(query);
    world.Serve(std::move(request));
    if (separator == std::string_view::npos) break;
    input.remove_prefix(separator + gleaner::fuzz::kRequestSeparator.size());
  }
  return 0;
}
