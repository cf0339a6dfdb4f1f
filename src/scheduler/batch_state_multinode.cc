// BatchState: multi-node parallel jobs (type multinode). The parent "<id>" stands for numNodes
// node jobs "<id>#<n>", all made at submission, each running the container of its node range.
// The parent is never placed: it follows its dependencies like any job, then mirrors its main
// node. The main node runs first; once it is RUNNING the other nodes become RUNNABLE and are placed
// as capacity allows. The job's outcome is the main node's: when the main node ends for good, the
// parent ends with its status and reason and the other nodes are stopped. The main node carries the
// job's retry strategy and timeout (AWS: the timeout is the whole job's); the other nodes have
// neither. A retry of the main node is a new attempt of the whole job: the other nodes are stopped
// and run again once the main node runs again.
#include <algorithm>
#include <cstdlib>

#include "model/json_codec.h"
#include "model/ref_substitution.h"
#include "scheduler/batch_state.h"

#include "common/check.h"
#include "scheduler/container_overrides.h"

namespace gleaner {
namespace {

// AWS allows 1,000 nodes per job by default (a quota that can be raised); every node is a job
// record here, so gleaner stops at the size of its default array limit.
constexpr int kMaxNodes = 10'000;

constexpr char kMainNodeExited[] = "Main node exited";
constexpr char kMainNodeRetrying[] = "Main node exited: the job is retried";
constexpr char kWaitingForMainNode[] = "Waiting for the main node to be RUNNING";
constexpr char kWaitingForJob[] = "Waiting for the job's dependencies to succeed";

std::string NodeId(const std::string& parent_id, int index) {
  return parent_id + "#" + std::to_string(index);
}

std::string ParentIdOf(const std::string& node_id) { return node_id.substr(0, node_id.rfind('#')); }

// "n:" and ":" grow with numNodes; nodeOverrides.numNodes needs one of them.
bool HasOpenUpperBoundary(const std::string& target_nodes) {
  return !target_nodes.empty() && target_nodes.back() == ':';
}

std::string RangeName(const NodeProperties& properties, size_t index) {
  return "nodeProperties.nodeRangeProperties[" + std::to_string(index) + "] (targetNodes \"" +
         properties.node_range_properties[index].target_nodes + "\")";
}

// numNodes from nodeOverrides, checked as AWS documents: some range has an open upper boundary,
// mainNode is below it, and every range still fits.
Status ApplyNumNodesOverride(int num_nodes, NodeProperties& properties) {
  std::string field = "nodeOverrides.numNodes " + std::to_string(num_nodes) + " is invalid: ";
  bool open_ended = false;
  for (const NodeRangeProperty& range : properties.node_range_properties) {
    open_ended = open_ended || HasOpenUpperBoundary(range.target_nodes);
  }
  if (!open_ended) {
    return Status::InvalidArgument(field +
                                   "the job definition needs a node range with an open upper "
                                   "boundary (\":\" or \"n:\") to change the number of nodes");
  }
  if (properties.main_node >= num_nodes) {
    return Status::InvalidArgument(field +
                                   "it must be greater than the job definition's mainNode (" +
                                   std::to_string(properties.main_node) + ")");
  }
  for (size_t i = 0; i < properties.node_range_properties.size(); ++i) {
    if (!ParseTargetNodes(properties.node_range_properties[i].target_nodes, num_nodes)) {
      return Status::InvalidArgument(field + "the job definition's " + RangeName(properties, i) +
                                     " does not fit in " + std::to_string(num_nodes) + " nodes");
    }
  }
  properties.num_nodes = num_nodes;
  return Status::Ok();
}

}  // namespace

Status BatchState::CheckMultiNodeRequest(const SubmitJobRequest& req,
                                         const JobDefinition& definition) const {
  if (definition.type != "multinode") {
    if (!req.node_overrides) return Status::Ok();
    return Status::InvalidArgument("nodeOverrides is invalid: jobDefinition \"" + definition.arn +
                                   "\" is type container; nodeOverrides apply to multinode job "
                                   "definitions only (use containerOverrides)");
  }
  if (req.array_size) {
    return Status::InvalidArgument("arrayProperties is invalid: jobDefinition \"" + definition.arn +
                                   "\" is a multi-node parallel job, which cannot be an array job");
  }
  if (req.container_overrides) {
    return Status::InvalidArgument("containerOverrides is invalid: jobDefinition \"" +
                                   definition.arn +
                                   "\" is type multinode; override its containers with "
                                   "nodeOverrides.nodePropertyOverrides");
  }
  return Status::Ok();
}

// Every node's container (its range's, narrowest range first, with the nodePropertyOverrides
// that name it applied in order and parameters substituted), grouped into ranges of consecutive
// nodes that run the same container: the parent's nodeProperties, one range per node group.
Result<NodeProperties> BatchState::ResolveNodeProperties(
    const SubmitJobRequest& req, const JobDefinition& definition,
    const std::map<std::string, std::string>& parameters) const {
  Result<NodeProperties> read = NodePropertiesFromJson(definition.node_properties);
  if (!read.ok()) {
    return Status::InvalidArgument(
        "jobDefinition \"" + definition.arn +
        "\" has nodeProperties gleaner cannot read: " + read.status().message());
  }
  NodeProperties defined = std::move(read).value();
  std::vector<NodePropertyOverride> overrides;
  if (req.node_overrides) {
    if (req.node_overrides->num_nodes) {
      GLEANER_RETURN_IF_ERROR(ApplyNumNodesOverride(*req.node_overrides->num_nodes, defined));
    }
    overrides = req.node_overrides->node_property_overrides;
  }
  if (defined.num_nodes < 1 || defined.num_nodes > kMaxNodes) {
    return Status::InvalidArgument("numNodes " + std::to_string(defined.num_nodes) +
                                   " is invalid: gleaner runs 1 to " + std::to_string(kMaxNodes) +
                                   " nodes per multi-node parallel job");
  }
  for (size_t i = 0; i < overrides.size(); ++i) {
    if (!ParseTargetNodes(overrides[i].target_nodes, defined.num_nodes)) {
      return Status::InvalidArgument("nodeOverrides.nodePropertyOverrides[" + std::to_string(i) +
                                     "].targetNodes \"" + overrides[i].target_nodes +
                                     "\" is invalid: must be a node index or range within the " +
                                     std::to_string(defined.num_nodes) + " nodes of the job");
    }
  }
  std::string where = "jobDefinition \"" + definition.arn + "\" ";
  NodeProperties resolved{defined.num_nodes, defined.main_node, {}};
  std::string previous;  // the last group's container, as JSON text
  int group_first = 0;
  for (int node = 0; node < defined.num_nodes; ++node) {
    std::optional<size_t> index = RangeIndexForNode(defined, node);
    if (!index) {
      return Status::InvalidArgument(where +
                                     "has no nodeProperties.nodeRangeProperties range for "
                                     "node " +
                                     std::to_string(node));
    }
    const NodeRangeProperty& range = defined.node_range_properties[*index];
    if (!range.container) {
      return Status::InvalidArgument(where + RangeName(defined, *index) +
                                     " has no container for node " + std::to_string(node));
    }
    ContainerProperties container = *range.container;
    for (const NodePropertyOverride& override_entry : overrides) {
      if (override_entry.container_overrides &&
          TargetNodesInclude(override_entry.target_nodes, node, defined.num_nodes)) {
        ApplyOverrides(container, *override_entry.container_overrides);
      }
    }
    container.command = SubstituteParameters(container.command, parameters);
    Result<Resources> required = RequiredResources(container);
    if (!required.ok()) {
      return Status::InvalidArgument(RangeName(defined, *index) + ", node " + std::to_string(node) +
                                     ": " + required.status().message());
    }
    std::string text = ToJson(container).dump();
    if (node > 0 && text == previous) {
      resolved.node_range_properties.back().target_nodes = TargetNodesText(group_first, node);
      continue;
    }
    group_first = node;
    previous = std::move(text);
    NodeRangeProperty group;
    group.target_nodes = TargetNodesText(node, node);
    group.container = std::move(container);
    group.passthrough = range.passthrough;
    resolved.node_range_properties.push_back(std::move(group));
  }
  return resolved;
}

void BatchState::MakeNodes(Job& parent) {
  const NodeProperties& properties = *parent.node_properties;
  for (const NodeRangeProperty& range : properties.node_range_properties) {
    std::optional<NodeRange> nodes = ParseTargetNodes(range.target_nodes, properties.num_nodes);
    if (!nodes || !range.container) continue;  // ResolveNodeProperties made them all valid
    Result<Resources> required = RequiredResources(*range.container);
    SharedValue<ContainerProperties> container = *range.container;  // one copy for the range
    for (int index = nodes->first; index <= nodes->last; ++index) {
      std::string id = NodeId(parent.job_id, index);
      Job& node = jobs_[id];
      node = Job{};
      node.job_id = id;
      node.job_name = parent.job_name;
      node.job_queue = parent.job_queue;
      node.job_definition = parent.job_definition;
      node.created_at = parent.created_at;
      node.share_identifier = parent.share_identifier;
      node.scheduling_priority = parent.scheduling_priority;
      node.parameters = parent.parameters;
      node.tags = parent.tags;
      node.propagate_tags = parent.propagate_tags;
      node.platform_capabilities = parent.platform_capabilities;
      node.container.properties.ShareWith(container);
      node.required = required.ok() ? *required : Resources{};
      node.node_index = index;
      node.node_properties = NodeProperties{properties.num_nodes, properties.main_node, {}};
      bool main = index == properties.main_node;
      if (main) {
        node.retry_strategy = parent.retry_strategy;
        node.timeout = parent.timeout;
      }
      node.status = JobStatus::kPending;
      node.status_reason = main ? kWaitingForJob : kWaitingForMainNode;
      IndexJob(node);
      MarkJobChanged(node);
    }
  }
}

Job* BatchState::MultiNodeParentOf(const Job& job) {
  if (job.IsMultiNodeParent()) return MutableJob(job.job_id);
  if (!job.IsMultiNodeNode()) return nullptr;
  Job* parent = MutableJob(ParentIdOf(job.job_id));
  return parent != nullptr && parent->IsMultiNodeParent() ? parent : nullptr;
}

const Job* BatchState::FindMainNode(const Job& job) const {
  if (!job.node_properties) return nullptr;
  const std::string parent_id = job.IsMultiNodeNode() ? ParentIdOf(job.job_id) : job.job_id;
  return FindJob(NodeId(parent_id, job.node_properties->main_node));
}

Job* BatchState::MainNodeOf(const Job& parent) {
  return MutableJob(NodeId(parent.job_id, parent.node_properties->main_node));
}

std::vector<Job*> BatchState::OtherNodesOf(const Job& parent) {
  std::vector<Job*> nodes;
  for (int index = 0; index < parent.node_properties->num_nodes; ++index) {
    if (index == parent.node_properties->main_node) continue;
    if (Job* node = MutableJob(NodeId(parent.job_id, index))) nodes.push_back(node);
  }
  return nodes;
}

void BatchState::ReleaseMultiNodeJob(Job& parent) {
  SetStatus(parent, JobStatus::kRunnable, "");
  if (Job* main = MainNodeOf(parent)) SetStatus(*main, JobStatus::kRunnable, "");
}

// The parent mirrors its main node; what the main node does decides what the others do.
void BatchState::OnMainNodeStatusChanged(Job& main) {
  Job* parent = MutableJob(ParentIdOf(main.job_id));
  GLEANER_CHECK(parent != nullptr && parent->IsMultiNodeParent(),
                "main node " + main.job_id + " has no multi-node parent");
  if (IsTerminal(parent->status)) return;
  parent->attempts = main.attempts;
  parent->container.current = main.container.current;
  MarkJobChanged(*parent);
  switch (main.status) {
    case JobStatus::kRunnable:
      SetStatus(*parent, JobStatus::kRunnable, "");
      // Released, or retried: the other nodes (re)start once the main node runs.
      for (Job* node : OtherNodesOf(*parent)) {
        if (node->placement) {
          RequestTermination(*node, kMainNodeRetrying);
        } else if (node->status != JobStatus::kPending) {
          SetStatus(*node, JobStatus::kPending, kWaitingForMainNode);
          node->stopped_at.reset();
        }
      }
      break;
    case JobStatus::kStarting:
      SetStatus(*parent, JobStatus::kStarting, "");
      break;
    case JobStatus::kRunning:
      parent->started_at = main.started_at;
      SetStatus(*parent, JobStatus::kRunning, "");
      for (Job* node : OtherNodesOf(*parent)) {
        // A node still stopping from the last attempt follows when its process has ended.
        if (node->status == JobStatus::kPending && !node->placement) {
          SetStatus(*node, JobStatus::kRunnable, "");
        }
      }
      break;
    case JobStatus::kSucceeded:
    case JobStatus::kFailed:
      FinishMultiNodeJob(*parent, main.status, main.status_reason, kMainNodeExited);
      break;
    default:
      break;
  }
}

// A node other than the main one whose attempt ended: true when the attempt belonged to an
// earlier attempt of the job (the main node was retried since), and the node now waits to run
// again. False when its end is final: the job ended or is being terminated, or it ended on its own
// while the main node runs.
bool BatchState::RequeueStaleNode(Job& node, bool retryable) {
  Job* parent = MultiNodeParentOf(node);
  if (parent == nullptr || IsTerminal(parent->status)) return false;
  const Job* main = MainNodeOf(*parent);
  if (main == nullptr) return false;
  bool main_running = main->status == JobStatus::kRunning;
  bool terminated = !retryable;
  bool job_terminating = main->placement && main->placement->termination_requested;
  if (terminated ? job_terminating : main_running) return false;
  SetStatus(node, main_running ? JobStatus::kRunnable : JobStatus::kPending,
            main_running ? "" : kWaitingForMainNode);
  return true;
}

void BatchState::FinishMultiNodeJob(Job& parent, JobStatus status, const std::string& reason,
                                    const std::string& node_reason) {
  SetStatus(parent, status, reason);
  parent.stopped_at = clock_.NowMillis();
  StopNodes(parent, node_reason);
  OnJobFinished(parent);
}

// The parent has ended: nodes still running are terminated (SIGTERM, SIGKILL after the grace),
// the ones not started fail.
void BatchState::StopNodes(Job& parent, const std::string& reason) {
  for (int index = 0; index < parent.node_properties->num_nodes; ++index) {
    Job* node = MutableJob(NodeId(parent.job_id, index));
    if (node == nullptr || IsTerminal(node->status)) continue;
    if (node->placement) {
      RequestTermination(*node, reason);
    } else {
      FailWithoutRunning(*node, reason);
    }
  }
}

// CancelJob and TerminateJob on the parent or any node. Before the main node is placed both end
// the whole job; after, CancelJob does nothing (as for any started job) and TerminateJob stops
// every node, the job ending FAILED with `reason` once the main node's process has ended.
void BatchState::StopMultiNodeJob(Job& parent, const std::string& reason, bool terminate) {
  if (IsTerminal(parent.status)) return;
  Job* main = MainNodeOf(parent);
  if (main == nullptr || !main->placement) {
    FinishMultiNodeJob(parent, JobStatus::kFailed, reason, reason);
    return;
  }
  if (!terminate) return;
  RequestTermination(*main, reason);
  for (Job* node : OtherNodesOf(parent)) {
    if (IsTerminal(node->status)) continue;
    if (node->placement) {
      RequestTermination(*node, reason);
    } else {
      FailWithoutRunning(*node, reason);
    }
  }
}

// After a restart: a parent whose main node ended while the parent did not (nothing the store
// holds should show that; cheap to repair) ends now.
void BatchState::SettleMultiNodeJobs() {
  std::vector<std::string> parents;
  for (const auto& [id, job] : jobs_) {
    if (job.IsMultiNodeParent() && !IsTerminal(job.status)) parents.push_back(id);
  }
  for (const std::string& id : parents) {
    Job& parent = jobs_.at(id);
    const Job* main = MainNodeOf(parent);
    if (main != nullptr && IsTerminal(main->status) && !IsTerminal(parent.status)) {
      FinishMultiNodeJob(parent, main->status, main->status_reason, kMainNodeExited);
    }
  }
}

Result<std::vector<const Job*>> BatchState::ListMultiNodeJobs(const ListJobsRequest& req,
                                                              std::string* next_token) const {
  std::vector<const Job*> found;
  const Job* parent = FindJob(req.multi_node_job_id);
  if (parent == nullptr || !parent->IsMultiNodeParent()) return found;
  // Nodes share their parent's name, definition, share and creation time: a filter keeps all of
  // them or none.
  if (!MatchesListFilters(*parent, req.filters)) return found;
  int start = req.page.next_token.empty() ? 0 : std::atoi(req.page.next_token.c_str());
  size_t limit = static_cast<size_t>(req.page.max_results.value_or(1000));
  JobStatus wanted = req.job_status.value_or(JobStatus::kRunning);
  for (int index = std::max(start, 0); index < parent->node_properties->num_nodes; ++index) {
    const Job* node = FindJob(NodeId(parent->job_id, index));
    if (node == nullptr || (req.filters.empty() && node->status != wanted)) continue;
    if (found.size() == limit) {
      *next_token = std::to_string(index);
      break;
    }
    found.push_back(node);
  }
  return found;
}

}  // namespace gleaner
