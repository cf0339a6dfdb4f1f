#include "model/node_properties.h"

#include <gtest/gtest.h>

#include "model/json_codec.h"

// Multi-node parallel jobs in the model: AWS's targetNodes ranges, nodeProperties' codec, and the
// wire shapes and records of a multi-node parent and its nodes.

namespace gleaner {
namespace {

using nlohmann::json;

TEST(TargetNodes, ReadsEveryFormAwsAccepts) {
  struct Case {
    const char* target;
    int first;
    int last;
  };
  for (const Case& ok : {Case{"0:3", 0, 3}, Case{":3", 0, 3}, Case{"2:", 2, 7}, Case{"5", 5, 5},
                         Case{":", 0, 7}, Case{"7", 7, 7}, Case{"0:7", 0, 7}}) {
    SCOPED_TRACE(ok.target);
    std::optional<NodeRange> range = ParseTargetNodes(ok.target, 8);
    ASSERT_TRUE(range.has_value());
    EXPECT_EQ(range->first, ok.first);
    EXPECT_EQ(range->last, ok.last);
    EXPECT_EQ(range->size(), ok.last - ok.first + 1);
  }
}

TEST(TargetNodes, RefusesMalformedAndOutOfRange) {
  for (const char* bad :
       {"", "8", "0:8", "3:1", "a", "1:a", "-1", "1::2", " 1", "1:2:3", "99999999999999999999"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(ParseTargetNodes(bad, 8).has_value());
  }
  EXPECT_FALSE(ParseTargetNodes(":", 0).has_value());
}

TEST(TargetNodes, IncludeMeansWithinTheRange) {
  EXPECT_TRUE(TargetNodesInclude("0:3", 0, 4));
  EXPECT_TRUE(TargetNodesInclude("0:3", 3, 4));
  EXPECT_FALSE(TargetNodesInclude("0:3", 4, 8));
  EXPECT_TRUE(TargetNodesInclude(":3", 2, 4));
  EXPECT_TRUE(TargetNodesInclude("2:", 9, 10));
  EXPECT_FALSE(TargetNodesInclude("2:", 1, 10));
  EXPECT_TRUE(TargetNodesInclude("5", 5, 10));
  EXPECT_FALSE(TargetNodesInclude("5", 4, 10));
  EXPECT_TRUE(TargetNodesInclude(":", 0, 1));
  EXPECT_FALSE(TargetNodesInclude("0:9", 1, 4));  // reaches past numNodes: not a range at all
}

TEST(TargetNodes, TextForOneNodeOrARange) {
  EXPECT_EQ(TargetNodesText(3, 3), "3");
  EXPECT_EQ(TargetNodesText(1, 4), "1:4");
}

NodeProperties Ranges(int num_nodes, std::vector<std::string> targets) {
  NodeProperties properties;
  properties.num_nodes = num_nodes;
  for (std::string& target : targets) {
    NodeRangeProperty range;
    range.target_nodes = std::move(target);
    properties.node_range_properties.push_back(std::move(range));
  }
  return properties;
}

TEST(RangeIndexForNode, TheNarrowestRangeWins) {
  // AWS: ranges may nest ("0:10" and "4:5"); the inner range's properties win.
  NodeProperties nested = Ranges(11, {"0:10", "4:5"});
  EXPECT_EQ(RangeIndexForNode(nested, 0), 0u);
  EXPECT_EQ(RangeIndexForNode(nested, 4), 1u);
  EXPECT_EQ(RangeIndexForNode(nested, 5), 1u);
  EXPECT_EQ(RangeIndexForNode(nested, 6), 0u);
  // Equally narrow: the first.
  NodeProperties twice = Ranges(2, {"1", "0", "1"});
  EXPECT_EQ(RangeIndexForNode(twice, 1), 0u);
  EXPECT_EQ(RangeIndexForNode(twice, 0), 1u);
  // Not covered, or a range that does not fit numNodes, names nothing.
  NodeProperties gap = Ranges(4, {"0", "2:9", "3:"});
  EXPECT_FALSE(RangeIndexForNode(gap, 1).has_value());
  EXPECT_FALSE(RangeIndexForNode(gap, 2).has_value());
  EXPECT_EQ(RangeIndexForNode(gap, 3), 2u);
}

json DefinitionNodeProperties() {
  return json::parse(R"({
    "numNodes": 3, "mainNode": 0,
    "nodeRangeProperties": [
      {"targetNodes": "0", "container": {"image": "main", "command": ["serve"],
        "resourceRequirements": [{"type": "VCPU", "value": "1"},
                                 {"type": "MEMORY", "value": "512"}],
        "privileged": true}},
      {"targetNodes": "1:", "instanceTypes": ["c5.xlarge"],
       "container": {"image": "worker", "environment": [{"name": "ROLE", "value": "w"}]}},
      {"targetNodes": ":"}
    ]})");
}

TEST(NodePropertiesJson, ReadsTypedMembersAndKeepsTheRest) {
  Result<NodeProperties> parsed = NodePropertiesFromJson(DefinitionNodeProperties());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->num_nodes, 3);
  EXPECT_EQ(parsed->main_node, 0);
  ASSERT_EQ(parsed->node_range_properties.size(), 3u);
  const NodeRangeProperty& main = parsed->node_range_properties[0];
  EXPECT_EQ(main.target_nodes, "0");
  ASSERT_TRUE(main.container.has_value());
  EXPECT_EQ(main.container->image, "main");
  EXPECT_EQ(main.container->command, std::vector<std::string>{"serve"});
  EXPECT_EQ(main.container->passthrough, json::parse(R"({"privileged": true})"));
  const NodeRangeProperty& workers = parsed->node_range_properties[1];
  EXPECT_EQ(workers.passthrough, json::parse(R"({"instanceTypes": ["c5.xlarge"]})"));
  EXPECT_EQ(workers.container->environment, (std::vector<KeyValuePair>{{"ROLE", "w"}}));
  EXPECT_FALSE(parsed->node_range_properties[2].container.has_value());

