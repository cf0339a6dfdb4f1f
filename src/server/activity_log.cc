#include "server/activity_log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "model/arn.h"
#include "model/job_status.h"
#include "scheduler/batch_state.h"

namespace gleaner {
namespace {

std::string EnvironmentName(const std::string& arn) {
  std::string name = ArnResourceName(arn, "compute-environment");
  return name.empty() ? "(none)" : name;
}

std::string Describe(const SimulatedInstance& instance) {
  return instance.pool.instance_type +
         (instance.purchase == PurchaseOption::kSpot ? " spot" : " on-demand") + " in " +
         instance.pool.availability_zone + ", compute environment " +
         EnvironmentName(instance.compute_environment_arn);
}

void ObserveJob(const Job& job, JobStatus status) {
  std::string name = job.job_name + " (" + job.job_id + ")";
  if (status == JobStatus::kFailed) {
    spdlog::warn("job {} failed: {}", name, job.status_reason);
  } else if (status == JobStatus::kRunnable && !job.attempts.empty()) {
    const AttemptDetail& attempt = job.attempts.back();
    spdlog::info("job {} attempt {} ended ({}); retrying", name, job.attempts.size(),
                 attempt.status_reason.empty() ? attempt.container.reason : attempt.status_reason);
  } else if (status == JobStatus::kSucceeded) {
    spdlog::debug("job {} succeeded", name);
  }
}

// spdlog's message, escaped as a JSON string's contents.
class JsonEscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& message, const std::tm&,
              spdlog::memory_buf_t& destination) override {
    static constexpr char kHex[] = "0123456789abcdef";
    for (char c : std::string_view(message.payload.data(), message.payload.size())) {
      auto byte = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        destination.push_back('\\');
        destination.push_back(c);
      } else if (byte < 0x20) {
        const char escaped[] = {'\\', 'u', '0', '0', kHex[byte >> 4], kHex[byte & 15]};
        destination.append(escaped, escaped + sizeof(escaped));
      } else {
        destination.push_back(c);
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return spdlog::details::make_unique<JsonEscapedMessage>();
  }
};

}  // namespace

void ActivityLog::Observe(const BatchState& state, const StateChanges& changes,
                          const Ec2Cloud* cloud) {
  for (const auto& [id, status] : changes.status_transitions) {
    if (const Job* job = state.FindJob(id)) ObserveJob(*job, status);
  }
  if (cloud != nullptr) ObserveCloud(*cloud);
}

void ActivityLog::ObserveCloud(const Ec2Cloud& cloud) {
  std::map<std::string, int> sizes;
  for (const auto& [id, instance] : cloud.instances()) {
    if (instance.state != InstanceState::kTerminated) {
      ++sizes[EnvironmentName(instance.compute_environment_arn)];
    }
    auto [told, added] = instances_.try_emplace(id, Told{instance.state});
    if (added && seen_cloud_) {
      spdlog::info("instance {} launched: {}", id, Describe(instance));
    }
    if (instance.notice_at && !told->second.notice) {
      told->second.notice = true;
      spdlog::warn("instance {} ({}) interruption notice: reclaimed at {}", id, Describe(instance),
                   FormatIso8601Seconds(instance.deadline_at.value_or(*instance.notice_at)));
    }
    if (instance.rebalance_at && !told->second.rebalance) {
      told->second.rebalance = true;
      spdlog::info("instance {} ({}) rebalance recommendation", id, Describe(instance));
    }
    if (instance.state != told->second.state) {
      told->second.state = instance.state;
      if (instance.state == InstanceState::kTerminated) {
        spdlog::info("instance {} terminated: {}", id,
                     instance.state_reason.empty() ? "scaled in" : instance.state_reason);
      }
    }
  }
  std::erase_if(instances_, [&cloud](const auto& told) { return !cloud.FindInstance(told.first); });
  for (const auto& [environment, count] : sizes) {
    auto [told, added] = environment_sizes_.try_emplace(environment, 0);
    if (told->second != count && seen_cloud_) {
      spdlog::info("compute environment {} scaled {} to {} instance(s)", environment,
                   count > told->second ? "out" : "in", count);
    }
    told->second = count;
  }
  for (auto& [environment, count] : environment_sizes_) {
    if (count != 0 && !sizes.contains(environment)) {
      if (seen_cloud_) spdlog::info("compute environment {} scaled in to 0 instances", environment);
      count = 0;
    }
  }
  seen_cloud_ = true;
}

Status ConfigureServerLog(const std::string& level, const std::string& format) {
  spdlog::level::level_enum parsed = spdlog::level::from_str(level);
  if (level != "debug" && level != "info" && level != "warn" && level != "error") {
    return Status::InvalidArgument("--log-level must be debug, info, warn or error, not " + level);
  }
  if (format != "text" && format != "json") {
    return Status::InvalidArgument("--log-format must be text or json, not " + format);
  }
  // Logs go to stderr: stdout carries the endpoint line that scripts and tests read.
  auto logger = spdlog::stderr_color_mt("gleaner");
  logger->set_level(parsed);
  if (format == "json") {
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<JsonEscapedMessage>('*').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","message":"%*"})");
    logger->set_formatter(std::move(formatter));
  }
  spdlog::set_default_logger(logger);
  return Status::Ok();
}

}  // namespace gleaner
