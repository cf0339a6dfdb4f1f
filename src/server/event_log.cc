#include "server/event_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>

#include "api/aws_errors.h"
#include "capacity/ec2_cloud.h"
#include "model/json_codec.h"
#include "model/json_text.h"

namespace gleaner {

using nlohmann::json;

namespace {

constexpr int64_t kDayMillis = 86'400'000;

constexpr auto kHeartbeat = std::chrono::seconds(15);

std::string DayOf(EpochMillis at) { return FormatIso8601Seconds(at).substr(0, 10); }

// One Server-Sent Event: its id the sequence number, its data the event (one line of JSON).
std::string SseEvent(const json& event) {
  return "id: " + std::to_string(event["gleanerSequence"].get<uint64_t>()) +
         "\ndata: " + DumpJson(event) + "\n\n";
}

// Opens `path` for appending, creating it private (0600) when missing: events hold job details.
std::ofstream OpenPrivate(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd >= 0) close(fd);
  return std::ofstream(path, std::ios::app);
}

// The day a file was last written, from its modification time; `fallback` when it has none.
std::string DayOfFile(const std::string& path, const std::string& fallback) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0 || info.st_size == 0) return fallback;
  return DayOf(static_cast<EpochMillis>(info.st_mtime) * 1000);
}

}  // namespace

EventLog::EventLog(const Clock& clock, ArnScope scope, const std::string& path, uint64_t seed,
                   int64_t retention_millis, size_t capacity)
    : clock_(clock),
      scope_(std::move(scope)),
      capacity_(capacity),
      path_(path),
      retention_millis_(retention_millis),
      file_(OpenPrivate(path)),
      file_day_(DayOfFile(path, DayOf(clock.NowMillis()))),
      ids_(clock, seed) {
  MutexLock lock(mutex_);
  sequence_ = static_cast<uint64_t>(std::max<EpochMillis>(clock_.NowMillis(), 0)) * 1000;
  RotateIfDueLocked(clock_.NowMillis());  // a file left from an earlier day
  DeleteExpiredLocked(clock_.NowMillis());
}

EventLog::~EventLog() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
    for (const auto& stream : streams_) stream->Close();
  }
  stop_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
}

void EventLog::Follow(uint64_t after, std::shared_ptr<ResponseStream> stream) {
  MutexLock lock(mutex_);
  if (stopping_) return stream->Close();
  stream->Write("retry: 2000\n\n");
  for (const json& event : recent_) {
    if (event["gleanerSequence"].get<uint64_t>() > after) stream->Write(SseEvent(event));
  }
  streams_.push_back(std::move(stream));
  if (heartbeat_.joinable()) return;
  heartbeat_ = std::thread([this] {
    MutexLock held(mutex_);
    while (!stop_.wait_for(held.native(), kHeartbeat,
                           [this]() GLEANER_REQUIRES(mutex_) { return stopping_; })) {
      std::erase_if(streams_, [](const auto& open) { return !open->Write(": keep-alive\n\n"); });
    }
  });
}

void EventLog::RotateIfDueLocked(EpochMillis now) {
  std::string today = DayOf(now);
  if (today == file_day_) return;
  file_.close();
  std::string stem = path_.substr(0, path_.rfind(".jsonl"));
  std::string rotated = stem + "-" + file_day_ + ".jsonl";
  for (int n = 2; std::filesystem::exists(rotated); ++n) {  // rotated already (a restart)
    rotated = stem + "-" + file_day_ + "." + std::to_string(n) + ".jsonl";
  }
  std::error_code error;
  std::filesystem::rename(path_, rotated, error);
  file_ = OpenPrivate(path_);
  file_day_ = today;
  DeleteExpiredLocked(now);
}

void EventLog::DeleteExpiredLocked(EpochMillis now) {
  std::filesystem::path current(path_);
  std::string stem = current.stem().string() + "-";  // "events-"
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(current.parent_path(), error)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(stem, 0) != 0 || !name.ends_with(".jsonl")) continue;
    std::string day = name.substr(stem.size(), 10);
    // A file holds events up to the end of its day; it goes once that is past retention.
    std::tm tm{};
    if (day.size() != 10 || strptime(day.c_str(), "%Y-%m-%d", &tm) == nullptr) continue;
    EpochMillis day_end = static_cast<EpochMillis>(timegm(&tm)) * 1000 + kDayMillis;
    if (day_end + retention_millis_ <= now) {
      std::filesystem::remove(entry.path(), error);
    }
  }
}

