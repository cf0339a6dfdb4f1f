#pragma once

#include <string>
#include <string_view>

namespace gleaner {

// Where gleaner pretends to live: ARNs carry the region and account like AWS's do.
struct ArnScope {
  std::string region = "us-east-1";
  std::string account_id = "123456789012";

  std::string ComputeEnvironment(std::string_view name) const;
  std::string JobQueue(std::string_view name) const;
  std::string JobDefinition(std::string_view name, int revision) const;
  std::string Job(std::string_view job_id) const;
  std::string SchedulingPolicy(std::string_view name) const;
  std::string EcsCluster(std::string_view name) const;
  // arn:aws:ecs:<region>:<account>:task/<task id>
  std::string EcsTask(std::string_view task_id) const;
  // arn:aws:ecs:<region>:<account>:container-instance/<id>
  std::string EcsContainerInstance(std::string_view id) const;
  // arn:<partition>:<service>:<region>:<account>:<resource>, e.g. ("ec2", "instance/i-1").
  std::string Resource(std::string_view service, std::string_view resource) const;
  // arn:<partition>:iam::<account>:<resource> (IAM's ARNs name no region).
  std::string Iam(std::string_view resource) const;

  // The partition of the region's ARNs, as AWS names them: "aws-cn" for the China regions
  // (cn-*), "aws-us-gov" for GovCloud (us-gov-*), "aws-iso" (us-iso-*), "aws-iso-b" (us-isob-*),
  // else "aws".
  std::string_view Partition() const;
};

// The resource part of an ARN of `resource_type` ("job-queue", ...): for
// "arn:aws:batch:us-east-1:123:job-queue/q1" and "job-queue" it is "q1". Empty when `arn` is not an
// ARN of that type.
std::string ArnResourceName(std::string_view arn, std::string_view resource_type);

bool LooksLikeArn(std::string_view text);

}  // namespace gleaner
