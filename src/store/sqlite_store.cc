// SQLite implementation of Store: WAL journal, one writer thread doing group commit, a separate
// read-only connection for Load().

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <thread>
#include <utility>

#include "common/contain.h"
#include "common/mutex.h"
#include "common/steady_time.h"
#include "store/sqlite_handle.h"
#include "store/store.h"

namespace gleaner {
namespace {

// PRAGMA user_version of the layout below. Bump it (and add a migration) when the layout changes;
// a file with a larger version was written by a newer gleaner and is refused, not guessed at.
// Version 2 added the capacity table; opening a version 1 file creates it.
constexpr int64_t kSchemaVersion = 2;

// How long a statement waits for a lock held by another connection (e.g. a backup tool or a
// concurrent Load) before failing.
constexpr int kBusyTimeoutMillis = 5000;

// One table per RecordKind, in the enum's order.
constexpr std::array<const char*, 6> kTableNames = {
    "compute_environments", "job_queues", "job_definitions",
    "scheduling_policies",  "jobs",       "capacity",
};
static_assert(static_cast<size_t>(RecordKind::kCapacity) + 1 == kTableNames.size());

std::optional<size_t> TableIndex(RecordKind kind) {
  auto index = static_cast<size_t>(kind);
  if (index >= kTableNames.size()) return std::nullopt;
  return index;
}

std::vector<StoredRecord>& RecordsOfKind(StoreSnapshot& snapshot, RecordKind kind) {
  switch (kind) {
    case RecordKind::kComputeEnvironment:
      return snapshot.compute_environments;
    case RecordKind::kJobQueue:
      return snapshot.job_queues;
    case RecordKind::kJobDefinition:
      return snapshot.job_definitions;
    case RecordKind::kSchedulingPolicy:
      return snapshot.scheduling_policies;
    case RecordKind::kCapacity:
      return snapshot.capacity;
    case RecordKind::kJob:
      break;
  }
  return snapshot.jobs;
}

// Invariant violations crash loudly instead of limping on (a deadlock would be worse).
[[noreturn]] void DieBecause(const char* reason) {
  std::fprintf(stderr, "gleaner store: %s\n", reason);
  std::abort();
}

// ---- Opening: directory, connection settings, schema ----

// The database is created 0600 before SQLite opens it, and SQLite gives the WAL and shared-memory
// files it creates the database's mode; files left by an older, laxer gleaner are tightened.
Status MakeDatabaseFilesPrivate(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Status::Internal("cannot open '" + path + "': " + strerror(errno));
  int rc = ::fchmod(fd, 0600);
  int chmod_errno = errno;
  ::close(fd);
  if (rc != 0) {
    return Status::Internal("cannot make '" + path + "' private: " + strerror(chmod_errno));
  }
  for (const char* suffix : {"-wal", "-shm"}) {
    std::string companion = path + suffix;
    if (::chmod(companion.c_str(), 0600) != 0 && errno != ENOENT) {
      return Status::Internal("cannot make '" + companion + "' private: " + strerror(errno));
    }
  }
  return Status::Ok();
}

Status SyncDirectory(const std::filesystem::path& directory) {
  std::string name = directory.empty() ? "." : directory.string();
  int fd = ::open(name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::Internal("cannot open directory '" + name + "': " + strerror(errno));
  int rc = ::fsync(fd);
  int fsync_errno = errno;
  ::close(fd);
  if (rc != 0)
    return Status::Internal("cannot sync directory '" + name + "': " + strerror(fsync_errno));
  return Status::Ok();
}

// Creates the missing ancestors of `path`, syncing each new entry into its parent so a crash right
// after start-up cannot lose the directory that holds an acknowledged database.
Status EnsureParentDirectory(const std::string& path) {
  namespace fs = std::filesystem;
  std::vector<fs::path> missing;  // deepest first
  std::error_code error;
  for (fs::path dir = fs::path(path).parent_path(); !dir.empty() && !fs::exists(dir, error);
       dir = dir.parent_path()) {
    missing.push_back(dir);
    if (dir == dir.root_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (!fs::create_directory(*it, error) && error) {
      return Status::Internal("cannot create directory '" + it->string() + "': " + error.message());
    }
    GLEANER_RETURN_IF_ERROR(SyncDirectory(it->parent_path()));
  }
  return Status::Ok();
}

// Refuses files written by a newer gleaner before anything touches them.
Result<int64_t> ReadSchemaVersion(sqlite3* db, const std::string& path) {
  Result<int64_t> version = QueryInteger(db, "PRAGMA user_version");
  if (!version.ok()) return version.status();
  if (*version > kSchemaVersion || *version < 0) {
    return Status::FailedPrecondition("store '" + path + "' has schema version " +
                                      std::to_string(*version) + "; this gleaner knows up to " +
                                      std::to_string(kSchemaVersion));
  }
  return version;
}

Status ConfigureWriteConnection(sqlite3* db, const SqliteStoreOptions& options) {
  // Takes effect only while the file is still empty; 8 KiB pages keep documents of a few KB inline
  // and measured ~25% faster than 4 KiB for 1 KB puts. Must precede the switch to WAL.
  GLEANER_RETURN_IF_ERROR(ExecuteSql(db, "PRAGMA page_size=8192"));
  Result<std::string> journal_mode = QueryText(db, "PRAGMA journal_mode=WAL");
  if (!journal_mode.ok()) return journal_mode.status();
  if (*journal_mode != "wal") {
    return Status::FailedPrecondition("store '" + options.path +
                                      "' cannot use WAL (journal_mode=" + *journal_mode + ")");
  }
  // A WAL that grew while a long read (a large Load) held back checkpoints is cut back to 64 MiB.
  GLEANER_RETURN_IF_ERROR(ExecuteSql(db, "PRAGMA journal_size_limit=67108864"));
  return ExecuteSql(
      db, options.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
}

// Ordinary rowid tables, not WITHOUT ROWID: a WITHOUT ROWID row is stored in an index b-tree whose
// rows spill to mostly empty overflow pages once they exceed about a quarter of a page, which made
// 1 KB documents on 4 KiB pages (and 3 KB ones on 8 KiB pages) cost 3-4x the disk and write
// bandwidth. Rowid tables degrade smoothly with document size, and UUIDv7 job ids still append to
// the key index. Keys compare bytewise (BINARY), matching std::string order in the snapshot.
std::string CreateTablesSql() {
  std::string sql = "BEGIN IMMEDIATE;";
  for (const char* table : kTableNames) {
    sql += std::string("CREATE TABLE IF NOT EXISTS ") + table +
           " (key TEXT PRIMARY KEY NOT NULL, document TEXT NOT NULL);";
  }
  sql += "PRAGMA user_version=" + std::to_string(kSchemaVersion) + ";COMMIT;";
  return sql;
}

Status CreateSchemaIfMissing(sqlite3* db, int64_t version) {
  if (version == kSchemaVersion) return Status::Ok();
  Status status = ExecuteSql(db, CreateTablesSql().c_str());
  if (!status.ok() && !sqlite3_get_autocommit(db)) {
    (void)ExecuteSql(db, "ROLLBACK");
  }
  return status;
}

Result<SqliteConnection> OpenWriteConnection(const SqliteStoreOptions& options) {
  Result<SqliteConnection> db = OpenSqliteConnection(options.path, SqliteAccess::kReadWriteCreate);
  if (!db.ok()) return db.status();
  sqlite3_busy_timeout(db->get(), kBusyTimeoutMillis);
  Result<int64_t> version = ReadSchemaVersion(db->get(), options.path);
  if (!version.ok()) return version.status();
  GLEANER_RETURN_IF_ERROR(ConfigureWriteConnection(db->get(), options));
  GLEANER_RETURN_IF_ERROR(CreateSchemaIfMissing(db->get(), *version));
  return db;
}

Result<SqliteConnection> OpenReadConnection(const std::string& path) {
  Result<SqliteConnection> db = OpenSqliteConnection(path, SqliteAccess::kReadOnly);
  if (!db.ok()) return db.status();
  sqlite3_busy_timeout(db->get(), kBusyTimeoutMillis);
  return db;
}

// ---- Reading ----

std::string ColumnText(sqlite3_stmt* statement, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
  if (text == nullptr) return {};
  return std::string(text, static_cast<size_t>(sqlite3_column_bytes(statement, column)));
}

Status ReadTable(sqlite3* db, const char* table, std::vector<StoredRecord>& records) {
  Result<SqliteStatement> select =
      PrepareSql(db, std::string("SELECT key, document FROM ") + table + " ORDER BY key");
  if (!select.ok()) return select.status();
  int rc;
  while ((rc = sqlite3_step(select->get())) == SQLITE_ROW) {
    records.push_back({ColumnText(select->get(), 0), ColumnText(select->get(), 1)});
  }
  if (rc != SQLITE_DONE) return SqliteError(db, std::string("reading table ") + table);
  return Status::Ok();
}

// Reads every table inside one read transaction, so the snapshot is consistent across kinds.
Result<StoreSnapshot> ReadSnapshot(sqlite3* db) {
  GLEANER_RETURN_IF_ERROR(ExecuteSql(db, "BEGIN"));
  StoreSnapshot snapshot;
  Status status;
  for (size_t index = 0; index < kTableNames.size() && status.ok(); ++index) {
    auto kind = static_cast<RecordKind>(index);
    status = ReadTable(db, kTableNames[index], RecordsOfKind(snapshot, kind));
  }
  Status end = ExecuteSql(db, status.ok() ? "COMMIT" : "ROLLBACK");
  if (!status.ok()) return status;
  if (!end.ok()) return end;
  return snapshot;
}

// ---- Writing ----

// Every statement the writer runs, prepared once and reused for the store's lifetime.
struct WriteStatements {
  struct PerTable {
    SqliteStatement put;
    SqliteStatement remove;
  };
  std::array<PerTable, kTableNames.size()> tables;
  SqliteStatement begin;
  SqliteStatement commit;
  SqliteStatement rollback;
};

Result<WriteStatements> PrepareWriteStatements(sqlite3* db) {
  WriteStatements statements;
  std::array<std::pair<SqliteStatement*, std::string>, 3> control = {{
      {&statements.begin, "BEGIN IMMEDIATE"},
      {&statements.commit, "COMMIT"},
      {&statements.rollback, "ROLLBACK"},
  }};
  for (auto& [slot, sql] : control) {
    Result<SqliteStatement> prepared = PrepareSql(db, sql);
    if (!prepared.ok()) return prepared.status();
    *slot = std::move(prepared).value();
  }
  for (size_t index = 0; index < kTableNames.size(); ++index) {
    std::string table = kTableNames[index];
    // An upsert updates a row in place (a job is rewritten at every state change) where INSERT OR
    // REPLACE would delete it and insert it again under a new rowid.
    Result<SqliteStatement> put =
        PrepareSql(db, "INSERT INTO " + table +
                           " (key, document) VALUES (?1, ?2)"
                           " ON CONFLICT (key) DO UPDATE SET document = excluded.document");
    if (!put.ok()) return put.status();
    Result<SqliteStatement> remove = PrepareSql(db, "DELETE FROM " + table + " WHERE key = ?1");
    if (!remove.ok()) return remove.status();
    statements.tables[index] = {std::move(put).value(), std::move(remove).value()};
  }
  return statements;
}

struct PendingBatch {
  std::vector<Mutation> mutations;
  std::function<void(Status)> done;
};

// ---- The store ----

class SqliteStore final : public Store {
 public:
  SqliteStore(SqliteConnection write_db, WriteStatements statements, SqliteConnection read_db,
              std::chrono::milliseconds injected_commit_delay,
              std::function<void(size_t, double)> on_group_written)
      : write_db_(std::move(write_db)),
        statements_(std::move(statements)),
        injected_commit_delay_(injected_commit_delay),
        on_group_written_(std::move(on_group_written)),
        read_db_(std::move(read_db)),
        writer_([this] { RunWriter(); }) {}

  // Drains the queue: every batch handed to Commit() is written and acknowledged before return.
  ~SqliteStore() override {
    {
      MutexLock lock(queue_mutex_);
      stopping_ = true;
    }
    batches_queued_.notify_one();
    writer_.join();
  }

  Result<StoreSnapshot> Load() override {
    Flush();  // so Load() sees every batch committed before it
    MutexLock lock(read_mutex_);
    return ReadSnapshot(read_db_.get());
  }

  void Commit(std::vector<Mutation> batch, std::function<void(Status)> done) override {
    {
      MutexLock lock(queue_mutex_);
      queue_.push_back({std::move(batch), std::move(done)});
      ++batches_submitted_;
    }
    batches_queued_.notify_one();
  }

  void Flush() override {
    if (std::this_thread::get_id() == writer_.get_id()) {
      DieBecause("Flush() or Load() called from a done callback would wait for itself");
    }
    MutexLock lock(queue_mutex_);
    uint64_t target = batches_submitted_;
    batches_finished_.wait(lock.native(), [&]() GLEANER_REQUIRES(queue_mutex_) {
      return batches_acknowledged_ >= target;
    });
  }

 private:
  void RunWriter() {
    for (std::vector<PendingBatch> group = TakeQueuedBatches(); !group.empty();
         group = TakeQueuedBatches()) {
      // A group of empty batches (barriers: "after everything before me") writes nothing.
      bool writes = HasMutations(group);
      SteadyTime started = SteadyNow();
      std::vector<Status> outcomes = writes ? WriteGroup(group) : std::vector<Status>(group.size());
      if (writes && on_group_written_) {
        on_group_written_(group.size(), SecondsBetween(started, SteadyNow()));
      }
      for (size_t i = 0; i < group.size(); ++i) {
        if (!group[i].done) continue;
        Status answered = Contain([&] { group[i].done(std::move(outcomes[i])); });
        if (!answered.ok()) {
          std::fprintf(stderr, "gleaner: store: a commit's callback failed: %s\n",
                       answered.message().c_str());
        }
      }
      {
        MutexLock lock(queue_mutex_);
        batches_acknowledged_ += group.size();
      }
      batches_finished_.notify_all();
    }
  }

  static bool HasMutations(const std::vector<PendingBatch>& group) {
    for (const PendingBatch& batch : group) {
      if (!batch.mutations.empty()) return true;
    }
    return false;
  }

  // Waits for work and takes all of it: everything queued while the previous group was being
  // written goes into the next transaction. Empty only when stopping with nothing left.
  std::vector<PendingBatch> TakeQueuedBatches() {
    MutexLock lock(queue_mutex_);
    batches_queued_.wait(lock.native(), [&]() GLEANER_REQUIRES(queue_mutex_) {
      return !queue_.empty() || stopping_;
    });
    std::vector<PendingBatch> group;
    group.swap(queue_);
    return group;
  }

  // One transaction for the whole group. When a batch itself is at fault (e.g. a document over
  // SQLite's size limit), that batch fails alone and the rest are written again without it, in the
  // same order; when the environment is (busy, I/O error, disk full), the whole group fails at once
  // rather than waiting out the busy timeout once per batch.
  std::vector<Status> WriteGroup(const std::vector<PendingBatch>& group) {
    std::vector<Status> outcomes(group.size());  // ok = still to be written
    while (true) {
      GroupFailure failure = WriteInOneTransaction(group, outcomes);
      if (failure.status.ok()) return outcomes;
      if (failure.batch_at_fault) {
        outcomes[*failure.batch_at_fault] = std::move(failure.status);
        continue;
      }
      for (Status& outcome : outcomes) {
        if (outcome.ok()) outcome = failure.status;
      }
      return outcomes;
    }
  }

  struct GroupFailure {
    Status status;                         // ok when the transaction committed
    std::optional<size_t> batch_at_fault;  // empty when the environment failed
  };

  // Writes, in one transaction, every batch of `group` whose outcome is still ok.
  GroupFailure WriteInOneTransaction(const std::vector<PendingBatch>& group,
                                     const std::vector<Status>& outcomes) {
    sqlite3* db = write_db_.get();
    Status begun = StepToCompletion(db, statements_.begin.get(), "beginning a write");
    if (!begun.ok()) return RollBack({std::move(begun), std::nullopt});
    for (size_t index = 0; index < group.size(); ++index) {
      if (!outcomes[index].ok()) continue;
      for (const Mutation& mutation : group[index].mutations) {
        Status status = ApplyMutation(mutation);
        if (status.ok()) continue;
        bool batch_at_fault = status.code() != StatusCode::kInternal;
        return RollBack({std::move(status), batch_at_fault ? std::optional(index) : std::nullopt});
      }
    }
    if (injected_commit_delay_.count() > 0) std::this_thread::sleep_for(injected_commit_delay_);
    Status committed = StepToCompletion(db, statements_.commit.get(), "committing");
    if (!committed.ok()) return RollBack({std::move(committed), std::nullopt});
    return {};
  }

  Status ApplyMutation(const Mutation& mutation) {
    std::optional<size_t> index = TableIndex(mutation.kind);
    if (!index) {
      return Status::InvalidArgument("unknown record kind " +
                                     std::to_string(static_cast<int>(mutation.kind)));
    }
    const WriteStatements::PerTable& table = statements_.tables[*index];
    Status status =
        BindAndStep(mutation.is_delete ? table.remove.get() : table.put.get(), mutation);
    if (status.ok()) return status;
    // Described only on failure: this is the hot path.
    return Status(status.code(), std::string(mutation.is_delete ? "deleting " : "writing ") +
                                     kTableNames[*index] + "/" + mutation.key + ": " +
                                     status.message());
  }

  Status BindAndStep(sqlite3_stmt* statement, const Mutation& mutation) {
    Status bound = BindText(statement, 1, mutation.key);
    if (bound.ok() && !mutation.is_delete) bound = BindText(statement, 2, mutation.document);
    if (!bound.ok()) {
      sqlite3_clear_bindings(statement);
      return bound;
    }
    return StepToCompletion(write_db_.get(), statement, "applying a mutation");
  }

  // SQLITE_STATIC: the text outlives the step, and StepToCompletion clears the bindings after it.
  Status BindText(sqlite3_stmt* statement, int parameter, const std::string& text) {
    if (text.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
      return Status::InvalidArgument("text larger than 2 GiB");
    }
    if (sqlite3_bind_text(statement, parameter, text.data(), static_cast<int>(text.size()),
                          SQLITE_STATIC) != SQLITE_OK) {
      return SqliteError(write_db_.get(), "binding a parameter");
    }
    return Status::Ok();
  }

  // Ends a failed transaction (SQLite leaves some failures, e.g. a busy COMMIT, still open).
  GroupFailure RollBack(GroupFailure failure) {
    if (!sqlite3_get_autocommit(write_db_.get())) {
      (void)StepToCompletion(write_db_.get(), statements_.rollback.get(), "rolling back");
    }
    return failure;
  }

  // Owned by the writer thread once it runs.
  SqliteConnection write_db_;
  WriteStatements statements_;
  const std::chrono::milliseconds injected_commit_delay_;
  const std::function<void(size_t, double)> on_group_written_;

  Mutex read_mutex_;  // guards read_db_
  SqliteConnection read_db_ GLEANER_GUARDED_BY(read_mutex_);

  Mutex queue_mutex_;  // guards the members below
  std::condition_variable batches_queued_;
  std::condition_variable batches_finished_;
  std::vector<PendingBatch> queue_ GLEANER_GUARDED_BY(queue_mutex_);
  uint64_t batches_submitted_ GLEANER_GUARDED_BY(queue_mutex_) = 0;
  // written (or failed) and `done` has run
  uint64_t batches_acknowledged_ GLEANER_GUARDED_BY(queue_mutex_) = 0;
  bool stopping_ GLEANER_GUARDED_BY(queue_mutex_) = false;

  std::thread writer_;  // last: starts once everything above exists
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteStoreOptions& options) {
  if (options.path.empty()) return Status::InvalidArgument("SQLite store path is empty");
  GLEANER_RETURN_IF_ERROR(EnsureParentDirectory(options.path));
  GLEANER_RETURN_IF_ERROR(MakeDatabaseFilesPrivate(options.path));
  Result<SqliteConnection> write_db = OpenWriteConnection(options);
  if (!write_db.ok()) return write_db.status();
  Result<WriteStatements> statements = PrepareWriteStatements(write_db->get());
  if (!statements.ok()) return statements.status();
  Result<SqliteConnection> read_db = OpenReadConnection(options.path);
  if (!read_db.ok()) return read_db.status();
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(
      std::move(write_db).value(), std::move(statements).value(), std::move(read_db).value(),
      std::chrono::milliseconds(std::max(options.injected_commit_delay_millis, 0)),
      options.on_group_written));
}

}  // namespace gleaner