void EventLog::Stage(std::vector<json>& staged, const std::string& detail_type,
                     const std::string& source, std::vector<std::string> resources, json detail) {
  staged.push_back({{"version", "0"},
                    {"id", ids_.Next()},
                    {"detail-type", detail_type},
                    {"source", source},
                    {"account", scope_.account_id},
                    {"time", FormatIso8601Seconds(clock_.NowMillis())},
                    {"region", scope_.region},
                    {"resources", std::move(resources)},
                    {"detail", std::move(detail)}});
}

void EventLog::Publish(std::vector<json> staged) {
  MutexLock lock(mutex_);
  if (subscriber_) subscriber_(staged);
  RotateIfDueLocked(clock_.NowMillis());
  for (json& event : staged) {
    if (file_) file_ << DumpJson(event) << '\n';
    event["gleanerSequence"] = ++sequence_;
    if (!streams_.empty()) {
      std::string text = SseEvent(event);
      std::erase_if(streams_, [&text](const auto& stream) { return !stream->Write(text); });
    }
    recent_.push_back(std::move(event));
    if (recent_.size() > capacity_) recent_.pop_front();
  }
  if (file_) file_.flush();
}

std::function<void()> EventLog::Observe(const BatchState& state, const StateChanges& changes,
                                        const Ec2Cloud* cloud) {
  std::vector<json> staged;
  for (const auto& [id, status] : changes.status_transitions) {
    if (status == JobStatus::kSubmitted) continue;  // AWS sends none for a job's first status
    const Job* job = state.FindJob(id);
    if (job == nullptr) continue;
    // The job as it is after the pass, with the status of this transition.
    json detail = ToJson(*job);
    detail["status"] = ToString(status);
    Stage(staged, "Batch Job State Change", "aws.batch", {job->JobArn()}, std::move(detail));
  }
  ObserveBlockedQueues(state, staged);
  if (cloud != nullptr) ObserveCloud(*cloud, staged);
  if (staged.empty()) return {};
  return [this, staged = std::move(staged)]() mutable { Publish(std::move(staged)); };
}

namespace {

// The reasons AWS names a queue blocked by (its "Jobs stuck in a RUNNABLE status"): the job at
// the head cannot run as configured, or no capacity can be had; not an ordinary wait for room.
bool BlocksTheQueue(const std::string& reason) {
  return reason.starts_with("MISCONFIGURATION:") ||
         reason.starts_with("CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY") ||
         reason.starts_with("ACTION_REQUIRED");
}

}  // namespace

void EventLog::ObserveBlockedQueues(const BatchState& state, std::vector<json>& staged) {
  std::map<std::string, std::string> still_blocked;
  DescribeJobQueuesRequest request;
  do {
    std::string next_token;
    Result<std::vector<const JobQueue*>> queues = state.DescribeJobQueues(request, &next_token);
    if (!queues.ok()) return;
    for (const JobQueue* queue : *queues) {
      const Job* head = state.ActivityOf(queue->arn).oldest_runnable;
      if (head == nullptr) continue;
      std::string reason =
          head->status_reason.empty() ? state.ExplainWaiting(*head) : head->status_reason;
      if (!BlocksTheQueue(reason)) continue;
      std::string key = head->job_id + "\n" + reason;
      auto told = blocked_.find(queue->arn);
      still_blocked[queue->arn] = key;
      if (told != blocked_.end() && told->second == key) continue;
      json detail = ToJson(*head);
      detail["statusReason"] = reason;
      Stage(staged, "Batch Job Queue Blocked", "aws.batch", {head->JobArn(), queue->arn},
            std::move(detail));
    }
    request.page.next_token = next_token;
  } while (!request.page.next_token.empty());
  blocked_ = std::move(still_blocked);
}

