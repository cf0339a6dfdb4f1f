#include "store/store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include "store/sqlite_handle.h"

namespace gleaner {
namespace {

namespace fs = std::filesystem;

using Records = std::vector<std::pair<std::string, std::string>>;

Records AsPairs(const std::vector<StoredRecord>& records) {
  Records pairs;
  for (const StoredRecord& record : records) pairs.emplace_back(record.key, record.document);
  return pairs;
}

std::string JobDocument(int index) {
  return R"({"jobId":")" + std::to_string(index) + R"(","padding":")" + std::string(64, 'x') +
         "\"}";
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    directory_ = fs::path(::testing::TempDir()) /
                 ("gleaner_store_test_" + std::to_string(getpid()) + "_" + test->name());
    fs::remove_all(directory_);
    fs::create_directories(directory_);
    path_ = (directory_ / "gleaner.db").string();
  }
  void TearDown() override { fs::remove_all(directory_); }

  std::unique_ptr<Store> Open(bool synchronous_full = true) {
    Result<std::unique_ptr<Store>> store = OpenSqliteStore({path_, synchronous_full});
    EXPECT_TRUE(store.ok()) << store.status().message();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // Opens the file afresh, as a restarted server would, and loads everything.
  StoreSnapshot Reload() {
    std::unique_ptr<Store> store = Open();
    if (store == nullptr) return {};
    Result<StoreSnapshot> snapshot = store->Load();
    EXPECT_TRUE(snapshot.ok()) << snapshot.status().message();
    return snapshot.ok() ? std::move(snapshot).value() : StoreSnapshot{};
  }

  fs::path directory_;
  std::string path_;
};

// Commits one batch and waits for its acknowledgement.
Status CommitAndWait(Store& store, std::vector<Mutation> batch) {
  std::optional<Status> outcome;
  store.Commit(std::move(batch), [&outcome](Status status) { outcome = std::move(status); });
  store.Flush();
  if (!outcome) return Status::Internal("done was not called before Flush returned");
  return *outcome;
}

TEST_F(SqliteStoreTest, PutsOfEveryKindAreLoadedInKeyOrderAfterReopen) {
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    Status status =
        CommitAndWait(*store, {
                                  Mutation::Put(RecordKind::kJob, "job-b", "{\"b\":1}"),
                                  Mutation::Put(RecordKind::kJob, "job-a", "{\"a\":1}"),
                                  Mutation::Put(RecordKind::kComputeEnvironment, "ce", "1"),
                                  Mutation::Put(RecordKind::kJobQueue, "queue", "2"),
                                  Mutation::Put(RecordKind::kJobDefinition, "def:1", "3"),
                                  Mutation::Put(RecordKind::kSchedulingPolicy, "fair", "4"),
                                  Mutation::Put(RecordKind::kCapacity, "i-1", "5"),
                              });
    EXPECT_TRUE(status.ok()) << status.message();
  }
  StoreSnapshot snapshot = Reload();
  EXPECT_EQ(AsPairs(snapshot.jobs), (Records{{"job-a", "{\"a\":1}"}, {"job-b", "{\"b\":1}"}}));
  EXPECT_EQ(AsPairs(snapshot.compute_environments), (Records{{"ce", "1"}}));
  EXPECT_EQ(AsPairs(snapshot.job_queues), (Records{{"queue", "2"}}));
  EXPECT_EQ(AsPairs(snapshot.job_definitions), (Records{{"def:1", "3"}}));
  EXPECT_EQ(AsPairs(snapshot.scheduling_policies), (Records{{"fair", "4"}}));
  EXPECT_EQ(AsPairs(snapshot.capacity), (Records{{"i-1", "5"}}));
}

TEST_F(SqliteStoreTest, FreshStoreLoadsEmpty) {
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  Result<StoreSnapshot> snapshot = store->Load();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().message();
  EXPECT_TRUE(snapshot->jobs.empty());
  EXPECT_TRUE(snapshot->compute_environments.empty());
}

