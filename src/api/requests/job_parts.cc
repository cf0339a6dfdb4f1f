#include "api/requests/job_parts.h"

#include <limits>
#include <set>

#include "api/requests/field_rules.h"
#include "model/resources.h"

namespace gleaner::fields {
namespace {

using nlohmann::json;

constexpr int kMinAttempts = 1;
constexpr int kMaxAttempts = 10;
constexpr size_t kMaxEvaluateOnExitRules = 5;
constexpr size_t kMaxPatternLength = 512;
constexpr int kMinAttemptDurationSeconds = 60;
constexpr int64_t kMilliVcpusPerVcpu = 1000;
constexpr std::string_view kReservedEnvironmentPrefix = "AWS_BATCH";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Letters, digits, '.', ':' and white space (ASCII, whatever the process's locale).
bool IsReasonCharacter(char c) {
  bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  bool space = c == ' ' || (c >= '\t' && c <= '\r');
  return letter || IsDigit(c) || space || c == '.' || c == ':';
}

// AWS's glob: characters allowed by `allowed`, and '*' anywhere ("*spot*").
template <typename Allowed>
bool IsPattern(std::string_view pattern, Allowed allowed) {
  for (char c : pattern) {
    if (c != '*' && !allowed(c)) return false;
  }
  return true;
}

Status ReadPattern(const ObjectFields& rule, std::string_view member, bool digits_only,
                   std::optional<std::string>* out) {
  GLEANER_RETURN_IF_ERROR(rule.Optional(member, out));
  if (!*out) return Status::Ok();
  std::string path = rule.PathOf(member);
  GLEANER_RETURN_IF_ERROR(CheckMaxLength(path, **out, kMaxPatternLength));
  if (digits_only && !IsPattern(**out, IsDigit)) {
    return Invalid(path, **out, "must contain only digits and '*'");
  }
  if (!digits_only && !IsPattern(**out, IsReasonCharacter)) {
    return Invalid(path, **out, "must contain only letters, digits, '.', ':', white space and '*'");
  }
  return Status::Ok();
}

Status ReadEvaluateOnExit(const json& value, const std::string& path, EvaluateOnExit* out) {
  Result<ObjectFields> rule = ObjectFields::Open(value, path);
  if (!rule.ok()) return rule.status();
  GLEANER_RETURN_IF_ERROR(ReadPattern(*rule, "onStatusReason", false, &out->on_status_reason));
  GLEANER_RETURN_IF_ERROR(ReadPattern(*rule, "onReason", false, &out->on_reason));
  GLEANER_RETURN_IF_ERROR(ReadPattern(*rule, "onExitCode", true, &out->on_exit_code));
  GLEANER_RETURN_IF_ERROR(rule->Required("action", &out->action));
  std::string upper = out->action;
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  if (upper != "RETRY" && upper != "EXIT") {
    return Invalid(rule->PathOf("action"), out->action, "must be RETRY or EXIT (in any case)");
  }
  return Status::Ok();
}

// A whole number written with digits only, up to `max`.
std::optional<int64_t> ParseWhole(std::string_view text, int64_t max) {
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (!IsDigit(c)) return std::nullopt;
    value = value * 10 + (c - '0');
    if (value > max) return std::nullopt;
  }
  return value;
}

Status CheckVcpuValue(const std::string& path, const std::string& value, VcpuPrecision precision) {
  Result<int64_t> millivcpus = ParseMilliVcpus(value);
  if (!millivcpus.ok() || *millivcpus <= 0) {
    return Invalid(path, value,
                   "VCPU must be a number of vCPUs above 0 with at most 3 decimals, such as 2 or "
                   "0.25");
  }
  if (precision == VcpuPrecision::kWhole && *millivcpus % kMilliVcpusPerVcpu != 0) {
    return Invalid(path, value,
                   "VCPU must be a whole number of vCPUs for EC2; fractions are for FARGATE");
  }
  return Status::Ok();
}

Status CheckRequirementValue(const std::string& path, const ResourceRequirement& requirement,
                             VcpuPrecision precision) {
  constexpr int64_t kMaxInt = std::numeric_limits<int>::max();
  if (requirement.type == "VCPU") return CheckVcpuValue(path, requirement.value, precision);
  if (requirement.type == "MEMORY") {
    std::optional<int64_t> mib = ParseWhole(requirement.value, kMaxInt);
    if (mib && *mib > 0) return Status::Ok();
    return Invalid(path, requirement.value,
                   "MEMORY must be a whole number of MiB between 1 and 2147483647");
  }
  if (ParseWhole(requirement.value, kMaxInt)) return Status::Ok();  // GPU
  return Invalid(path, requirement.value, "GPU must be a whole number between 0 and 2147483647");
}

Status ReadResourceRequirement(const json& value, const std::string& path, VcpuPrecision precision,
                               ResourceRequirement* out) {
  Result<ObjectFields> entry = ObjectFields::Open(value, path);
  if (!entry.ok()) return entry.status();
  GLEANER_RETURN_IF_ERROR(entry->Required("type", &out->type));
  GLEANER_RETURN_IF_ERROR(CheckEnum(entry->PathOf("type"), out->type, {"VCPU", "MEMORY", "GPU"}));
  GLEANER_RETURN_IF_ERROR(entry->Required("value", &out->value));
  return CheckRequirementValue(entry->PathOf("value"), *out, precision);
}

Status CheckNoNul(std::string_view path, const std::string& text) {
  if (text.find('\0') == std::string::npos) return Status::Ok();
  return Invalid(path, text, "must not contain NUL characters");
}

Status ReadEnvironmentVariable(const json& value, const std::string& path, KeyValuePair* out) {
  Result<ObjectFields> entry = ObjectFields::Open(value, path);
  if (!entry.ok()) return entry.status();
  GLEANER_RETURN_IF_ERROR(entry->Required("name", &out->name));
  GLEANER_RETURN_IF_ERROR(entry->ReadIfPresent("value", &out->value));
  std::string name_path = entry->PathOf("name");
  if (out->name.empty() || out->name.find_first_of(std::string("=\0", 2)) != std::string::npos) {
    return Invalid(name_path, out->name, "names must be non-empty and contain no '=' or NUL");
  }
  if (out->name.starts_with(kReservedEnvironmentPrefix)) {
    return Invalid(name_path, out->name, "names starting with AWS_BATCH are reserved");
  }
  return CheckNoNul(entry->PathOf("value"), out->value);
}

}  // namespace

Status ReadRetryStrategy(const ObjectFields& parent, std::optional<RetryStrategy>* out) {
  std::optional<ObjectFields> members;
  GLEANER_RETURN_IF_ERROR(parent.OptionalObject("retryStrategy", &members));
  if (!members) return Status::Ok();
  RetryStrategy strategy;
  GLEANER_RETURN_IF_ERROR(members->Optional("attempts", &strategy.attempts));
  if (strategy.attempts) {
    GLEANER_RETURN_IF_ERROR(
        CheckRange(members->PathOf("attempts"), *strategy.attempts, kMinAttempts, kMaxAttempts));
  }
  const json* rules = nullptr;
  GLEANER_RETURN_IF_ERROR(members->OptionalArray("evaluateOnExit", &rules));
  if (rules != nullptr) {
    std::string path = members->PathOf("evaluateOnExit");
    GLEANER_RETURN_IF_ERROR(CheckCount(path, rules->size(), 0, kMaxEvaluateOnExitRules));
    GLEANER_RETURN_IF_ERROR(ReadEach(*rules, path, &strategy.evaluate_on_exit, ReadEvaluateOnExit));
  }
  *out = std::move(strategy);
  return Status::Ok();
}

Status ReadJobTimeout(const ObjectFields& parent, std::optional<JobTimeout>* out) {
  std::optional<ObjectFields> members;
  GLEANER_RETURN_IF_ERROR(parent.OptionalObject("timeout", &members));
  if (!members) return Status::Ok();
  JobTimeout timeout;
  GLEANER_RETURN_IF_ERROR(
      members->Optional("attemptDurationSeconds", &timeout.attempt_duration_seconds));
  if (timeout.attempt_duration_seconds) {
    GLEANER_RETURN_IF_ERROR(
        CheckRange(members->PathOf("attemptDurationSeconds"), *timeout.attempt_duration_seconds,
                   kMinAttemptDurationSeconds, std::numeric_limits<int>::max()));
  }
  *out = timeout;
  return Status::Ok();
}

Status ReadCommand(const ObjectFields& container, std::optional<std::vector<std::string>>* out) {
  GLEANER_RETURN_IF_ERROR(container.Optional("command", out));
  if (!*out) return Status::Ok();
  for (size_t index = 0; index < (*out)->size(); ++index) {
    GLEANER_RETURN_IF_ERROR(
        CheckNoNul(IndexPath(container.PathOf("command"), index), (**out)[index]));
  }
  return Status::Ok();
}

Status ReadEnvironment(const ObjectFields& container, std::vector<KeyValuePair>* out) {
  const json* variables = nullptr;
  GLEANER_RETURN_IF_ERROR(container.OptionalArray("environment", &variables));
  if (variables == nullptr) return Status::Ok();
  return ReadEach(*variables, container.PathOf("environment"), out, ReadEnvironmentVariable);
}

Status ReadResourceRequirements(const ObjectFields& container, VcpuPrecision precision,
                                std::vector<ResourceRequirement>* out) {
  const json* entries = nullptr;
  GLEANER_RETURN_IF_ERROR(container.OptionalArray("resourceRequirements", &entries));
  if (entries == nullptr) return Status::Ok();
  std::string path = container.PathOf("resourceRequirements");
  std::vector<ResourceRequirement> requirements;
  GLEANER_RETURN_IF_ERROR(ReadEach(
      *entries, path, &requirements,
      [precision](const json& entry, const std::string& entry_path, ResourceRequirement* parsed) {
        return ReadResourceRequirement(entry, entry_path, precision, parsed);
      }));
  std::set<std::string> types;
  for (size_t index = 0; index < requirements.size(); ++index) {
    if (!types.insert(requirements[index].type).second) {
      return Invalid(MemberPath(IndexPath(path, index), "type"), requirements[index].type,
                     "each type may appear only once");
    }
  }
  *out = std::move(requirements);
  return Status::Ok();
}

Status ReadLegacyResources(const ObjectFields& container, std::optional<int>* vcpus,
                           std::optional<int>* memory) {
  constexpr int kMaxInt = std::numeric_limits<int>::max();
  GLEANER_RETURN_IF_ERROR(container.Optional("vcpus", vcpus));
  if (*vcpus) GLEANER_RETURN_IF_ERROR(CheckRange(container.PathOf("vcpus"), **vcpus, 1, kMaxInt));
  GLEANER_RETURN_IF_ERROR(container.Optional("memory", memory));
  if (*memory) {
    GLEANER_RETURN_IF_ERROR(CheckRange(container.PathOf("memory"), **memory, 1, kMaxInt));
  }
  return Status::Ok();
}

}  // namespace gleaner::fields
