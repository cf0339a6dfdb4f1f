// aws-chunked bodies (DecodeAwsChunked, sigv4.h). Input: a first line "signed" (chunk
// signatures checked with AWS's example key, scope 20150830/us-east-1/batch, seed signature
// "seed", so the seeds verify) or anything else (STREAMING-UNSIGNED-PAYLOAD-TRAILER: decoded
// only), then the body. A decoded body is never longer than what it was decoded from.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "api/sigv4.h"
#include "fuzz/api_world.h"
#include "fuzz/fuzz_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const gleaner::SigV4Scope scope{"20150830", "us-east-1", "batch"};
  static const std::string key =
      gleaner::SigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", scope);
  std::string_view body(reinterpret_cast<const char*>(data), size);
  bool is_signed = gleaner::fuzz::NextLine(body) == "signed";
  auto decoded = gleaner::DecodeAwsChunked(body, is_signed ? key : std::string(),
                                           "20150830T123600Z", scope, "seed");
  if (auto* content = std::get_if<std::string>(&decoded);
      content && content->size() > body.size()) {
    gleaner::fuzz::Finding("decoded " + std::to_string(content->size()) + " bytes from " +
                           std::to_string(body.size()));
  }
  return 0;
}