TEST_F(SqliteStoreTest, DeleteRemovesOnlyThatKeyAndToleratesMissingKeys) {
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    EXPECT_TRUE(CommitAndWait(*store, {Mutation::Put(RecordKind::kJobQueue, "a", "1"),
                                       Mutation::Put(RecordKind::kJobQueue, "b", "2"),
                                       Mutation::Put(RecordKind::kJob, "a", "job")})
                    .ok());
    EXPECT_TRUE(CommitAndWait(*store, {Mutation::Delete(RecordKind::kJobQueue, "a"),
                                       Mutation::Delete(RecordKind::kJobQueue, "never-existed")})
                    .ok());
  }
  StoreSnapshot snapshot = Reload();
  EXPECT_EQ(AsPairs(snapshot.job_queues), (Records{{"b", "2"}}));
  EXPECT_EQ(AsPairs(snapshot.jobs), (Records{{"a", "job"}}));  // same key, other kind: untouched
}

TEST_F(SqliteStoreTest, BatchesAndMutationsApplyInOrderSoTheLaterPutWins) {
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    store->Commit({Mutation::Put(RecordKind::kJob, "k", "v1")}, nullptr);
    store->Commit({Mutation::Put(RecordKind::kJob, "k", "v2")}, nullptr);
    store->Commit(
        {Mutation::Put(RecordKind::kJob, "j", "x"), Mutation::Delete(RecordKind::kJob, "j"),
         Mutation::Put(RecordKind::kJob, "j", "y")},
        nullptr);
    store->Commit({Mutation::Put(RecordKind::kJob, "gone", "x")}, nullptr);
    store->Commit({Mutation::Delete(RecordKind::kJob, "gone")}, nullptr);
    store->Flush();
  }
  EXPECT_EQ(AsPairs(Reload().jobs), (Records{{"j", "y"}, {"k", "v2"}}));
}

TEST_F(SqliteStoreTest, DoneIsCalledOncePerBatchInCommitOrder) {
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  std::vector<int> acknowledged;  // touched only by the writer thread until Flush returns
  constexpr int kBatches = 300;
  for (int i = 0; i < kBatches; ++i) {
    std::vector<Mutation> batch;
    if (i % 10 != 0) batch.push_back(Mutation::Put(RecordKind::kJob, std::to_string(i), "{}"));
    store->Commit(std::move(batch), [&acknowledged, i](Status status) {
      EXPECT_TRUE(status.ok()) << status.message();
      acknowledged.push_back(i);
    });
  }
  store->Flush();
  std::vector<int> expected(kBatches);
  for (int i = 0; i < kBatches; ++i) expected[i] = i;
  EXPECT_EQ(acknowledged, expected);
}

TEST_F(SqliteStoreTest, ConcurrentCommittersAreAllDurableAfterFlush) {
  constexpr int kThreads = 4;
  constexpr int kBatchesPerThread = 500;
  std::vector<std::vector<int>> acknowledged(kThreads);  // per committer, in done order
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    std::vector<std::thread> committers;
    for (int t = 0; t < kThreads; ++t) {
      committers.emplace_back([&store, &acknowledged, t] {
        for (int i = 0; i < kBatchesPerThread; ++i) {
          std::string key = std::to_string(t) + "-" + std::to_string(i);
          store->Commit({Mutation::Put(RecordKind::kJob, key, JobDocument(i)),
                         Mutation::Put(RecordKind::kJobQueue, key, "q")},
                        [&acknowledged, t, i](Status status) {
                          EXPECT_TRUE(status.ok()) << status.message();
                          acknowledged[t].push_back(i);
                        });
        }
      });
    }
    for (std::thread& committer : committers) committer.join();
    store->Flush();
    for (int t = 0; t < kThreads; ++t) {
      ASSERT_EQ(acknowledged[t].size(), static_cast<size_t>(kBatchesPerThread));
      for (int i = 0; i < kBatchesPerThread; ++i) EXPECT_EQ(acknowledged[t][i], i);
    }
  }
  StoreSnapshot snapshot = Reload();
  ASSERT_EQ(snapshot.jobs.size(), static_cast<size_t>(kThreads * kBatchesPerThread));
  EXPECT_EQ(snapshot.job_queues.size(), static_cast<size_t>(kThreads * kBatchesPerThread));
  std::map<std::string, std::string> jobs;
  for (const StoredRecord& record : snapshot.jobs) jobs[record.key] = record.document;
  EXPECT_EQ(jobs["3-499"], JobDocument(499));
}

