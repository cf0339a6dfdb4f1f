#pragma once

// The ECS operations of ecs_api.h, and what they share. Each runs on the scheduler thread.

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

#include "common/status.h"

namespace gleaner {

class BatchState;
class Ec2Cloud;
struct ComputeEnvironment;
struct Host;

namespace ecs {

using json = nlohmann::json;
using Operation = Result<json> (*)(const json& body, const BatchState& state,
                                   const Ec2Cloud* cloud);

inline constexpr char kDefaultCluster[] = "default";  // what ECS assumes when no cluster is named
inline constexpr int kMaxListResults = 100;

// A cluster named by name or ARN, as ECS reports one it does not know.
std::string ClusterArnOf(const BatchState& state, const std::string& reference);
// The compute environment of the request's "cluster" (ECS's default when absent); kNotFound.
Result<const ComputeEnvironment*> RequiredCluster(const json& body, const BatchState& state);
// The hosts that are this cluster's container instances, by instance id.
std::vector<const Host*> ContainerInstancesOf(const BatchState& state,
                                              const ComputeEnvironment& environment);
// The page of `items` the request's maxResults (1-100) and nextToken ask for, under `key`, with
// the nextToken of the rest when more follow.
Result<json> Page(const json& body, const std::vector<std::string>& items, const char* key);

// ecs_tasks.cc: every compute environment's cluster, and its jobs' attempts as tasks.
Result<json> ListClusters(const json& body, const BatchState& state, const Ec2Cloud* cloud);
Result<json> ListTasks(const json& body, const BatchState& state, const Ec2Cloud* cloud);
Result<json> DescribeTasks(const json& body, const BatchState& state, const Ec2Cloud* cloud);

}  // namespace ecs
}  // namespace gleaner
