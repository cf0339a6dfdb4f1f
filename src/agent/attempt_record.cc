#include "agent/attempt_record.h"

#include <nlohmann/json.hpp>

#include <cstdio>

#include "model/json_members.h"

namespace gleaner {

using nlohmann::json;

std::string EncodeAttemptRecord(const AttemptRecord& record) {
  json out = {{"jobId", record.key.job_id},
              {"attempt", record.key.attempt},
              {"pid", record.pid},
              {"startTicks", record.start_ticks},
              {"logStreamName", record.log_stream_name},
              {"logOffset", record.log_offset}};
  if (!record.container_name.empty()) {
    out["containerName"] = record.container_name;
    out["image"] = record.image;
  }
  return out.dump() + "\n";
}

Result<AttemptRecord> DecodeAttemptRecord(std::string_view text) {
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Status::InvalidArgument("the record is not valid JSON");
  return ParseObject<AttemptRecord>(parsed, "", [](JsonObjectReader& in, AttemptRecord& out) {
    int64_t pid = 0;
    in.Require("jobId");
    in.Read("jobId", out.key.job_id);
    in.Require("attempt");
    in.Read("attempt", out.key.attempt);
    in.Read("pid", pid);
    in.Read("startTicks", out.start_ticks);
    in.Require("logStreamName");
    in.Read("logStreamName", out.log_stream_name);
    in.Read("logOffset", out.log_offset);
    in.Read("containerName", out.container_name);
    in.Read("image", out.image);
    if (!in.ok()) return;
    if (out.key.job_id.empty()) in.Fail("jobId", "must not be empty");
    if (out.key.attempt < 1) in.Fail("attempt", "must be at least 1");
    if (pid < 0 || pid > INT32_MAX) in.Fail("pid", "is not a process id");
    if (out.log_offset < 0) in.Fail("logOffset", "must not be negative");
    out.pid = static_cast<pid_t>(pid);
  });
}

std::string AttemptFileName(const AttemptKey& key) {
  std::string name;
  for (unsigned char byte : key.job_id) {
    bool plain = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
                 (byte >= '0' && byte <= '9') || byte == '_' || byte == '-';
    if (plain) {
      name += static_cast<char>(byte);
    } else {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", byte);
      name += escaped;
    }
  }
  return name + "." + std::to_string(key.attempt);
}

bool IsSafeLogStreamName(std::string_view name) {
  if (name.empty() || name.front() == '/') return false;
  while (true) {
    size_t slash = name.find('/');
    std::string_view segment = name.substr(0, slash);
    if (segment.empty() || segment == "." || segment == "..") return false;
    if (segment.find('\0') != std::string_view::npos) return false;
    if (slash == std::string_view::npos) return true;
    name.remove_prefix(slash + 1);
  }
}

}  // namespace gleaner