TEST_F(SqliteStoreTest, LoadSeesBatchesCommittedBeforeIt) {
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  store->Commit({Mutation::Put(RecordKind::kJobDefinition, "sleep:1", "{}")}, nullptr);
  Result<StoreSnapshot> snapshot = store->Load();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().message();
  EXPECT_EQ(AsPairs(snapshot->job_definitions), (Records{{"sleep:1", "{}"}}));
}

TEST_F(SqliteStoreTest, DestructorWritesAndAcknowledgesEverythingQueued) {
  int acknowledged = 0;
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 100; ++i) {
      store->Commit({Mutation::Put(RecordKind::kJob, std::to_string(1000 + i), JobDocument(i))},
                    [&acknowledged](Status status) { acknowledged += status.ok() ? 1 : 0; });
    }
  }  // no Flush
  EXPECT_EQ(acknowledged, 100);
  EXPECT_EQ(Reload().jobs.size(), 100u);
}

// A batch that cannot be applied fails alone and atomically, even when it was grouped with others.
TEST_F(SqliteStoreTest, FailingBatchFailsAloneAndLeavesNoPartialWrites) {
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  std::promise<void> writer_blocked;
  std::promise<void> release_writer;
  // While the writer waits in this callback, the next three batches queue up and are then taken
  // as one group.
  store->Commit({}, [&](Status) {
    writer_blocked.set_value();
    release_writer.get_future().wait();
  });
  writer_blocked.get_future().wait();
  std::vector<Status> outcomes;
  auto record = [&outcomes](Status status) { outcomes.push_back(std::move(status)); };
  store->Commit({Mutation::Put(RecordKind::kJob, "before", "1")}, record);
  store->Commit({Mutation::Put(RecordKind::kJob, "half", "1"),
                 Mutation::Put(static_cast<RecordKind>(99), "bad", "1")},
                record);
  store->Commit({Mutation::Put(RecordKind::kJob, "after", "1")}, record);
  release_writer.set_value();
  store->Flush();

  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_TRUE(outcomes[0].ok()) << outcomes[0].message();
  EXPECT_EQ(outcomes[1].code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(outcomes[2].ok()) << outcomes[2].message();
  Result<StoreSnapshot> snapshot = store->Load();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(AsPairs(snapshot->jobs), (Records{{"after", "1"}, {"before", "1"}}));
}

TEST_F(SqliteStoreTest, DocumentsRoundTripByteForByte) {
  std::string large(1 << 20, 'a');
  std::string unicode = "{\"name\":\"d\xC3\xA9j\xC3\xA0 vu \xE2\x9C\x93\"}";
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    EXPECT_TRUE(CommitAndWait(*store, {Mutation::Put(RecordKind::kJob, "large", large),
                                       Mutation::Put(RecordKind::kJob, "unicode", unicode),
                                       Mutation::Put(RecordKind::kJob, "empty", "")})
                    .ok());
  }
  EXPECT_EQ(AsPairs(Reload().jobs),
            (Records{{"empty", ""}, {"large", large}, {"unicode", unicode}}));
}

TEST_F(SqliteStoreTest, SynchronousNormalStillPersists) {
  {
    std::unique_ptr<Store> store = Open(/*synchronous_full=*/false);
    ASSERT_NE(store, nullptr);
    EXPECT_TRUE(CommitAndWait(*store, {Mutation::Put(RecordKind::kJob, "k", "v")}).ok());
  }
  EXPECT_EQ(AsPairs(Reload().jobs), (Records{{"k", "v"}}));
}

