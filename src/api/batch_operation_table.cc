#include <algorithm>
#include <array>
#include <cctype>

#include "api/batch_operations.h"

namespace gleaner {
namespace {

// Tag operations are routed by path (/v1/tags/{arn}) and are not in this table.
constexpr std::array<BatchOperation, 21> kOperations{{
    {"CancelJob", CancelJob},
    {"CreateComputeEnvironment", CreateComputeEnvironment},
    {"CreateJobQueue", CreateJobQueue},
    {"CreateSchedulingPolicy", CreateSchedulingPolicy},
    {"DeleteComputeEnvironment", DeleteComputeEnvironment},
    {"DeleteJobQueue", DeleteJobQueue},
    {"DeleteSchedulingPolicy", DeleteSchedulingPolicy},
    {"DeregisterJobDefinition", DeregisterJobDefinition},
    {"DescribeComputeEnvironments", DescribeComputeEnvironments},
    {"DescribeJobDefinitions", DescribeJobDefinitions},
    {"DescribeJobQueues", DescribeJobQueues},
    {"DescribeJobs", DescribeJobs},
    {"DescribeSchedulingPolicies", DescribeSchedulingPolicies},
    {"ListJobs", ListJobs},
    {"ListSchedulingPolicies", ListSchedulingPolicies},
    {"RegisterJobDefinition", RegisterJobDefinition},
    {"SubmitJob", SubmitJob},
    {"TerminateJob", TerminateJob},
    {"UpdateComputeEnvironment", UpdateComputeEnvironment},
    {"UpdateJobQueue", UpdateJobQueue},
    {"UpdateSchedulingPolicy", UpdateSchedulingPolicy},
}};

bool EqualsLowercase(std::string_view name, std::string_view lowercase) {
  return name.size() == lowercase.size() &&
         std::equal(name.begin(), name.end(), lowercase.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

}  // namespace

const BatchOperation* FindBatchOperation(std::string_view lowercase_name) {
  for (const BatchOperation& operation : kOperations) {
    if (EqualsLowercase(operation.name, lowercase_name)) return &operation;
  }
  return nullptr;
}

std::string BatchOperationNames() {
  std::string names;
  for (const BatchOperation& operation : kOperations) {
    if (!names.empty()) names += ", ";
    names += operation.name;
  }
  return names + ", ListTagsForResource, TagResource, UntagResource";
}

}  // namespace gleaner
