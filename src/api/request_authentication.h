#pragma once

#include <optional>
#include <string>

#include "api/http_server.h"
#include "api/sigv4.h"
#include "api/temporary_credentials.h"
#include "common/clock.h"

namespace gleaner {

// Who may use gleaner's endpoint: requests signed (SigV4) with one of the configured access keys.
struct RequestAuthentication {
  bool enabled = true;   // false only with `gleaner up --no-auth` on a loopback listener
  SecretLookup secrets;  // the configured keys and the temporary ones `temporary` issued
  const Clock* clock = nullptr;
  // Temporary credentials (jobs'): their requests must carry their session token. Null: none.
  const TemporaryCredentialIssuer* temporary = nullptr;
};

// Whether a request verified as signed by `access_key_id` carries the session token temporary
// credentials need (X-Amz-Security-Token, as a header or presigned); true for permanent keys.
inline bool SessionTokenHolds(const RequestAuthentication& authentication,
                              const std::string& access_key_id, const HttpRequest& request) {
  if (!access_key_id.starts_with("ASIA") || authentication.temporary == nullptr) return true;
  auto header = request.headers.find("x-amz-security-token");
  std::string token;
  if (header != request.headers.end()) {
    token = header->second;
  } else {
    auto query = ParseQuery(request.query);
    auto presigned = query.find("X-Amz-Security-Token");
    if (presigned != query.end() && !presigned->second.empty()) token = presigned->second.front();
  }
  return authentication.temporary->TokenMatches(access_key_id, token);
}

// Verifies the request's signature. Nothing when it is good (an aws-chunked body is then
// replaced by its decoded content); otherwise the refusal in the request's own protocol: EC2's
// XML (AuthFailure, SignatureDoesNotMatch, RequestExpired, IncompleteSignature,
// MissingAuthenticationToken) or JSON with X-Amzn-ErrorType (UnrecognizedClientException,
// InvalidSignatureException, IncompleteSignatureException, MissingAuthenticationTokenException).
std::optional<HttpResponse> Authenticate(HttpRequest& request,
                                         const RequestAuthentication& authentication,
                                         const std::string& request_id);

}  // namespace gleaner
