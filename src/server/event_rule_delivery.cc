#include "server/event_rule_delivery.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <future>

#include "api/batch_operations.h"
#include "api/http_client.h"
#include "common/atomic_file.h"
#include "events/event_rules.h"
#include "events/target_input.h"
#include "model/json_text.h"

namespace gleaner {
namespace {

using nlohmann::json;

constexpr int kDefaultMaximumRetryAttempts = 185;
constexpr int64_t kDefaultMaximumEventAgeSeconds = 86'400;
constexpr int64_t kMaxBackoffMillis = 60'000;
constexpr std::chrono::milliseconds kHttpTimeout{10'000};
constexpr std::chrono::seconds kSubmitTimeout{30};
constexpr size_t kJournalCompactionRecords = 10'000;

struct Url {
  std::string endpoint;  // scheme://host[:port]
  std::string target;    // /path?query
};

Url SplitUrl(const std::string& url) {
  size_t path = url.find('/', url.find("//") + 2);
  if (path == std::string::npos) return {url, "/"};
  return {url.substr(0, path), url.substr(path)};
}

std::string QueryString(const json& parameters) {
  std::string query;
  for (const auto& [name, value] : parameters.items()) {
    if (!value.is_string()) continue;
    query += (query.empty() ? "" : "&") + name + "=" + value.get<std::string>();
  }
  return query;
}

}  // namespace

EventRuleDelivery::EventRuleDelivery(const Clock& clock, EventRules& rules, BatchExecutor& executor,
                                     std::string dead_letter_path, int64_t first_backoff_millis,
                                     std::string journal_path)
    : clock_(clock),
      rules_(rules),
      executor_(executor),
      dead_letter_path_(std::move(dead_letter_path)),
      first_backoff_millis_(first_backoff_millis),
      journal_path_(std::move(journal_path)) {
  Recover();
  thread_ = std::thread([this] { Run(); });
}

EventRuleDelivery::~EventRuleDelivery() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  if (journal_fd_ >= 0) ::close(journal_fd_);
}

void EventRuleDelivery::Recover() {
  if (journal_path_.empty()) return;
  std::map<std::string, json> open;  // in journal order of their ids
  std::ifstream journal(journal_path_);
  for (std::string line; std::getline(journal, line);) {
    Result<json> record = ParseJsonText(line);
    if (!record.ok() || !record->is_object()) continue;  // a torn last line: never synced
    if (record->contains("done")) open.erase(record->value("done", ""));
    if (record->contains("open")) {
      std::string id = record->value("open", "");  // before the move: operator= takes a value
      open[id] = std::move(*record);
    }
  }
  EpochMillis now = clock_.NowMillis();
  MutexLock lock(mutex_);
  for (auto& [id, record] : open) {
    retries_.emplace(now, Pending{id, now, record.value("firstTried", now), 0,
                                  record.value("rule", ""), record.value("target", json::object()),
                                  record.value("event", json::object())});
  }
  CompactLocked();
}

void EventRuleDelivery::JournalLocked(const std::vector<json>& records) {
  if (journal_fd_ < 0 || records.empty()) return;
  std::string text;
  for (const json& record : records) text += DumpJson(record) + "\n";
  // One write (O_APPEND) and one sync per batch; a failure leaves the delivery in memory only.
  if (::write(journal_fd_, text.data(), text.size()) == static_cast<ssize_t>(text.size())) {
    ::fdatasync(journal_fd_);
  }
  journal_records_ += records.size();
}

void EventRuleDelivery::CompactLocked() {
  if (journal_path_.empty()) return;
  std::string text;
  size_t records = 0;
  auto add = [&text, &records](const Pending& pending) {
    text += DumpJson({{"open", pending.id},
                      {"rule", pending.rule},
                      {"target", pending.target},
                      {"event", pending.event},
                      {"firstTried", pending.first_tried}}) +
            "\n";
    ++records;
  };
  for (const auto& [due, pending] : retries_) add(pending);
  if (journal_fd_ >= 0) ::close(journal_fd_);
  journal_fd_ = -1;
  if (!WriteFileAtomically(journal_path_, text, /*durable=*/true).ok()) return;
  journal_fd_ = ::open(journal_path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  journal_records_ = records;
}

void EventRuleDelivery::Enqueue(const std::vector<json>& events) {
  EpochMillis now = clock_.NowMillis();
  std::vector<Pending> matched;
  std::vector<json> records;
  for (const json& event : events) {
    for (EventDelivery& delivery : rules_.Match(event)) {
      std::string id =
          event.value("id", "") + "/" + delivery.rule + "/" + delivery.target.value("Id", "");
      records.push_back({{"open", id},
                         {"rule", delivery.rule},
                         {"target", delivery.target},
                         {"event", event},
                         {"firstTried", now}});
      matched.push_back({std::move(id), now, now, 0, std::move(delivery.rule),
                         std::move(delivery.target), event});
    }
  }
  if (matched.empty()) return;
  {
    MutexLock lock(mutex_);
    JournalLocked(records);
    for (Pending& pending : matched) retries_.emplace(now, std::move(pending));
  }
  wake_.notify_all();
}

size_t EventRuleDelivery::Outstanding() {
  MutexLock lock(mutex_);
  return retries_.size() + (busy_ ? 1 : 0);
}

void EventRuleDelivery::Drain() {
  MutexLock lock(mutex_);
  idle_.wait(lock.native(), [this]() GLEANER_REQUIRES(mutex_) {
    return stopping_ || (retries_.empty() && !busy_);
  });
}

void EventRuleDelivery::Run() {
  MutexLock lock(mutex_);
  while (!stopping_) {
    if (retries_.empty()) {
      idle_.notify_all();
      wake_.wait(lock.native());
      continue;
    }
    auto next = retries_.begin();
    int64_t wait = next->first - clock_.NowMillis();
    if (wait > 0) {
      wake_.wait_for(lock.native(), std::chrono::milliseconds(wait));
      continue;
    }
    Pending pending = std::move(next->second);
    retries_.erase(next);
    busy_ = true;
    lock.Unlock();
    ++pending.tries;
    Outcome outcome = Deliver(pending);
    json policy = pending.target.value("RetryPolicy", json::object());
    int max_retries = policy.value("MaximumRetryAttempts", kDefaultMaximumRetryAttempts);
    int64_t max_age_millis =
        policy.value("MaximumEventAgeInSeconds", kDefaultMaximumEventAgeSeconds) * 1000;
    EpochMillis now = clock_.NowMillis();
    int64_t backoff =
        std::min(kMaxBackoffMillis, first_backoff_millis_ << std::min(pending.tries - 1, 6));
    bool retry = !outcome.delivered && outcome.retry && pending.tries <= max_retries &&
                 now + backoff - pending.first_tried <= max_age_millis;
    if (!outcome.delivered && !retry) {
      DeadLetter(pending, outcome.reason + " (after " + std::to_string(pending.tries) +
                              (pending.tries == 1 ? " try)" : " tries)"));
    }
    lock.Lock();
    if (retry) {
      retries_.emplace(now + backoff, std::move(pending));
    } else {
      JournalLocked({{{"done", pending.id}}});
    }
    // Delivered and open records alike pile up: past a bound, keep only the open ones.
    if (journal_records_ > kJournalCompactionRecords + 2 * retries_.size()) CompactLocked();
    busy_ = false;
  }
  idle_.notify_all();
}

EventRuleDelivery::Outcome EventRuleDelivery::Deliver(const Pending& pending) {
  std::string input = TargetInput(pending.target, pending.event);
  const std::string arn = pending.target.value("Arn", "");
  if (arn.starts_with("http://") || arn.starts_with("https://")) {
    return DeliverHttp(pending.target, input);
  }
  return SubmitJob(pending.target, input);
}

EventRuleDelivery::Outcome EventRuleDelivery::DeliverHttp(const json& target,
                                                          const std::string& input) {
  Url url = SplitUrl(target.value("Arn", ""));
  json parameters = target.value("HttpParameters", json::object());
  std::string query = QueryString(parameters.value("QueryStringParameters", json::object()));
  if (!query.empty()) url.target += (url.target.find('?') == std::string::npos ? "?" : "&") + query;
  std::map<std::string, std::string> headers = {{"Content-Type", "application/json"}};
  const json header_parameters = parameters.value("HeaderParameters", json::object());
  for (const auto& [name, value] : header_parameters.items()) {
    if (value.is_string()) headers[name] = value.get<std::string>();
  }
  Result<HttpClient> client = HttpClient::Connect(url.endpoint, kHttpTimeout);
  if (!client.ok()) return {false, true, "cannot connect: " + client.status().message()};
  Result<HttpClientResponse> response = client->Post(url.target, input, headers, kHttpTimeout);
  if (!response.ok()) return {false, true, "no answer: " + response.status().message()};
  if (response->status >= 200 && response->status < 300) return {true, false, ""};
  bool retry = response->status == 429 || response->status >= 500;
  return {false, retry, "the endpoint answered HTTP " + std::to_string(response->status)};
}

EventRuleDelivery::Outcome EventRuleDelivery::SubmitJob(const json& target,
                                                        const std::string& input) {
  json batch = target.value("BatchParameters", json::object());
  json body = {{"jobName", batch.value("JobName", "")},
               {"jobQueue", target.value("Arn", "")},
               {"jobDefinition", batch.value("JobDefinition", "")}};
  if (auto array = batch.find("ArrayProperties"); array != batch.end() && array->contains("Size")) {
    body["arrayProperties"] = {{"size", (*array)["Size"]}};
  }
  if (auto retry = batch.find("RetryStrategy");
      retry != batch.end() && retry->contains("Attempts")) {
    body["retryStrategy"] = {{"attempts", (*retry)["Attempts"]}};
  }
  if (Result<json> given = ParseJsonText(input); given.ok() && given->is_object()) {
    if (given->contains("Parameters")) body["parameters"] = (*given)["Parameters"];
    if (given->contains("ContainerOverrides")) {
      body["containerOverrides"] = (*given)["ContainerOverrides"];
    }
  }
  auto promise = std::make_shared<std::promise<Result<json>>>();
  std::future<Result<json>> answer = promise->get_future();
  gleaner::SubmitJob(body, executor_,
                     [promise](Result<json> result) { promise->set_value(std::move(result)); });
  if (answer.wait_for(kSubmitTimeout) != std::future_status::ready) {
    return {false, true, "SubmitJob was not answered within 30 s"};
  }
  Result<json> submitted = answer.get();
  if (submitted.ok()) return {true, false, ""};
  // A refused submission (no such queue or definition) does not get better by trying again.
  return {false, !submitted.status().IsClientError(),
          "SubmitJob failed: " + submitted.status().message()};
}

void EventRuleDelivery::DeadLetter(const Pending& pending, const std::string& reason) {
  json record = {{"time", FormatIso8601Seconds(clock_.NowMillis())},
                 {"rule", pending.rule},
                 {"targetId", pending.target.value("Id", "")},
                 {"targetArn", pending.target.value("Arn", "")},
                 {"reason", reason},
                 {"event", pending.event}};
  // Created 0600, as every file of the data directory (events hold jobs' environments).
  int created = ::open(dead_letter_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (created >= 0) ::close(created);
  std::ofstream file(dead_letter_path_, std::ios::app);
  file << DumpJson(record) << '\n';
}

}  // namespace gleaner
