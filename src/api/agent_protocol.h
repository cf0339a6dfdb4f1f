#pragma once

// The agent protocol: how `gleaner agent` joins a compute environment and runs its attempts.
// JSON over HTTP on gleaner's one endpoint; the requests, answers and rules are in
// src/api/README.md ("Agent protocol"). Shared by the server's agent hub and the agent daemon.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/resources.h"
#include "runtime/container_spec.h"

namespace gleaner {

inline constexpr std::string_view kAgentRegisterPath = "/gleaner/v1/agent/register";
inline constexpr std::string_view kAgentPollPath = "/gleaner/v1/agent/poll";
inline constexpr std::string_view kAgentReportPath = "/gleaner/v1/agent/report";
inline constexpr std::string_view kAgentLogsPath = "/gleaner/v1/agent/logs";
// The "__type" of the HTTP 404 that tells an agent to register again (the server restarted, or it
// declared the agent lost).
inline constexpr std::string_view kAgentNotRegistered = "AgentNotRegisteredException";
// HTTP 403: the agent cannot prove that the instance id it names is its own.
inline constexpr std::string_view kAgentIdentityRefused = "AgentIdentityException";
// Every request naming an instance id carries the credential the server gave for it.
inline constexpr std::string_view kAgentCredentialHeader = "X-Gleaner-Agent-Credential";

// One attempt of one job: what the agent and the server both name it by.
struct AttemptKey {
  std::string job_id;
  int attempt = 0;  // 1-based, as AWS_BATCH_JOB_ATTEMPT
  auto operator<=>(const AttemptKey&) const = default;
};

struct AgentRegistration {
  std::string cluster;      // ECS cluster name or ARN of the compute environment to join
  std::string instance_id;  // empty for a new agent; a restarted agent sends the id it had
  std::string hostname;
  // The IPv4 address its attempts are reached at from other machines (multi-node jobs' main
  // node); empty: not said.
  std::string private_ipv4_address;
  Resources resources;               // what it offers
  std::vector<AttemptKey> attempts;  // attempts it still holds (running, or ended unreported)
};

struct AgentRegistered {
  std::string instance_id;
  std::string agent_credential;  // sent with every later request (kAgentCredentialHeader)
  std::string container_instance_arn;
  std::string compute_environment_arn;
  int64_t poll_wait_millis = 10'000;       // how long a poll may wait for work
  int64_t report_interval_millis = 2'000;  // the heartbeat: a report at least this often
};

struct AgentPoll {
  std::string instance_id;
  int64_t wait_millis = 0;
};

struct AttemptAssignment {
  AttemptKey key;
  std::vector<std::string> argv;
  // The job's variables ("NAME=value"); the agent adds its own PATH, HOME, ... under them.
  std::vector<std::string> environment;
  std::string log_stream_name;
  std::string user;  // containerProperties.user; empty: the agent's own user
  // The job's container, for an agent that runs containers (`gleaner agent --runtime container`):
  // `argv` is then its command (empty: the image's own). An agent that runs processes runs `argv`.
  // The container's name is the agent's to choose.
  std::optional<ContainerSpec> container;
};

struct AttemptSignal {
  AttemptKey key;
  int signal = 0;  // to the attempt's process group
};

// A poll's answer: attempts to start and signals for attempts already running.
struct AgentWork {
  std::vector<AttemptAssignment> assignments;
  std::vector<AttemptSignal> signals;
};

// kStarting: assigned and being launched (an image being pulled), not running yet.
enum class AttemptState { kStarting, kRunning, kExited, kLaunchFailed };
// "STARTING", "RUNNING", "EXITED", "LAUNCH_FAILED": the names on the wire.
std::string_view ToString(AttemptState state);

struct AttemptReport {
  AttemptKey key;
  AttemptState state = AttemptState::kRunning;
  int64_t pid = 0;          // kRunning
  int64_t start_ticks = 0;  // kRunning
  int exit_code = 0;        // kExited: as the shell reports it (128 + signal when signalled)
  int signal = 0;           // kExited: the signal that ended it, 0 when it exited
  // kLaunchFailed: why; kExited: why it ended when that is more than its exit code (AWS's words,
  // "OutOfMemoryError: ..."); kStarting: what the launch waits for ("Pulling image ..."), or empty.
  std::string reason;
};

// Every attempt the agent holds; sent at least every report_interval_millis (the heartbeat).
struct AgentReport {
  std::string instance_id;
  std::vector<AttemptReport> attempts;
};

struct AgentReportReply {
  std::vector<AttemptKey> acknowledged;  // ended attempts the server has recorded: forget them
  std::vector<AttemptSignal> signals;    // running attempts the server no longer runs there
};

std::string EncodeAgentRegistration(const AgentRegistration& registration);
Result<AgentRegistration> DecodeAgentRegistration(std::string_view body);
std::string EncodeAgentRegistered(const AgentRegistered& registered);
Result<AgentRegistered> DecodeAgentRegistered(std::string_view body);
std::string EncodeAgentPoll(const AgentPoll& poll);
Result<AgentPoll> DecodeAgentPoll(std::string_view body);
std::string EncodeAgentWork(const AgentWork& work);
Result<AgentWork> DecodeAgentWork(std::string_view body);
std::string EncodeAgentReport(const AgentReport& report);
Result<AgentReport> DecodeAgentReport(std::string_view body);
std::string EncodeAgentReportReply(const AgentReportReply& reply);
Result<AgentReportReply> DecodeAgentReportReply(std::string_view body);

}  // namespace gleaner
