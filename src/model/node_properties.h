#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/job_definition.h"

// Multi-node parallel jobs: a job definition's (and a job's) nodeProperties, and the rules for
// reading AWS's targetNodes ranges.
namespace gleaner {

// One of nodeProperties.nodeRangeProperties: the container that the nodes in targetNodes run.
struct NodeRangeProperty {
  std::string target_nodes;  // "0:3", ":3", "2:", "5" or ":"
  std::optional<ContainerProperties> container;
  nlohmann::json passthrough = nlohmann::json::object();  // instanceTypes, ecsProperties, ...
};

struct NodeProperties {
  int num_nodes = 0;
  int main_node = 0;
  std::vector<NodeRangeProperty> node_range_properties;
};

// targetNodes read against numNodes: nodes first..last, both included.
struct NodeRange {
  int first = 0;
  int last = 0;
  int size() const { return last - first + 1; }
};

// "n", "n:m", ":m", "n:" or ":" (an omitted start is 0, an omitted end numNodes - 1). nullopt when
// the text is malformed, the range is empty (n > m) or reaches past numNodes - 1.
std::optional<NodeRange> ParseTargetNodes(std::string_view target_nodes, int num_nodes);

// Whether `node` is in targetNodes (false for a malformed or out-of-range targetNodes).
bool TargetNodesInclude(std::string_view target_nodes, int node, int num_nodes);

// The index of the range whose container `node` runs, or nullopt when no range names it. AWS lets
// ranges nest ("0:10" and "4:5": the 4:5 range's properties win for nodes 4 and 5), so the
// narrowest range that includes the node wins; between equally narrow ones, the first.
std::optional<size_t> RangeIndexForNode(const NodeProperties& properties, int node);

// The targetNodes text for nodes first..last: "n" for one node, else "n:m".
std::string TargetNodesText(int first, int last);

}  // namespace gleaner
