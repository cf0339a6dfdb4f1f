// Instance metadata (src/runtime/instance_metadata.h): one instance's service asked up to 8
// requests (fuzz_request.h's text form after the first line), 30 s of virtual time apart, around
// a spot interruption notice. The first line sets the instance's facts, as words: the profile
// ("aws", "gcp", "gcp-spot", "azure"; AWS when none), "v2" (IMDSv2 tokens required), "notice",
// "deadline", "rebalance", "on-demand", "stop", "hibernate". A header value "$TOKEN" is replaced
// by the last token the service issued, so that IMDSv2 sessions can be explored. Every answer
// must be 2xx or 4xx.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/api_world.h"
#include "fuzz/fuzz_request.h"
#include "runtime/instance_metadata.h"

namespace {

constexpr gleaner::EpochMillis kNotice = 1'795'508'400'000;  // 2026-11-24T08:20:00Z

gleaner::InstanceMetadata Facts(std::string_view words) {
  gleaner::InstanceMetadata instance;
  instance.instance_id = "i-0123456789abcdef0";
  instance.instance_type = "m5.large";
  instance.availability_zone = "us-east-1b";
  instance.region = "us-east-1";
  instance.life_cycle = "spot";
  instance.local_ipv4 = "10.1.2.3";
  while (!words.empty()) {
    size_t space = words.find(' ');
    std::string_view word = words.substr(0, space);
    words.remove_prefix(space == std::string_view::npos ? words.size() : space + 1);
    if (word == "aws" || word == "gcp" || word == "gcp-spot" || word == "azure") {
      instance.profile = std::string(word);
    } else if (word == "v2") {
      instance.tokens_required = true;
    } else if (word == "notice") {
      instance.notice_at = kNotice;
    } else if (word == "deadline") {
      instance.deadline_at = kNotice + 90'000;
    } else if (word == "rebalance") {
      instance.rebalance_at = kNotice - 30'000;
    } else if (word == "on-demand") {
      instance.life_cycle = "on-demand";
    } else if (word == "stop" || word == "hibernate") {
      instance.instance_action = std::string(word);
    }
  }
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  gleaner::InstanceMetadata instance = Facts(gleaner::fuzz::NextLine(text));
  gleaner::InstanceMetadataService service(42);
  gleaner::EpochMillis now = kNotice - 90'000;
  std::string token;
  for (gleaner::HttpRequest& http : gleaner::fuzz::ParseFuzzRequests(text, 8)) {
    now += 30'000;
    for (auto& [name, value] : http.headers) {
      if (value == "$TOKEN") value = token;
    }
    const bool body_too_large = http.body_too_large;
    gleaner::MetadataRequest request{std::move(http.method), std::move(http.path),
                                     std::move(http.query), std::move(http.headers),
                                     std::move(http.body)};
    gleaner::MetadataResponse response = service.Answer(request, instance, now);
    if (response.status < 200 || response.status >= 500 ||
        (response.status >= 300 && response.status < 400)) {
      // Described only now (Answer takes the request as const): formatting every request up
      // front cost a tenth of an execution.
      gleaner::HttpRequest shown{request.method,  request.path, request.query,
                                 request.headers, request.body, body_too_large};
      gleaner::fuzz::Finding("instance metadata answered " + std::to_string(response.status) +
                             "\n" + gleaner::fuzz::Describe(shown) + "  answer: " + response.body);
    }
    if (response.status == 200 && request.method == "PUT" && request.path == "/latest/api/token") {
      token = response.body;
    }
  }
  return 0;
}