TEST_F(SqliteStoreTest, CreatesMissingParentDirectories) {
  path_ = (directory_ / "a" / "b" / "gleaner.db").string();
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    EXPECT_TRUE(CommitAndWait(*store, {Mutation::Put(RecordKind::kJob, "k", "v")}).ok());
  }
  EXPECT_TRUE(fs::exists(path_));
  EXPECT_EQ(Reload().jobs.size(), 1u);
}

TEST_F(SqliteStoreTest, UnknownFutureSchemaVersionIsRejected) {
  { ASSERT_NE(Open(), nullptr); }
  {
    Result<SqliteConnection> db = OpenSqliteConnection(path_, SqliteAccess::kReadWriteCreate);
    ASSERT_TRUE(db.ok()) << db.status().message();
    ASSERT_TRUE(ExecuteSql(db->get(), "PRAGMA user_version=3").ok());
  }
  Result<std::unique_ptr<Store>> store = OpenSqliteStore({path_});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("schema version 3"), std::string::npos)
      << store.status().message();
}

TEST_F(SqliteStoreTest, AVersionOneFileGetsTheCapacityTableAndKeepsItsRecords) {
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(CommitAndWait(*store, {Mutation::Put(RecordKind::kJob, "j", "{}")}).ok());
  }
  {  // the layout of version 1: no capacity table
    Result<SqliteConnection> db = OpenSqliteConnection(path_, SqliteAccess::kReadWriteCreate);
    ASSERT_TRUE(db.ok()) << db.status().message();
    ASSERT_TRUE(ExecuteSql(db->get(), "DROP TABLE capacity; PRAGMA user_version=1").ok());
  }
  {
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(CommitAndWait(*store, {Mutation::Put(RecordKind::kCapacity, "pools", "{}")}).ok());
  }
  StoreSnapshot snapshot = Reload();
  EXPECT_EQ(AsPairs(snapshot.jobs), (Records{{"j", "{}"}}));
  EXPECT_EQ(AsPairs(snapshot.capacity), (Records{{"pools", "{}"}}));
}

TEST_F(SqliteStoreTest, UnwritablePathsGiveErrorStatus) {
  std::ofstream(directory_ / "regular-file") << "not a directory";
  std::vector<std::string> bad_paths = {
      (directory_ / "regular-file" / "sub" / "gleaner.db").string(),  // parent is a file
      directory_.string(),                                            // path is a directory
      "",
  };
  for (const std::string& path : bad_paths) {
    Result<std::unique_ptr<Store>> store = OpenSqliteStore({path});
    EXPECT_FALSE(store.ok()) << path;
    EXPECT_FALSE(store.status().message().empty()) << path;
  }
}

TEST_F(SqliteStoreTest, FileThatIsNotADatabaseGivesErrorStatus) {
  std::ofstream(path_) << std::string(8192, 'g');
  Result<std::unique_ptr<Store>> store = OpenSqliteStore({path_});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInternal);
}

TEST_F(SqliteStoreTest, FlushFromDoneCallbackDiesInsteadOfDeadlocking) {
  EXPECT_DEATH(
      {
        std::unique_ptr<Store> store = Open();
        store->Commit({}, [&store](Status) { store->Flush(); });
        store->Flush();
      },
      "would wait for itself");
}

TEST_F(SqliteStoreTest, DatabaseFilesArePrivateToTheirOwner) {
  {
    std::ofstream(path_ + "-wal");  // left by an older gleaner with the umask's mode
    fs::permissions(path_ + "-wal", fs::perms::owner_read | fs::perms::others_read);
    std::unique_ptr<Store> store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(CommitAndWait(*store, {Mutation::Put(RecordKind::kJob, "a", "{}")}).ok());
    for (const std::string& file : {path_, path_ + "-wal", path_ + "-shm"}) {
      struct stat info {};
      ASSERT_EQ(stat(file.c_str(), &info), 0) << file;
      EXPECT_EQ(info.st_mode & 0777, 0600u) << file;
    }
  }
}

