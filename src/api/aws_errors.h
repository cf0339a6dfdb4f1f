#pragma once

#include <string>

#include "api/http_server.h"
#include "common/status.h"

namespace gleaner {

// rest-json errors as botocore reads them: the code in X-Amzn-ErrorType and "__type", the text in
// "message". Client errors are HTTP 400 ClientException, the rest 500 ServerException.
HttpResponse BatchErrorResponse(const Status& status);

// json-1.1 errors (CloudWatch Logs, ECS): {"__type": code, "message": ...} with HTTP 400, the
// code also in X-Amzn-ErrorType (which rest-json clients read).
HttpResponse JsonProtocolError(const std::string& code, const std::string& message,
                               int http_status = 400,
                               const std::string& content_type = "application/x-amz-json-1.1");

HttpResponse JsonResponse(std::string body, const std::string& content_type = "application/json");

}  // namespace gleaner
