// AgentHub: the agent protocol's HTTP side (register, long polls, reports, logs).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "api/aws_errors.h"
#include "api/sigv4.h"
#include "common/contain.h"
#include "common/private_directory.h"
#include "common/steady_time.h"
#include "model/json_text.h"
#include "scheduler/batch_state.h"
#include "server/agent_hub.h"

namespace gleaner {
namespace {

constexpr int64_t kMaxPollWaitMillis = 30'000;

// "i-" and 8 or 17 lower-case hex digits, as EC2's.
bool IsInstanceId(const std::string& id) {
  if (id.size() != 10 && id.size() != 19) return false;
  if (id.compare(0, 2, "i-") != 0) return false;
  return id.find_first_not_of("0123456789abcdef", 2) == std::string::npos;
}

HttpResponse IdentityRefused(const std::string& instance_id) {
  return JsonProtocolError(std::string(kAgentIdentityRefused),
                           "instanceId: " + instance_id + " belongs to the agent that registered " +
                               "it, and this request does not carry its credential (" +
                               std::string(kAgentCredentialHeader) +
                               "); register without an instanceId to join as a new instance",
                           403);
}

HttpResponse NotRegistered(const std::string& instance_id) {
  return JsonProtocolError(std::string(kAgentNotRegistered),
                           "instanceId: " + instance_id +
                               " is not a registered agent (the server restarted, or declared it "
                               "lost); register again",
                           404);
}

HttpResponse ClientError(const std::string& message, int http_status = 400) {
  return JsonProtocolError("ClientException", message, http_status);
}

std::string FirstQueryValue(const std::map<std::string, std::vector<std::string>>& query,
                            const std::string& name) {
  auto it = query.find(name);
  return it == query.end() || it->second.empty() ? "" : it->second.front();
}

// Appends what `path` lacks of `data`, which starts at byte `offset` of the stream (nothing when
// bytes before it are missing); returns the stream's size afterwards.
Result<int64_t> AppendFrom(const std::string& path, int64_t offset, std::string_view data) {
  Status directory = CreatePrivateDirectories(std::filesystem::path(path).parent_path().string());
  if (!directory.ok())
    return Status::Internal("cannot create the log's directory " + directory.message());
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Internal("cannot open the log " + path);
  struct stat info {};
  fstat(fd, &info);
  int64_t size = info.st_size;
  if (offset > size) {  // bytes before `offset` never arrived: the agent goes on from `size`
    close(fd);
    return size;
  }
  int64_t skip = std::min<int64_t>(size - offset, std::ssize(data));
  data.remove_prefix(static_cast<size_t>(skip));
  while (!data.empty()) {
    ssize_t written = write(fd, data.data(), data.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) break;
    data.remove_prefix(static_cast<size_t>(written));
    size += written;
  }
  close(fd);
  return size;
}

}  // namespace

void AgentHub::Handle(HttpRequest&& request, Responder respond) {
  if (!options_.token.empty()) {
    auto header = request.headers.find("authorization");
    if (header == request.headers.end() ||
        !SecretsEqual(header->second, "Bearer " + options_.token)) {
      return respond(ClientError(
          "Authorization: agents must present the server's --agent-token as \"Bearer <token>\"",
          403));
    }
  }
  if (request.method != "POST") {
    return respond(ClientError("the agent protocol takes POST requests only", 405));
  }
  if (request.body_too_large) return respond(ClientError("the request body is too large", 413));
  if (request.path == kAgentRegisterPath) return Register(request, std::move(respond));
  if (request.path == kAgentPollPath) return Poll(request, std::move(respond));
  if (request.path == kAgentReportPath) return Report(request, std::move(respond));
  if (request.path == kAgentLogsPath) return ReceiveLogs(request, std::move(respond));
  respond(ClientError("no agent operation at " + request.path, 404));
}

void AgentHub::Register(const HttpRequest& request, Responder respond) {
  Result<AgentRegistration> registration = DecodeAgentRegistration(request.body);
  if (!registration.ok()) return respond(ClientError(registration.status().message()));
  const Resources& offered = registration->resources;
  if (offered.millivcpus <= 0 || offered.millivcpus > 100'000'000 || offered.memory_mib <= 0 ||
      offered.memory_mib > (int64_t{1} << 36) || offered.gpus < 0 || offered.gpus > 64) {
    return respond(ClientError(
        "resources: an agent offers 1 to 100,000,000 millivcpus, 1 MiB to 64 TiB of memory, and 0 "
        "to 64 GPUs"));
  }
  const std::string& id = registration->instance_id;
  if (!id.empty() && !IsInstanceId(id)) {
    return respond(ClientError("instanceId: \"" + id +
                               "\" is not an EC2 instance id (i- and 8 or "
                               "17 lower-case hex digits)"));
  }
  if (!id.empty() && !ProvesIdentity(request, id)) return respond(IdentityRefused(id));
  auto registered = std::make_shared<AgentRegistered>();
  executor_.Execute(
      [this, registration = std::move(*registration),
       registered](BatchState& state) -> Result<nlohmann::json> {
        GLEANER_RETURN_IF_ERROR(JoinCluster(state, registration, *registered));
        return nlohmann::json::object();
      },
      [this, respond = std::move(respond), registered](Result<nlohmann::json> result) {
        if (!result.ok()) return respond(BatchErrorResponse(result.status()));
        registered->agent_credential = identity_.CredentialFor(registered->instance_id);
        respond(JsonResponse(EncodeAgentRegistered(*registered)));
      });
}

bool AgentHub::ProvesIdentity(const HttpRequest& request, const std::string& instance_id) const {
  std::string name(kAgentCredentialHeader);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto header = request.headers.find(name);
  return header != request.headers.end() && identity_.Verify(instance_id, header->second);
}

bool AgentHub::Touch(const std::string& instance_id) {
  MutexLock lock(mutex_);
  auto agent = agents_.find(instance_id);
  if (agent == agents_.end() || agent->second.awaiting_registration) return false;
  agent->second.last_seen = clock_.NowMillis();
  return true;
}

void AgentHub::Poll(const HttpRequest& request, Responder respond) {
  Result<AgentPoll> poll = DecodeAgentPoll(request.body);
  if (!poll.ok()) return respond(ClientError(poll.status().message()));
  if (!ProvesIdentity(request, poll->instance_id))
    return respond(IdentityRefused(poll->instance_id));
  std::optional<AgentWork> now;
  std::optional<Responder> replaced;
  bool registered = false;
  {
    MutexLock lock(mutex_);
    auto agent = agents_.find(poll->instance_id);
    registered = agent != agents_.end() && !agent->second.awaiting_registration;
    if (registered) {
      Agent& polling = agent->second;
      polling.last_seen = clock_.NowMillis();
      if (polling.poll) {  // a newer poll replaces a held one (the agent gave up on it)
        replaced = std::move(polling.poll->respond);
        polling.poll.reset();
      }
      SteadyTime steady_now = clock_.MonotonicNow();
      AgentWork work = TakeWorkLocked(polling, steady_now);
      if (!work.assignments.empty() || !work.signals.empty() || poll->wait_millis == 0) {
        now = std::move(work);
      } else {
        int64_t wait = std::min(poll->wait_millis, kMaxPollWaitMillis);
        polling.poll = HeldPoll{std::move(respond), steady_now + std::chrono::milliseconds(wait)};
      }
    }
  }
  if (!registered) return respond(NotRegistered(poll->instance_id));
  polls_changed_.notify_all();
  if (replaced) (*replaced)(JsonResponse(EncodeAgentWork({})));
  if (now) respond(JsonResponse(EncodeAgentWork(*now)));
}

void AgentHub::Report(const HttpRequest& request, Responder respond) {
  Result<AgentReport> report = DecodeAgentReport(request.body);
  if (!report.ok()) return respond(ClientError(report.status().message()));
  if (!ProvesIdentity(request, report->instance_id)) {
    return respond(IdentityRefused(report->instance_id));
  }
  if (!Touch(report->instance_id)) return respond(NotRegistered(report->instance_id));
  auto reply = std::make_shared<AgentReportReply>();
  executor_.Execute(
      [this, report = std::move(*report), reply](BatchState& state) -> Result<nlohmann::json> {
        *reply = ApplyReport(state, report);
        return nlohmann::json::object();
      },
      [respond = std::move(respond), reply](Result<nlohmann::json> result) {
        if (!result.ok()) return respond(BatchErrorResponse(result.status()));
        respond(JsonResponse(EncodeAgentReportReply(*reply)));
      });
}

void AgentHub::ReceiveLogs(const HttpRequest& request, Responder respond) {
  auto query = ParseQuery(request.query);
  std::string instance_id = FirstQueryValue(query, "instanceId");
  std::string stream = FirstQueryValue(query, "logStreamName");
  std::string offset_text = FirstQueryValue(query, "offset");
  if (instance_id.empty()) return respond(ClientError("instanceId: required"));
  if (!ProvesIdentity(request, instance_id)) return respond(IdentityRefused(instance_id));
  if (offset_text.empty() || offset_text.size() > 18 ||
      offset_text.find_first_not_of("0123456789") != std::string::npos) {
    return respond(ClientError("offset: must be a byte offset (a non-negative integer)"));
  }
  int64_t offset = std::stoll(offset_text);
  bool registered = false;
  bool assigned = false;
  {
    MutexLock lock(mutex_);
    auto agent = agents_.find(instance_id);
    registered = agent != agents_.end() && !agent->second.awaiting_registration;
    if (registered) {
      agent->second.last_seen = clock_.NowMillis();
      for (const auto& [key, name] : agent->second.log_streams) assigned |= name == stream;
    }
  }
  if (!registered) return respond(NotRegistered(instance_id));
  if (!assigned) {
    return respond(ClientError("logStreamName: \"" + stream +
                               "\" is not the stream of an attempt running on " + instance_id));
  }
  Result<int64_t> size = [&] {
    MutexLock lock(logs_mutex_);
    return AppendFrom(options_.log_directory + "/" + stream, offset, request.body);
  }();
  if (!size.ok()) return respond(BatchErrorResponse(size.status()));
  respond(JsonResponse(DumpJson({{"size", *size}})));
}

std::optional<SteadyTime> AgentHub::TakeExpiredPollsLocked(SteadyTime now,
                                                           std::vector<Responder>& expired) {
  std::optional<SteadyTime> earliest;
  for (auto& [id, agent] : agents_) {
    if (!agent.poll) continue;
    if (stopping_ || agent.poll->deadline <= now) {
      expired.push_back(std::move(agent.poll->respond));
      agent.poll.reset();
    } else if (!earliest || agent.poll->deadline < *earliest) {
      earliest = agent.poll->deadline;
    }
  }
  return earliest;
}

void AgentHub::AnswerExpiredPolls() {
  std::vector<Responder> expired;
  {
    MutexLock lock(mutex_);
    TakeExpiredPollsLocked(clock_.MonotonicNow(), expired);
  }
  for (Responder& respond : expired) respond(JsonResponse(EncodeAgentWork({})));
}

std::optional<SteadyTime> AgentHub::NextPollDeadline() const {
  MutexLock lock(mutex_);
  std::optional<SteadyTime> earliest;
  for (const auto& [id, agent] : agents_) {
    if (agent.poll && (!earliest || agent.poll->deadline < *earliest)) {
      earliest = agent.poll->deadline;
    }
  }
  return earliest;
}

void AgentHub::RunPollTimer() {
  MutexLock lock(mutex_);
  while (true) {
    std::vector<Responder> expired;
    std::optional<SteadyTime> earliest = TakeExpiredPollsLocked(clock_.MonotonicNow(), expired);
    if (!expired.empty()) {
      lock.Unlock();
      for (Responder& respond : expired) {
        (void)Contain([&] { respond(JsonResponse(EncodeAgentWork({}))); });
      }
      lock.Lock();
      continue;
    }
    if (stopping_) return;
    if (earliest) {
      polls_changed_.wait_until(lock.native(), *earliest);
    } else {
      polls_changed_.wait(lock.native());
    }
  }
}

}  // namespace gleaner