TEST_F(SqliteStoreTest, AnEmptyBatchIsAnsweredOnlyAfterEveryBatchBeforeIt) {
  SqliteStoreOptions options{path_};
  options.injected_commit_delay_millis = 50;  // the first commit is slow to become durable
  Result<std::unique_ptr<Store>> opened = OpenSqliteStore(options);
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  Store& store = **opened;
  std::mutex mutex;
  std::vector<std::string> order;
  auto note = [&](std::string what) {
    return [&, what](Status status) {
      EXPECT_TRUE(status.ok()) << status.message();
      std::lock_guard lock(mutex);
      order.push_back(what);
    };
  };
  store.Commit({Mutation::Put(RecordKind::kJob, "a", "{}")}, note("put"));
  store.Commit({}, note("barrier"));
  store.Flush();
  EXPECT_EQ(order, (std::vector<std::string>{"put", "barrier"}));
}

// ---- Crash safety ----

constexpr int kCrashKeyBase = 1000000;
constexpr int kMaxCrashBatches = 100000;
constexpr int kAcknowledgedBeforeCrash = 500;

// Child process: a producer keeps committing while the writer acknowledges batches (each reported
// on `report_fd` once durable); after enough acknowledgements the process kills itself, so the
// writer is almost always in the middle of a transaction (no destructor, Flush or close runs).
[[noreturn]] void CommitThenCrash(const std::string& path, int report_fd) {
  Result<std::unique_ptr<Store>> store = OpenSqliteStore({path});
  if (!store.ok()) _exit(2);
  std::mutex mutex;
  std::condition_variable enough_acknowledged;
  int acknowledged = 0;
  auto report = [&](const std::string& key) {
    std::string line = key + "\n";
    if (write(report_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(3);
    std::lock_guard lock(mutex);
    if (++acknowledged == kAcknowledgedBeforeCrash) enough_acknowledged.notify_one();
  };
  std::thread producer([&] {
    for (int i = 0; i < kMaxCrashBatches; ++i) {
      std::string key = "job-" + std::to_string(kCrashKeyBase + i);
      (*store)->Commit({Mutation::Put(RecordKind::kJob, key, JobDocument(i))},
                       [&report, key](Status status) {
                         if (status.ok()) report(key);
                       });
    }
  });
  std::unique_lock lock(mutex);
  enough_acknowledged.wait(lock, [&] { return acknowledged >= kAcknowledgedBeforeCrash; });
  kill(getpid(), SIGKILL);
  _exit(4);  // not reached
}

std::vector<std::string> ReadLines(int fd) {
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(n));
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

TEST_F(SqliteStoreTest, AcknowledgedWritesSurviveAProcessKilledMidCommit) {
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(report[0]);
    CommitThenCrash(path_, report[1]);
  }
  close(report[1]);
  std::vector<std::string> acknowledged = ReadLines(report[0]);
  close(report[0]);
  int wait_status = 0;
  ASSERT_EQ(waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wait_status)) << "child exited with " << WEXITSTATUS(wait_status);
  EXPECT_EQ(WTERMSIG(wait_status), SIGKILL);
  ASSERT_GE(acknowledged.size(), static_cast<size_t>(kAcknowledgedBeforeCrash));

  StoreSnapshot snapshot = Reload();
  std::map<std::string, std::string> jobs;
  for (const StoredRecord& record : snapshot.jobs) jobs[record.key] = record.document;
  for (const std::string& key : acknowledged) {
    ASSERT_EQ(jobs.count(key), 1u) << "acknowledged but lost: " << key;
    EXPECT_EQ(jobs[key], JobDocument(std::stoi(key.substr(4)) - kCrashKeyBase));
  }
}

}  // namespace
}  // namespace gleaner
