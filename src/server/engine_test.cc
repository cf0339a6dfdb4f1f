#include "server/engine.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/clock.h"
#include "server/server_test_support.h"

namespace gleaner {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// Bounds every wait: a test that would hang fails instead.
constexpr auto kPatience = 10s;

// A store whose commits become durable only when the test releases them, oldest first: a disk
// whose fsync takes as long as the test wants.
class GatedStore final : public Store {
 public:
  Result<StoreSnapshot> Load() override { return StoreSnapshot{}; }

  void Commit(std::vector<Mutation> batch, std::function<void(Status)> done) override {
    std::lock_guard lock(mutex_);
    pending_.push_back({std::move(batch), std::move(done)});
    changed_.notify_all();
  }

  void Flush() override {
    while (ReleaseOne()) {
    }
  }

  // Makes the oldest pending commit durable and runs its callback; false when none is pending.
  bool ReleaseOne() {
    Pending next;
    {
      std::lock_guard lock(mutex_);
      if (pending_.empty()) return false;
      next = std::move(pending_.front());
      pending_.pop_front();
      for (const Mutation& mutation : next.batch) {
        if (mutation.kind == RecordKind::kJob) durable_jobs_[mutation.key] = mutation.document;
      }
    }
    next.done(Status::Ok());
    return true;
  }

  // Waits until at least `count` commits are pending.
  bool WaitForPending(size_t count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kPatience, [&] { return pending_.size() >= count; });
  }

  size_t pending() {
    std::lock_guard lock(mutex_);
    return pending_.size();
  }

  // The status of the job's durable record, or "" when it has none.
  std::string DurableStatus(const std::string& job_id) {
    std::lock_guard lock(mutex_);
    auto record = durable_jobs_.find(job_id);
    if (record == durable_jobs_.end()) return "";
    return json::parse(record->second).value("status", "");
  }

 private:
  struct Pending {
    std::vector<Mutation> batch;
    std::function<void(Status)> done;
  };
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Pending> pending_;
  std::map<std::string, std::string> durable_jobs_;
};

// Records each launch with the durable status of its job at that moment; the process never exits.
class RecordingLauncher final : public Launcher {
 public:
  explicit RecordingLauncher(GatedStore& store) : store_(store) {}

  Result<LaunchedProcess> Launch(const LaunchSpec& spec) override {
    std::string job_id;
    for (const std::string& variable : spec.environment) {
      if (variable.rfind("AWS_BATCH_JOB_ID=", 0) == 0) job_id = variable.substr(17);
    }
    std::lock_guard lock(mutex_);
    durable_status_at_launch_[job_id] = store_.DurableStatus(job_id);
    launched_.notify_all();
    return LaunchedProcess{static_cast<pid_t>(100'000 + durable_status_at_launch_.size()), 1};
  }
  void SignalGroup(pid_t, int) override {}

  // Waits up to `timeout` for the job's launch; its durable status then, or nullopt.
  std::optional<std::string> WaitForLaunch(const std::string& job_id,
                                           std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!launched_.wait_for(lock, timeout,
                            [&] { return durable_status_at_launch_.contains(job_id); })) {
      return std::nullopt;
    }
    return durable_status_at_launch_.at(job_id);
  }

 private:
  GatedStore& store_;
  std::mutex mutex_;
  std::condition_variable launched_;
  std::map<std::string, std::string> durable_status_at_launch_;
};

// One reply, awaited from the test thread.
class AwaitedReply {
 public:
  BatchReply Callback() {
    return [this](Result<json> result) {
      std::lock_guard lock(mutex_);
      result_ = std::move(result);
      answered_.notify_all();
    };
  }
  bool answered() {
    std::lock_guard lock(mutex_);
    return result_.has_value();
  }
  json Wait() {
    std::unique_lock lock(mutex_);
    if (!answered_.wait_for(lock, kPatience, [&] { return result_.has_value(); })) {
      throw std::runtime_error("no reply");
    }
    if (!result_->ok()) throw std::runtime_error(result_->status().message());
    return result_->value();
  }

 private:
  std::mutex mutex_;
  std::condition_variable answered_;
  std::optional<Result<json>> result_;
};

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : state_(clock_, BatchStateOptions{}), engine_(clock_, state_, store_, {}) {
    Host host;
    host.instance_id = "local";
    host.total = Resources{4000, 8192, 0};
    state_.AddHost(host);
    engine_.SetLauncher(&launcher_);
    EXPECT_TRUE(engine_.Start().ok());
    Run([](BatchState& state) -> Result<json> {
      GLEANER_RETURN_IF_ERROR(server_test::CreateSmallWorld(state));
      return json::object();
    });
  }
  ~EngineTest() override { engine_.Stop(); }