void EventLog::ObserveCloud(const Ec2Cloud& cloud, std::vector<json>& staged) {
  EpochMillis now = clock_.NowMillis();
  for (const auto& [id, instance] : cloud.instances()) {
    std::string arn = scope_.Resource("ec2", "instance/" + id);
    if (instance.rebalance_at && *instance.rebalance_at <= now && rebalanced_.insert(id).second) {
      Stage(staged, "EC2 Instance Rebalance Recommendation", "aws.ec2", {arn},
            {{"instance-id", id}});
    }
    if (instance.notice_at && *instance.notice_at <= now && warned_.insert(id).second) {
      Stage(staged, "EC2 Spot Instance Interruption Warning", "aws.ec2", {arn},
            {{"instance-id", id}, {"instance-action", "terminate"}});
    }
  }
  // EC2 Instance State-change Notification for each state an instance moves to. The first look
  // (after a start or restart) only learns the states: they were told before.
  for (const auto& [id, instance] : cloud.instances()) {
    auto [known, added] = instance_states_.try_emplace(id, instance.state);
    if ((!added || !instances_seen_) && known->second == instance.state) continue;
    known->second = instance.state;
    // Besides the instance, the compute environment it serves (the dashboard's scaling history).
    std::vector<std::string> resources = {scope_.Resource("ec2", "instance/" + id)};
    if (!instance.compute_environment_arn.empty()) {
      resources.push_back(instance.compute_environment_arn);
    }
    Stage(staged, "EC2 Instance State-change Notification", "aws.ec2", std::move(resources),
          {{"instance-id", id}, {"state", InstanceStateName(instance.state)}});
  }
  instances_seen_ = true;
  std::erase_if(instance_states_,
                [&cloud](const auto& known) { return !cloud.FindInstance(known.first); });
  std::erase_if(warned_, [&cloud](const std::string& id) { return !cloud.FindInstance(id); });
  std::erase_if(rebalanced_, [&cloud](const std::string& id) { return !cloud.FindInstance(id); });
}

std::vector<json> EventLog::Latest(const std::set<std::string>& detail_types, size_t limit) const {
  MutexLock lock(mutex_);
  std::vector<json> events;
  for (auto it = recent_.rbegin(); it != recent_.rend() && events.size() < limit; ++it) {
    if (detail_types.empty() || detail_types.count((*it)["detail-type"].get<std::string>())) {
      events.push_back(*it);
    }
  }
  std::reverse(events.begin(), events.end());
  return events;
}

std::vector<json> EventLog::Since(uint64_t after, size_t limit) const {
  MutexLock lock(mutex_);
  std::vector<json> events;
  for (const json& event : recent_) {
    if (event["gleanerSequence"].get<uint64_t>() <= after) continue;
    events.push_back(event);
    if (events.size() >= limit) break;
  }
  return events;
}

namespace {

// A non-negative integer query parameter; nullopt when malformed.
std::optional<uint64_t> QueryNumber(const std::map<std::string, std::vector<std::string>>& query,
                                    const std::string& name, uint64_t fallback) {
  auto found = query.find(name);
  if (found == query.end() || found->second.empty()) return fallback;
  const std::string& text = found->second.front();
  if (text.empty() || text.size() > 19 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoull(text);
}

}  // namespace

HttpHandler MakeEventsRoute(EventLog& log) {
  return [&log](HttpRequest&& request, Responder respond) {
    if (request.method != "GET") {
      return respond(BatchErrorResponse(Status::InvalidArgument("events must be read with GET")));
    }
    auto query = ParseQuery(request.query);
    std::optional<uint64_t> after = QueryNumber(query, "after", 0);
    auto accept = request.headers.find("accept");
    if (accept != request.headers.end() &&
        accept->second.find("text/event-stream") != std::string::npos) {
      if (auto last = request.headers.find("last-event-id"); last != request.headers.end()) {
        after = QueryNumber({{"after", {last->second}}}, "after", 0);
      }
      if (!after) {
        return respond(BatchErrorResponse(
            Status::InvalidArgument("Last-Event-ID and after must be sequence numbers")));
      }
      HttpResponse response;
      response.content_type = "text/event-stream";
      response.headers.emplace_back("Cache-Control", "no-cache");
      response.stream = [&log, from = *after](std::shared_ptr<ResponseStream> stream) {
        log.Follow(from, std::move(stream));
      };
      return respond(std::move(response));
    }
    std::optional<uint64_t> limit = QueryNumber(query, "limit", 1000);
    if (!after || !limit || *limit < 1 || *limit > 10'000) {
      return respond(BatchErrorResponse(Status::InvalidArgument(
          "after must be a sequence number and limit a number from 1 to 10000")));
    }
    auto types = query.find("detailType");
    std::vector<json> events =
        query.count("latest") == 0
            ? log.Since(*after, *limit)
            : log.Latest(types == query.end()
                             ? std::set<std::string>()
                             : std::set<std::string>(types->second.begin(), types->second.end()),
                         *limit);
    uint64_t next = events.empty() ? *after : events.back()["gleanerSequence"].get<uint64_t>();
    respond(JsonResponse(DumpJson({{"events", events}, {"next", next}})));
  };
}

}  // namespace gleaner
