#include "api/unsupported_services.h"

#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "api/aws_errors.h"
#include "common/markup_escape.h"
#include "common/percent_encoding.h"

namespace gleaner {
namespace {

constexpr std::string_view kCode = "UnsupportedService";

// "AKID/20261207/us-east-1/iam/aws4_request" -> "iam".
std::string ServiceOfCredential(std::string_view credential) {
  std::vector<std::string_view> parts;
  while (true) {
    size_t slash = credential.find('/');
    parts.push_back(credential.substr(0, slash));
    if (slash == std::string_view::npos) break;
    credential.remove_prefix(slash + 1);
  }
  if (parts.size() != 5 || parts[4] != "aws4_request") return "";
  return std::string(parts[3]);
}

std::string DisplayName(const std::string& service) {
  static const std::map<std::string, std::string> kNames = {
      {"iam", "AWS Identity and Access Management (iam)"},
      {"sts", "AWS Security Token Service (sts)"},
      {"events", "Amazon EventBridge (events)"},
      {"sqs", "Amazon SQS (sqs)"},
      {"sns", "Amazon SNS (sns)"},
      {"cloudformation", "AWS CloudFormation (cloudformation)"},
      {"monitoring", "Amazon CloudWatch metrics (monitoring)"},
      {"dynamodb", "Amazon DynamoDB (dynamodb)"},
      {"lambda", "AWS Lambda (lambda)"},
      {"ecr", "Amazon ECR (ecr)"},
      {"ssm", "AWS Systems Manager (ssm)"},
      {"secretsmanager", "AWS Secrets Manager (secretsmanager)"},
      {"kms", "AWS KMS (kms)"},
      {"states", "AWS Step Functions (states)"},
      {"autoscaling", "Amazon EC2 Auto Scaling (autoscaling)"},
  };
  auto found = kNames.find(service);
  return found != kNames.end() ? found->second : "the AWS service \"" + service + "\"";
}

bool IsFormPost(const HttpRequest& request) {
  auto type = request.headers.find("content-type");
  return (type != request.headers.end() &&
          type->second.starts_with("application/x-www-form-urlencoded")) ||
         request.body.starts_with("Action=") || request.query.find("Action=") == 0;
}

}  // namespace

std::string SignedServiceOf(const HttpRequest& request) {
  auto authorization = request.headers.find("authorization");
  if (authorization != request.headers.end()) {
    std::string_view header = authorization->second;
    size_t at = header.find("Credential=");
    if (at == std::string_view::npos) return "";
    header.remove_prefix(at + std::string_view("Credential=").size());
    return ServiceOfCredential(header.substr(0, header.find_first_of(", ")));
  }
  // Most requests carry neither (instance metadata polls, the agents): no query parsed for them.
  if (request.query.find("X-Amz-Credential=") == std::string::npos) return "";
  auto query = ParseQuery(request.query);
  auto credential = query.find("X-Amz-Credential");
  if (credential == query.end() || credential->second.empty()) return "";
  return ServiceOfCredential(credential->second.front());
}

bool IsServedService(std::string_view service) {
  return service == "batch" || service == "ec2" || service == "ecs" || service == "logs" ||
         service == "s3" || service == "events";
}

HttpResponse UnsupportedServiceResponse(const HttpRequest& request, const std::string& service,
                                        const std::string& request_id) {
  std::string message =
      "gleaner does not simulate " + DisplayName(service) +
      "; its endpoint serves AWS Batch (batch), Amazon EC2 (ec2, the simulated "
      "cloud), Amazon ECS (ecs), CloudWatch Logs (logs), Amazon EventBridge (events) and "
      "Amazon S3 (s3)";
  if (IsFormPost(request)) {
    HttpResponse response;
    response.status = 400;
    response.content_type = "text/xml";
    response.body =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse><Error><Type>Sender"
        "</Type><Code>" +
        std::string(kCode) + "</Code><Message>" + XmlEscape(message) +
        "</Message></Error><RequestId>" + XmlEscape(request_id) + "</RequestId></ErrorResponse>";
    return response;
  }
  if (request.headers.count("x-amz-target") != 0) {
    return JsonProtocolError(std::string(kCode), message);
  }
  HttpResponse response = JsonResponse(
      nlohmann::json{{"__type", kCode}, {"message", message}}.dump(), "application/json");
  response.status = 400;
  response.headers.emplace_back("X-Amzn-ErrorType", std::string(kCode));
  return response;
}

}  // namespace gleaner
