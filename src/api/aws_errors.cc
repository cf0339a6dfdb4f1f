#include "api/aws_errors.h"

#include <nlohmann/json.hpp>

#include "model/json_text.h"

namespace gleaner {

HttpResponse BatchErrorResponse(const Status& status) {
  bool client = status.IsClientError();
  std::string code = client ? "ClientException" : "ServerException";
  HttpResponse response;
  response.status = client ? 400 : 500;
  response.headers.emplace_back("X-Amzn-ErrorType", code);
  response.body = DumpJson({{"__type", code}, {"message", status.message()}});
  return response;
}

HttpResponse JsonProtocolError(const std::string& code, const std::string& message, int http_status,
                               const std::string& content_type) {
  HttpResponse response;
  response.status = http_status;
  response.content_type = content_type;
  response.headers.emplace_back("X-Amzn-ErrorType", code);
  response.body = DumpJson({{"__type", code}, {"message", message}});
  return response;
}

HttpResponse JsonResponse(std::string body, const std::string& content_type) {
  HttpResponse response;
  response.content_type = content_type;
  response.body = std::move(body);
  return response;
}

}  // namespace gleaner
