#pragma once

#include <string>
#include <string_view>

#include "api/http_server.h"

namespace gleaner {

// The AWS service a request was signed for (its SigV4 credential scope's: "iam", "events"); ""
// when it carries no signature to say.
std::string SignedServiceOf(const HttpRequest& request);

// Whether gleaner's endpoint answers this signing name (batch, ec2, ecs, logs, s3, events).
bool IsServedService(std::string_view service);

// The answer to a request for a service gleaner does not simulate, naming it, in the error shape
// its client reads: the query protocol's XML for form posts (IAM, STS, SQS, ...), json-1.1 for
// X-Amz-Target (EventBridge, DynamoDB, ...), rest-json otherwise. HTTP 400, code
// UnsupportedService.
HttpResponse UnsupportedServiceResponse(const HttpRequest& request, const std::string& service,
                                        const std::string& request_id);

}  // namespace gleaner
