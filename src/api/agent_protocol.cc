#include "api/agent_protocol.h"

#include <arpa/inet.h>

#include <nlohmann/json.hpp>

#include <optional>

#include "api/agent_container_spec.h"
#include "model/json_members.h"
#include "model/json_text.h"

namespace gleaner {

std::string_view ToString(AttemptState state) {
  switch (state) {
    case AttemptState::kStarting:
      return "STARTING";
    case AttemptState::kRunning:
      return "RUNNING";
    case AttemptState::kExited:
      return "EXITED";
    case AttemptState::kLaunchFailed:
      return "LAUNCH_FAILED";
  }
  return "RUNNING";
}

namespace {

using nlohmann::json;

template <typename T, typename ReadFields>
Result<T> Decode(std::string_view body, ReadFields read_fields) {
  Result<json> parsed = ParseJsonText(body);
  if (!parsed.ok()) return Status::InvalidArgument("the request body is not valid JSON");
  return ParseObject<T>(*parsed, "", read_fields);
}

json KeyJson(const AttemptKey& key) { return {{"jobId", key.job_id}, {"attempt", key.attempt}}; }

void ReadKey(JsonObjectReader& in, AttemptKey& key) {
  in.Require("jobId");
  in.Read("jobId", key.job_id);
  in.Require("attempt");
  in.Read("attempt", key.attempt);
  if (in.ok() && key.attempt < 1) in.Fail("attempt", "must be at least 1");
}

json SignalJson(const AttemptSignal& signal) {
  json out = KeyJson(signal.key);
  out["signal"] = signal.signal;
  return out;
}

void ReadSignal(JsonObjectReader& in, AttemptSignal& signal) {
  ReadKey(in, signal.key);
  in.Require("signal");
  in.Read("signal", signal.signal);
}

json ReportJson(const AttemptReport& report) {
  json out = KeyJson(report.key);
  out["state"] = ToString(report.state);
  switch (report.state) {
    case AttemptState::kStarting:
      break;
    case AttemptState::kRunning:
      out["pid"] = report.pid;
      out["startTicks"] = report.start_ticks;
      break;
    case AttemptState::kExited:
      out["exitCode"] = report.exit_code;
      out["signal"] = report.signal;
      break;
    case AttemptState::kLaunchFailed:
      break;
  }
  if (!report.reason.empty()) out["reason"] = report.reason;
  return out;
}

void ReadReport(JsonObjectReader& in, AttemptReport& report) {
  ReadKey(in, report.key);
  std::string state;
  in.Require("state");
  in.Read("state", state);
  in.Read("pid", report.pid);
  in.Read("startTicks", report.start_ticks);
  std::optional<int> exit_code;
  in.Read("exitCode", exit_code);
  in.Read("signal", report.signal);
  in.Read("reason", report.reason);
  if (!in.ok()) return;
  if (state == ToString(AttemptState::kStarting)) {
    report.state = AttemptState::kStarting;
  } else if (state == ToString(AttemptState::kRunning)) {
    report.state = AttemptState::kRunning;
    if (report.pid < 1) in.Fail("pid", "is required for a RUNNING attempt and must be at least 1");
  } else if (state == ToString(AttemptState::kExited)) {
    report.state = AttemptState::kExited;
    if (!exit_code) in.Fail("exitCode", "is required for an EXITED attempt");
    report.exit_code = exit_code.value_or(0);
    if (report.signal < 0 || report.signal > 64) in.Fail("signal", "must be 0 to 64");
  } else if (state == ToString(AttemptState::kLaunchFailed)) {
    report.state = AttemptState::kLaunchFailed;
    if (report.reason.empty()) in.Fail("reason", "is required for a LAUNCH_FAILED attempt");
  } else {
    in.Fail("state", "must be STARTING, RUNNING, EXITED or LAUNCH_FAILED");
  }
}

json ResourcesJson(const Resources& resources) {
  return {{"millivcpus", resources.millivcpus},
          {"memoryMib", resources.memory_mib},
          {"gpus", resources.gpus}};
}

void ReadResources(JsonObjectReader& in, Resources& resources) {
  in.Read("millivcpus", resources.millivcpus);
  in.Read("memoryMib", resources.memory_mib);
  in.Read("gpus", resources.gpus);
}

}  // namespace

std::string EncodeAgentRegistration(const AgentRegistration& registration) {
  json out = {{"cluster", registration.cluster},
              {"hostname", registration.hostname},
              {"resources", ResourcesJson(registration.resources)},
              {"attempts", json::array()}};
  if (!registration.instance_id.empty()) out["instanceId"] = registration.instance_id;
  if (!registration.private_ipv4_address.empty()) {
    out["privateIpv4Address"] = registration.private_ipv4_address;
  }
  for (const AttemptKey& key : registration.attempts) out["attempts"].push_back(KeyJson(key));
  return DumpJson(out);
}

Result<AgentRegistration> DecodeAgentRegistration(std::string_view body) {
  return Decode<AgentRegistration>(body, [](JsonObjectReader& in, AgentRegistration& out) {
    in.Require("cluster");
    in.Read("cluster", out.cluster);
    in.Read("instanceId", out.instance_id);
    in.Read("hostname", out.hostname);
    in.Read("privateIpv4Address", out.private_ipv4_address);
    in_addr parsed{};
    if (in.ok() && !out.private_ipv4_address.empty() &&
        inet_pton(AF_INET, out.private_ipv4_address.c_str(), &parsed) != 1) {
      in.Fail("privateIpv4Address", "must be an IPv4 address in dotted-decimal form");
    }
    in.Require("resources");
    in.ReadObject("resources", out.resources, ReadResources);
    in.ReadObjectList("attempts", out.attempts, ReadKey);
  });
}

std::string EncodeAgentRegistered(const AgentRegistered& registered) {
  return DumpJson({{"instanceId", registered.instance_id},
                   {"agentCredential", registered.agent_credential},
                   {"containerInstanceArn", registered.container_instance_arn},
                   {"computeEnvironmentArn", registered.compute_environment_arn},
                   {"pollWaitMillis", registered.poll_wait_millis},
                   {"reportIntervalMillis", registered.report_interval_millis}});
}

Result<AgentRegistered> DecodeAgentRegistered(std::string_view body) {
  return Decode<AgentRegistered>(body, [](JsonObjectReader& in, AgentRegistered& out) {
    in.Require("instanceId");
    in.Read("instanceId", out.instance_id);
    in.Read("agentCredential", out.agent_credential);
    in.Read("containerInstanceArn", out.container_instance_arn);
    in.Read("computeEnvironmentArn", out.compute_environment_arn);
    in.Read("pollWaitMillis", out.poll_wait_millis);
    in.Read("reportIntervalMillis", out.report_interval_millis);
  });
}

std::string EncodeAgentPoll(const AgentPoll& poll) {
  return DumpJson({{"instanceId", poll.instance_id}, {"waitMillis", poll.wait_millis}});
}

Result<AgentPoll> DecodeAgentPoll(std::string_view body) {
  return Decode<AgentPoll>(body, [](JsonObjectReader& in, AgentPoll& out) {
    in.Require("instanceId");
    in.Read("instanceId", out.instance_id);
    in.Read("waitMillis", out.wait_millis);
    if (in.ok() && out.wait_millis < 0) in.Fail("waitMillis", "must not be negative");
  });
}

std::string EncodeAgentWork(const AgentWork& work) {
  json out = {{"assignments", json::array()}, {"signals", json::array()}};
  for (const AttemptAssignment& assignment : work.assignments) {
    json item = KeyJson(assignment.key);
    item["argv"] = assignment.argv;
    item["environment"] = assignment.environment;
    item["logStreamName"] = assignment.log_stream_name;
    if (!assignment.user.empty()) item["user"] = assignment.user;
    if (assignment.container) item["container"] = ContainerSpecJson(*assignment.container);
    out["assignments"].push_back(std::move(item));
  }
  for (const AttemptSignal& signal : work.signals) out["signals"].push_back(SignalJson(signal));
  return DumpJson(out);
}

Result<AgentWork> DecodeAgentWork(std::string_view body) {
  return Decode<AgentWork>(body, [](JsonObjectReader& in, AgentWork& out) {
    in.ReadObjectList("assignments", out.assignments,
                      [](JsonObjectReader& item, AttemptAssignment& assignment) {
                        ReadKey(item, assignment.key);
                        item.Read("argv", assignment.argv);
                        item.Read("environment", assignment.environment);
                        item.Read("logStreamName", assignment.log_stream_name);
                        item.Read("user", assignment.user);
                        item.ReadObject("container", assignment.container, ReadContainerSpec);
                      });
    in.ReadObjectList("signals", out.signals, ReadSignal);
  });
}

std::string EncodeAgentReport(const AgentReport& report) {
  json out = {{"instanceId", report.instance_id}, {"attempts", json::array()}};
  for (const AttemptReport& attempt : report.attempts) {
    out["attempts"].push_back(ReportJson(attempt));
  }
  return DumpJson(out);
}

Result<AgentReport> DecodeAgentReport(std::string_view body) {
  return Decode<AgentReport>(body, [](JsonObjectReader& in, AgentReport& out) {
    in.Require("instanceId");
    in.Read("instanceId", out.instance_id);
    in.ReadObjectList("attempts", out.attempts, ReadReport);
  });
}

std::string EncodeAgentReportReply(const AgentReportReply& reply) {
  json out = {{"acknowledged", json::array()}, {"signals", json::array()}};
  for (const AttemptKey& key : reply.acknowledged) out["acknowledged"].push_back(KeyJson(key));
  for (const AttemptSignal& signal : reply.signals) out["signals"].push_back(SignalJson(signal));
  return DumpJson(out);
}

Result<AgentReportReply> DecodeAgentReportReply(std::string_view body) {
  return Decode<AgentReportReply>(body, [](JsonObjectReader& in, AgentReportReply& out) {
    in.ReadObjectList("acknowledged", out.acknowledged, ReadKey);
    in.ReadObjectList("signals", out.signals, ReadSignal);
  });
}

}  // namespace gleaner
