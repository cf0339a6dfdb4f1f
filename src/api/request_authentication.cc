#include "api/request_authentication.h"

#include "api/aws_errors.h"
#include "api/ec2_api.h"
#include "api/ec2_query.h"

namespace gleaner {
namespace {

struct Refusal {
  const char* code;
  int http_status;
};

Refusal Ec2Refusal(SigV4Failure failure) {
  switch (failure) {
    case SigV4Failure::kMissing:
      return {"MissingAuthenticationToken", 401};
    case SigV4Failure::kIncomplete:
      return {"IncompleteSignature", 400};
    case SigV4Failure::kUnknownKey:
      return {"AuthFailure", 401};
    case SigV4Failure::kMismatch:
      return {"SignatureDoesNotMatch", 403};
    case SigV4Failure::kExpired:
      return {"RequestExpired", 400};
  }
  return {"AuthFailure", 401};
}

Refusal JsonRefusal(SigV4Failure failure) {
  switch (failure) {
    case SigV4Failure::kMissing:
      return {"MissingAuthenticationTokenException", 403};
    case SigV4Failure::kIncomplete:
      return {"IncompleteSignatureException", 403};
    case SigV4Failure::kUnknownKey:
      return {"UnrecognizedClientException", 403};
    case SigV4Failure::kMismatch:
    case SigV4Failure::kExpired:  // AWS's JSON services: "Signature expired: …"
      return {"InvalidSignatureException", 403};
  }
  return {"UnrecognizedClientException", 403};
}

}  // namespace

std::optional<HttpResponse> Authenticate(HttpRequest& request,
                                         const RequestAuthentication& authentication,
                                         const std::string& request_id) {
  if (!authentication.enabled) return std::nullopt;
  SigV4Request signed_request{request.method, request.path, request.query, &request.headers,
                              request.body};
  auto verified =
      VerifySigV4(signed_request, authentication.secrets, authentication.clock->NowMillis());
  if (auto* ok = std::get_if<SigV4Verified>(&verified)) {
    if (SessionTokenHolds(authentication, ok->access_key_id, request)) {
      if (ok->decoded_body) request.body = std::move(*ok->decoded_body);
      return std::nullopt;
    }
    verified = SigV4Error{SigV4Failure::kUnknownKey,
                          "The security token included in the request is invalid."};
  }
  const SigV4Error& error = std::get<SigV4Error>(verified);
  if (IsEc2Request(request)) {
    Refusal refusal = Ec2Refusal(error.failure);
    HttpResponse response;
    response.status = refusal.http_status;
    response.content_type = "text/xml;charset=UTF-8";
    response.body = Ec2ErrorXml(refusal.code, error.message, request_id);
    return response;
  }
  Refusal refusal = JsonRefusal(error.failure);
  bool json_1_1 = request.headers.count("x-amz-target") != 0;
  return JsonProtocolError(refusal.code, error.message, refusal.http_status,
                           json_1_1 ? "application/x-amz-json-1.1" : "application/json");
}

}  // namespace gleaner
