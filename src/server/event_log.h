#pragma once

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/http_server.h"
#include "capacity/ec2_cloud.h"
#include "common/clock.h"
#include "common/ids.h"
#include "common/mutex.h"
#include "model/arn.h"
#include "scheduler/batch_state.h"

namespace gleaner {

// Events in EventBridge's shape ({"version":"0","id","detail-type","source","account","time",
// "region","resources","detail"}): "Batch Job State Change" (source aws.batch, the JobDetail as
// detail) for every status a job moves to, "Batch Job Queue Blocked" (the job at a queue's head
// and its blocking reason), and "EC2 Spot Instance Interruption Warning" /
// "EC2 Instance Rebalance Recommendation" (source aws.ec2) when the simulated cloud sends them,
// and "EC2 Instance State-change Notification" for each state a simulated instance moves to.
// Appended to a JSON-lines file and kept in memory (the newest `capacity`) for
// GET /gleaner/v1/events?after=<sequence>. Observe runs on the scheduler thread; what it returns
// publishes the pass's events, and runs once the pass is durable (an event never tells of a change
// a crash can take back); Since runs on any thread.
//
// The file rotates once a day (UTC): `events.jsonl` becomes `events-YYYY-MM-DD.jsonl`, named for
// the day it began, and rotated files older than `retention_millis` (the job retention) are
// deleted, so the log does not outgrow the jobs it tells of.
class EventLog {
 public:
  EventLog(const Clock& clock, ArnScope scope, const std::string& path, uint64_t seed,
           int64_t retention_millis, size_t capacity = 10'000);

  // Looks at what changed in a pass (jobs whose status moved, instances with a new notice) and
  // returns what publishes those events, or an empty function when there are none.
  std::function<void()> Observe(const BatchState& state, const StateChanges& changes,
                                const Ec2Cloud* cloud);
  // Also hands every published event to `subscriber` (the rules' delivery), in order, once it
  // is durable. Set before the engine starts; it must not block.
  void SetSubscriber(std::function<void(const std::vector<nlohmann::json>&)> subscriber) {
    subscriber_ = std::move(subscriber);
  }
  // Events with a sequence number above `after`, oldest first, at most `limit`.
  std::vector<nlohmann::json> Since(uint64_t after, size_t limit) const;
  // The newest `limit` events kept of the given detail types (all when empty), oldest first.
  std::vector<nlohmann::json> Latest(const std::set<std::string>& detail_types, size_t limit) const;
  // Server-Sent Events: writes every event kept with a sequence number above `after` to
  // `stream`, then each one published, until the stream ends; a comment every 15 s keeps an idle
  // stream open through proxies. Any thread.
  void Follow(uint64_t after, std::shared_ptr<ResponseStream> stream);

  ~EventLog();

 private:
  void Stage(std::vector<nlohmann::json>& staged, const std::string& detail_type,
             const std::string& source, std::vector<std::string> resources, nlohmann::json detail);
  void Publish(std::vector<nlohmann::json> staged);
  // Under mutex_: starts a new file when the day changed, and deletes files past retention.
  void RotateIfDueLocked(EpochMillis now) GLEANER_REQUIRES(mutex_);
  void DeleteExpiredLocked(EpochMillis now) GLEANER_REQUIRES(mutex_);
  void ObserveCloud(const Ec2Cloud& cloud, std::vector<nlohmann::json>& staged);
  // "Batch Job Queue Blocked" once for each queue whose oldest RUNNABLE job cannot run for a
  // reason AWS calls blocking (a misconfiguration, no capacity to be had), per job and reason.
  void ObserveBlockedQueues(const BatchState& state, std::vector<nlohmann::json>& staged);

  const Clock& clock_;
  ArnScope scope_;
  size_t capacity_;
  const std::string path_;
  const int64_t retention_millis_;
  std::function<void(const std::vector<nlohmann::json>&)> subscriber_;
  mutable Mutex mutex_;
  std::ofstream file_ GLEANER_GUARDED_BY(mutex_);
  std::string file_day_ GLEANER_GUARDED_BY(mutex_);  // YYYY-MM-DD (UTC) the current file began
  std::deque<nlohmann::json> recent_ GLEANER_GUARDED_BY(mutex_);
  // Starts at the start's epoch milliseconds x 1000, so that numbers keep growing across restarts
  // (a client resuming with Last-Event-ID from before one misses nothing published after it).
  uint64_t sequence_ GLEANER_GUARDED_BY(mutex_) = 0;
  std::vector<std::shared_ptr<ResponseStream>> streams_ GLEANER_GUARDED_BY(mutex_);
  bool stopping_ GLEANER_GUARDED_BY(mutex_) = false;
  std::condition_variable stop_;
  // Started (under mutex_) with the first stream; joined by the destructor once stopping_.
  std::thread heartbeat_;
  // Scheduler thread only.
  UuidV7Generator ids_;
  std::set<std::string> warned_;  // instance ids already announced
  std::set<std::string> rebalanced_;
  std::map<std::string, std::string> blocked_;            // queue ARN -> "<job id>\n<reason>" told
  std::map<std::string, InstanceState> instance_states_;  // the state last told, by instance id
  bool instances_seen_ = false;
};

// GET /gleaner/v1/events[?after=<sequence>][&limit=<n>]: {"events": [...], "next": <sequence>};
// each event carries its "gleanerSequence". Poll with after=<next> to follow. With `latest`
// (&latest&limit=20[&detailType=T...]): the newest `limit` events kept, of those detail types. With
// `Accept: text/event-stream`: Server-Sent Events (each event's id its sequence number, its data
// the event), from `Last-Event-ID` (or ?after=) on, for as long as the client stays.
HttpHandler MakeEventsRoute(EventLog& log);

}  // namespace gleaner
