#pragma once

#include <optional>
#include <string>

#include "api/http_server.h"
#include "api/sigv4.h"
#include "common/clock.h"

namespace gleaner {

// Who may use gleaner's endpoint: requests signed (SigV4) with one of the configured access keys.
struct RequestAuthentication {
  bool enabled = true;  // false only with `gleaner up --no-auth` on a loopback listener
  SecretLookup secrets;
  const Clock* clock = nullptr;
};

// Verifies the request's signature. Nothing when it is good (an aws-chunked body is then
// replaced by its decoded content); otherwise the refusal in the request's own protocol: EC2's
// XML (AuthFailure, SignatureDoesNotMatch, RequestExpired, IncompleteSignature,
// MissingAuthenticationToken) or JSON with X-Amzn-ErrorType (UnrecognizedClientException,
// InvalidSignatureException, IncompleteSignatureException, MissingAuthenticationTokenException).
std::optional<HttpResponse> Authenticate(HttpRequest& request,
                                         const RequestAuthentication& authentication,
                                         const std::string& request_id);

}  // namespace gleaner
