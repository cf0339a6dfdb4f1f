// SigV4 verification (sigv4.h) on a whole request in fuzz_request.h's text form: Authorization,
// X-Amz-Date, X-Amz-Content-Sha256 (aws-chunked bodies too), presigned query strings, at a fixed
// "now" (2015-08-30T12:36:30Z) with AWS's documented example key, so the seeds' signatures are
// good. Then, as the server does, Authenticate (request_authentication.h) must refuse in a 4xx,
// and a request gleaner signs itself (SignSigV4) with the input's method, path, query and body
// must verify.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "api/request_authentication.h"
#include "api/sigv4.h"
#include "fuzz/api_world.h"
#include "fuzz/fuzz_request.h"

namespace {

constexpr char kKeyId[] = "AKIDEXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr gleaner::EpochMillis kNow = 1'440'938'190'000;  // 2015-08-30T12:36:30Z

std::optional<std::string> Lookup(std::string_view key_id) {
  if (key_id == kKeyId) return std::string(kSecret);
  return std::nullopt;
}

// `text` is the input the request was parsed from: a finding's report parses it again rather than
// describing every request up front (that formatting cost as much as a tenth of an execution).
void CheckAuthenticate(gleaner::HttpRequest request, std::string_view text) {
  static const gleaner::FakeClock clock(kNow);
  gleaner::RequestAuthentication authentication{true, Lookup, &clock};
  std::optional<gleaner::HttpResponse> refused =
      gleaner::Authenticate(request, authentication, "00000000-0000-4000-8000-000000000000");
  if (refused && (refused->status < 400 || refused->status >= 500)) {
    gleaner::fuzz::Finding("Authenticate refused with a status that is not 4xx\n" +
                           gleaner::fuzz::Describe(gleaner::fuzz::ParseFuzzRequest(text)) +
                           gleaner::fuzz::Describe(*refused));
  }
}

void CheckOwnSignatureVerifies(const gleaner::HttpRequest& request) {
  std::map<std::string, std::string> sent{{"Host", "127.0.0.1:8686"}};
  gleaner::SignSigV4(request.method, request.path, request.query, sent, request.body,
                     {kKeyId, kSecret, ""}, "us-east-1", "batch", kNow);
  std::map<std::string, std::string> headers;  // as the server hands them over: lower case
  for (const auto& [name, value] : sent) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    headers[lower] = value;
  }
  gleaner::SigV4Request signed_request{request.method, request.path, request.query, &headers,
                                       request.body};
  auto verified = gleaner::VerifySigV4(signed_request, Lookup, kNow);
  if (auto* error = std::get_if<gleaner::SigV4Error>(&verified)) {
    gleaner::HttpRequest shown = request;
    shown.headers = headers;
    gleaner::fuzz::Finding("a request gleaner signed does not verify: " + error->message + "\n" +
                           gleaner::fuzz::Describe(shown));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  gleaner::HttpRequest request = gleaner::fuzz::ParseFuzzRequest(text);
  gleaner::SigV4Request to_verify{request.method, request.path, request.query, &request.headers,
                                  request.body};
  (void)gleaner::VerifySigV4(to_verify, Lookup, kNow);
  CheckOwnSignatureVerifies(request);
  CheckAuthenticate(std::move(request), text);
  return 0;
}
