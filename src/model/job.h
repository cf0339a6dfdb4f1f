#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/boxed.h"
#include "common/shared_string.h"
#include "common/shared_value.h"
#include "model/attempt_cost.h"
#include "model/job_definition.h"
#include "model/job_status.h"
#include "model/node_properties.h"
#include "model/resources.h"

namespace gleaner {

struct JobDependency {
  std::string job_id;
  std::string type;  // empty | N_TO_N | SEQUENTIAL
};

// The container of one attempt, as AttemptDetail.container reports it.
struct AttemptContainer {
  std::string container_instance_arn;
  std::string task_arn;
  std::optional<int> exit_code;
  std::string reason;
  std::string log_stream_name;
  bool operator==(const AttemptContainer&) const = default;
};

// One trip to RUNNING that has ended.
struct AttemptDetail {
  AttemptContainer container;
  EpochMillis started_at = 0;
  EpochMillis stopped_at = 0;
  std::string status_reason;
  // What it cost (gleaner's bookkeeping: kept in the job's record, not in AWS's shape).
  AttemptCost cost;
};

// The container of the job: the definition's containerProperties with SubmitJob's overrides and
// parameters applied, plus the state of the current (or last) attempt.
struct JobContainer {
  // Command already substituted. Jobs that run their definition's container as it is share it
  // (BatchState keeps one copy per definition revision).
  SharedValue<ContainerProperties> properties;
  // exitCode, reason, logStreamName, ... of the latest attempt; nothing stored before the first.
  SharedValue<AttemptContainer> current;
};

// Where and how the current attempt runs. Not part of the AWS shape; persisted so that a restarted
// server can find (and end) the process an attempt had.
struct AttemptPlacement {
  std::string compute_environment_arn;
  std::string instance_id;  // the host the attempt runs on ("local" capacity has one)
  Resources reserved;
  int64_t pid = 0;                  // process group leader; 0 before launch
  int64_t process_start_ticks = 0;  // /proc/<pid>/stat start time, to tell a reused pid apart
  EpochMillis started_at = 0;       // when the attempt entered RUNNING
  EpochMillis placed_at = 0;        // when it was placed (STARTING): its reservation's cost counts
  bool termination_requested = false;
  std::string termination_reason;  // TerminateJob's reason
  // Set when the host gets an interruption notice (or is lost): unless the attempt exits 0, it
  // ends with this reason ("Host EC2 (instance i-...) terminated.") and the retry strategy decides.
  std::string interruption_reason;
  // The host's GPUs this attempt holds (CUDA_VISIBLE_DEVICES).
  std::vector<int> gpu_ids;
  // The attempt runs on an agent's machine: it outlives a restart of the server, and its agent
  // reports on it once it registers again.
  bool remote = false;
};

struct Job {
  std::string job_id;
  std::string job_name;
  // ARNs of the job queue and of the definition revision used: the same few for many jobs, so
  // BatchState stores each once (StringPool).
  SharedString job_queue;
  SharedString job_definition;
  JobStatus status = JobStatus::kSubmitted;
  std::string status_reason;
  EpochMillis created_at = 0;
  std::optional<EpochMillis> started_at;
  std::optional<EpochMillis> stopped_at;
  std::string share_identifier;
  std::optional<int> scheduling_priority;
  std::map<std::string, std::string> parameters;  // effective: definition defaults + overrides
  JobContainer container;
  std::optional<RetryStrategy> retry_strategy;
  std::optional<JobTimeout> timeout;
  std::vector<JobDependency> depends_on;
  TagMap tags;
  std::optional<bool> propagate_tags;
  std::vector<std::string> platform_capabilities;
  std::vector<AttemptDetail> attempts;  // ended attempts, oldest first

  // Array jobs: a parent has array_size; a child "<parent id>:<index>" has array_index (and the
  // parent's array_size). Children are made lazily, as they become able to run.
  std::optional<int> array_size;
  std::optional<int> array_index;

  // gleaner's own bookkeeping (not in the AWS shape).
  Resources required;
  EpochMillis runnable_since = 0;     // when it last became RUNNABLE (jobStateTimeLimitActions) //
                                      // what one attempt reserves
  Boxed<AttemptPlacement> placement;  // set from STARTING until the attempt ends

  // Array parents only: children [array_next_index, array_size) are not made yet; they may start
  // once the parent's own dependencies are met (array_released). array_stopped: no further
  // children start (cancelled, terminated, or a SEQUENTIAL child failed), with array_stop_reason.
  int array_next_index = 0;
  bool array_released = false;
  bool array_stopped = false;
  std::string array_stop_reason;

  // Multi-node parallel jobs: the parent has node_properties (after SubmitJob's nodeOverrides;
  // each node in exactly one range) and is never placed itself: its nodes "<parent>#<n>" run. A
  // node has node_index and, as bookkeeping, the parent's numNodes and mainNode (node_properties
  // without ranges).
  std::optional<NodeProperties> node_properties;
  std::optional<int> node_index;

  bool IsArrayParent() const { return array_size.has_value() && !array_index.has_value(); }
  bool IsArrayChild() const { return array_index.has_value(); }
  bool IsMultiNodeParent() const { return node_properties.has_value() && !node_index; }
  bool IsMultiNodeNode() const { return node_index.has_value(); }
  bool IsMainNode() const {
    return node_index && node_properties && *node_index == node_properties->main_node;
  }
  int AttemptNumber() const { return static_cast<int>(attempts.size()) + 1; }
  // arn:aws:batch:<region>:<account>:job/<id>, in the scope of its job queue's ARN (not stored:
  // it would cost every job its bytes).
  std::string JobArn() const;
};

}  // namespace gleaner