  // Back to JSON: the same document (ToJson adds the empty environment AWS always shows).
  json expected = DefinitionNodeProperties();
  expected["nodeRangeProperties"][0]["container"]["environment"] = json::array();
  EXPECT_EQ(ToJson(*parsed), expected);
  Result<NodeProperties> again = NodePropertiesFromJson(ToJson(*parsed));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(ToJson(*again), ToJson(*parsed));
}

TEST(NodePropertiesJson, WrongTypesAreErrors) {
  json document = DefinitionNodeProperties();
  document["numNodes"] = "3";
  EXPECT_EQ(NodePropertiesFromJson(document).status().message(),
            "nodeProperties.numNodes must be an integer (32-bit)");
  document = DefinitionNodeProperties();
  document["nodeRangeProperties"][1]["container"]["command"] = "x";
  EXPECT_FALSE(NodePropertiesFromJson(document).ok());
  EXPECT_FALSE(NodePropertiesFromJson(json::parse(R"({"mainNode": 0})")).ok());
}

Job BaseJob(const std::string& id) {
  Job job;
  job.job_id = id;
  job.job_name = "mpi-run";
  job.job_queue = "arn:aws:batch:us-east-1:123456789012:job-queue/high";
  job.job_definition = "arn:aws:batch:us-east-1:123456789012:job-definition/mpi:1";
  job.status = JobStatus::kRunning;
  job.created_at = 1'700'000'000'000;
  job.started_at = 1'700'000'010'000;
  return job;
}

Job Parent() {
  Job parent = BaseJob("0190b6c2-8f3a-7c1e-9a4b-1d2e3f4a5b6c");
  parent.node_properties = *NodePropertiesFromJson(DefinitionNodeProperties());
  parent.container.current.Mutable().exit_code = 3;
  parent.container.current.Mutable().reason = "it broke";
  parent.retry_strategy = RetryStrategy{2, {}};
  return parent;
}

Job Node(int index) {
  Job node = BaseJob("0190b6c2-8f3a-7c1e-9a4b-1d2e3f4a5b6c#" + std::to_string(index));
  node.node_index = index;
  node.node_properties = NodeProperties{3, 0, {}};
  node.container.properties.Mutable().image = "worker";
  node.container.properties.Mutable().command = {"work"};
  node.required = Resources{1000, 512, 0};
  return node;
}

TEST(MultiNodeJobJson, ParentShowsNodePropertiesAndTheMainNodesExit) {
  Job parent = Parent();
  EXPECT_TRUE(parent.IsMultiNodeParent());
  EXPECT_FALSE(parent.IsMultiNodeNode());
  EXPECT_FALSE(parent.IsMainNode());
  json wire = ToJson(parent);
  EXPECT_EQ(wire["nodeProperties"], ToJson(*parent.node_properties));
  // The nodes run the containers: the parent's container is only the main node's exit.
  EXPECT_EQ(wire["container"], json::parse(R"({"exitCode": 3, "reason": "it broke"})"));
  EXPECT_FALSE(wire.contains("nodeDetails"));
  EXPECT_EQ(ToJobSummary(parent)["nodeProperties"], json::parse(R"({"numNodes": 3})"));

  parent.container.current = AttemptContainer{};
  EXPECT_FALSE(ToJson(parent).contains("container"));
}

TEST(MultiNodeJobJson, NodesShowNodeDetails) {
  Job main = Node(0);
  Job worker = Node(2);
  EXPECT_TRUE(main.IsMainNode());
  EXPECT_TRUE(worker.IsMultiNodeNode());
  EXPECT_FALSE(worker.IsMainNode());
  EXPECT_FALSE(worker.IsMultiNodeParent());
  EXPECT_EQ(ToJson(main)["nodeDetails"], json::parse(R"({"nodeIndex": 0, "isMainNode": true})"));
  json wire = ToJson(worker);
  EXPECT_EQ(wire["nodeDetails"], json::parse(R"({"nodeIndex": 2, "isMainNode": false})"));
  EXPECT_FALSE(wire.contains("nodeProperties"));
  EXPECT_EQ(wire["container"]["image"], "worker");
  EXPECT_EQ(ToJobSummary(worker)["nodeProperties"],
            json::parse(R"({"numNodes": 3, "nodeIndex": 2, "isMainNode": false})"));
  EXPECT_EQ(ToJobSummary(main)["nodeProperties"]["isMainNode"], true);
}

TEST(MultiNodeJobRecord, ParentAndNodesRoundTrip) {
  for (const Job& original : {Parent(), Node(0), Node(2)}) {
    SCOPED_TRACE(original.job_id);
    json record = ToRecord(original);
    Result<Job> parsed = JobFromRecord(json::parse(record.dump()));
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    EXPECT_EQ(ToRecord(*parsed), record);
    EXPECT_EQ(parsed->node_index, original.node_index);
    EXPECT_EQ(parsed->IsMultiNodeParent(), original.IsMultiNodeParent());
    EXPECT_EQ(parsed->IsMainNode(), original.IsMainNode());
    ASSERT_TRUE(parsed->node_properties.has_value());
    EXPECT_EQ(parsed->node_properties->num_nodes, 3);
    EXPECT_EQ(parsed->node_properties->main_node, 0);
    EXPECT_EQ(parsed->node_properties->node_range_properties.size(),
              original.node_properties->node_range_properties.size());
  }
  // What nodeDetails lacks (numNodes, mainNode) is bookkeeping.
  EXPECT_EQ(ToRecord(Node(2))["gleaner"]["node"], json::parse(R"({"numNodes": 3, "mainNode": 0})"));
  EXPECT_FALSE(ToRecord(Parent())["gleaner"].contains("node"));
}

}  // namespace
}  // namespace gleaner