  // Runs a command and makes everything durable until it is answered.
  json Run(BatchCommand command) {
    AwaitedReply reply;
    engine_.Execute(std::move(command), reply.Callback());
    while (!reply.answered()) {
      if (!store_.ReleaseOne()) std::this_thread::sleep_for(1ms);  // the engine is still at work
    }
    return reply.Wait();
  }

  static BatchCommand SubmitCommand(const std::string& name) {
    return [name](BatchState& state) -> Result<json> {
      Result<const Job*> job = state.SubmitJob(server_test::SmallJob(name));
      if (!job.ok()) return job.status();
      return json{{"jobId", (*job)->job_id}};
    };
  }

  static BatchCommand StatusCommand(const std::string& job_id) {
    return [job_id](BatchState& state) -> Result<json> {
      const Job* job = state.FindJob(job_id);
      return json{{"status", job == nullptr ? "absent" : ToString(job->status)}};
    };
  }

  FakeClock clock_;
  BatchState state_;
  GatedStore store_;
  RecordingLauncher launcher_{store_};
  Engine engine_;
};

TEST_F(EngineTest, AReadWaitsForTheCommitsOfWhatItSees) {
  AwaitedReply submitted;
  engine_.Execute(SubmitCommand("first"), submitted.Callback());
  ASSERT_TRUE(store_.WaitForPending(1));  // the submit's commit, not durable yet
  EXPECT_FALSE(submitted.answered());

  // The job is in memory, but a crash now would lose it: nobody may see it yet.
  AwaitedReply read;
  engine_.Execute(
      [](BatchState& state) -> Result<json> {
        return json{{"jobs", state.job_count()}};
      },
      read.Callback());
  ASSERT_TRUE(store_.WaitForPending(2));  // the read waits behind the submit
  EXPECT_FALSE(read.answered());

  ASSERT_TRUE(store_.ReleaseOne());
  std::string job_id = submitted.Wait()["jobId"];
  ASSERT_TRUE(store_.ReleaseOne());
  EXPECT_EQ(read.Wait()["jobs"], 1);
  EXPECT_FALSE(job_id.empty());
}

TEST_F(EngineTest, AnAttemptLaunchesOnlyOnceItsStartIsDurable) {
  AwaitedReply submitted;
  engine_.Execute(SubmitCommand("job"), submitted.Callback());
  ASSERT_TRUE(store_.WaitForPending(1));
  // Whatever happens meanwhile, nothing may launch while STARTING is not durable. A launch that
  // comes too early shows up here; a correct engine has nothing to show.
  EXPECT_EQ(launcher_.WaitForLaunch("", 0ms), std::nullopt);
  std::this_thread::sleep_for(200ms);  // time an early launch would take to show
  ASSERT_TRUE(store_.ReleaseOne());
  std::string job_id = submitted.Wait()["jobId"];
  std::optional<std::string> durable_at_launch = launcher_.WaitForLaunch(job_id, kPatience);
  ASSERT_TRUE(durable_at_launch.has_value());
  EXPECT_EQ(*durable_at_launch, "STARTING");
}

TEST_F(EngineTest, AStatusSeenByAReadIsDurable) {
  std::string job_id = Run(SubmitCommand("job"))["jobId"];
  ASSERT_TRUE(launcher_.WaitForLaunch(job_id, kPatience).has_value());
  // The launch result makes the job RUNNING in a commit of its own; a read answered before that
  // commit is durable would show RUNNING to a client that a crash then contradicts.
  ASSERT_TRUE(store_.WaitForPending(1));
  AwaitedReply read;
  engine_.Execute(StatusCommand(job_id), read.Callback());
  ASSERT_TRUE(store_.WaitForPending(2));
  EXPECT_FALSE(read.answered());
  while (store_.ReleaseOne()) {
  }
  EXPECT_EQ(read.Wait()["status"], "RUNNING");
  EXPECT_EQ(store_.DurableStatus(job_id), "RUNNING");
}

TEST_F(EngineTest, ACommandThatThrowsIsAnsweredAndTheEngineGoesOn) {
  AwaitedReply thrown;
  engine_.Execute([](BatchState&) -> Result<json> { throw std::runtime_error("boom"); },
                  thrown.Callback());
  EXPECT_THROW(thrown.Wait(), std::runtime_error);
  EXPECT_EQ(Run(StatusCommand("none"))["status"], "absent");
}

}  // namespace
}  // namespace gleaner
